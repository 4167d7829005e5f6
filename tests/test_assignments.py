"""Every assignment in assessments/source/ with a spec in tests/assignments/ round-trips through nbgrader.

generate_assignment -> submissions built from the release (see tests/nbgrader_harness.py) ->
autograde -> the exact expected score for every grade cell; validate passes on the source and
validate --invert fails on the release (no test passes on the untouched release).
"""

from __future__ import annotations

import re

import nbformat
import pytest

from nbgrader_harness import (ANSWER_KEY, build_submission, cells_by_grade_id, copy_course, expected_scores, load_specs,
                              nbgrader, notebook_name)

SPECS = load_specs()
pytestmark = pytest.mark.nbgrader


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = copy_course(tmp_path_factory.mktemp("course"))
    for assignment, spec in SPECS.items():
        nbgrader(root, "db", "assignment", "add", assignment)
        nbgrader(root, "generate_assignment", assignment, "--force")
        for student, submission in spec["submissions"].items():
            build_submission(root, assignment, student, submission)
        nbgrader(root, "autograde", assignment)
    return root


@pytest.fixture(scope="module")
def gradebook(course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="not-alone") as gb:
        yield gb


def test_every_assignment_has_a_spec():
    from nbgrader_harness import ASSESSMENTS

    assignments = {p.name for p in (ASSESSMENTS / "source").iterdir() if p.is_dir()}
    assert assignments == set(SPECS), f"without a spec in tests/assignments/: {sorted(assignments - set(SPECS))}"


@pytest.mark.parametrize("assignment", sorted(SPECS))
def test_release_holds_no_solution_hidden_test_or_answer_key(course, assignment):
    release = course / "release" / assignment
    text = (release / notebook_name(course, assignment)).read_text(encoding="utf-8")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text
    assert not (release / ANSWER_KEY).exists()
    for quiz in release.glob("*.quiz.yaml"):
        assert not re.search(r"^\s*correct\s*:", quiz.read_text(encoding="utf-8"), re.M), f"{quiz.name} holds an answer key"
    source_cells = cells_by_grade_id(nbformat.read(course / "source" / assignment / notebook_name(course, assignment), as_version=4))
    for cell in source_cells.values():
        if "### BEGIN SOLUTION" in cell.source:
            body = cell.source.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
            for line in (line.strip() for line in body.splitlines()):
                if len(line) > 20:
                    assert line not in text, f"solution line leaked into the release: {line!r}"


@pytest.mark.parametrize("assignment", sorted(SPECS))
def test_validate_passes_on_the_source_and_fails_on_the_release(course, assignment):
    name = notebook_name(course, assignment)
    source = nbgrader(course, "validate", str(course / "source" / assignment / name), check=False)
    assert "Success! Your notebook passes all the tests." in source.stdout, source.stdout + source.stderr
    release = nbgrader(course, "validate", "--invert", str(course / "release" / assignment / name), check=False)
    assert "Success! The notebook does not pass any tests." in release.stdout, release.stdout + release.stderr


@pytest.mark.parametrize("assignment, student", [(a, s) for a in sorted(SPECS) for s in SPECS[a]["submissions"]])
def test_autograded_scores_are_exactly_as_expected(course, gradebook, assignment, student):
    name = notebook_name(course, assignment).removesuffix(".ipynb")
    expected = expected_scores(course, assignment, SPECS[assignment]["submissions"][student])
    scores = {cell: gradebook.find_grade(cell, name, assignment, student).auto_score for cell in expected}
    assert scores == expected
