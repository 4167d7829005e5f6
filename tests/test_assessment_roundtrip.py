"""Unit 1's assignment beyond the generic round trip (tests/test_assignments.py): the bilingual
header, the answer key that never leaves source/, a progress file a teacher left in source/,
hidden tests that explain the quiz answer, and the house style of grade cells.

One course is set up for the module with the spec's submissions (tests/assignments/), plus an
answer key smuggled into the empty submission, and graded with one plain `nbgrader autograde`.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
import yaml

from nbgrader_harness import ASSESSMENTS, build_submission, copy_course, load_specs, nbgrader

ASSIGNMENT = "unit01-online-kidnapping"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
SOURCE_DIR = ASSESSMENTS / "source" / ASSIGNMENT
SCENARIO_FILE = "unit01-check.scenario.yaml"
QUIZ_FILE = "unit01-check.quiz.yaml"
ANSWER_KEY = "notalone-answer-key.json"
PROGRESS = "notalone-progress.json"
SCENARIO_ID = "unit01-check"
QUIZ_ID = "unit01-check-quiz"
SPINE = ["d1-private-app", "d2-account-login", "d3-staff-badge", "d4-keep-secret", "d5-threat"]
RULE_IDS = {"no-strangers", "no-sharing", "no-secrets", "must-block-report", "must-verify", "must-share"}
SUBMISSIONS = load_specs()[ASSIGNMENT]["submissions"]
PARTIAL_PLAY = [tuple(c) for c in SUBMISSIONS["partial"]["progress"]["scenarios"][SCENARIO_ID]]
UNSAFE_PLAY = [tuple(c) for c in SUBMISSIONS["unsafe"]["progress"]["scenarios"][SCENARIO_ID]]
CORRECT_QUIZ = SUBMISSIONS["unsafe"]["progress"]["quizzes"][QUIZ_ID]
AUTOGRADED_CELLS = list(SUBMISSIONS["perfect"]["expected"])
REFLECTION_WRITTEN = {"perfect": True, "empty": False, "partial": True, "unsafe": True}
EXPECTED_TOTALS = {name: sum(sub["expected"].values()) if isinstance(sub["expected"], dict) else 0
                   for name, sub in SUBMISSIONS.items()}


def cells_by_id(nb) -> dict:
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in nb.cells if "nbgrader" in cell.metadata}


def answer_key() -> dict:
    return json.loads((SOURCE_DIR / ANSWER_KEY).read_text(encoding="utf-8"))


def key_play() -> list[tuple[str, str]]:
    return [(c["node"], c["option"]) for c in answer_key()["scenarios"][SCENARIO_ID]["choices"]]


@dataclass
class Course:
    root: Path
    validate_source: object = None
    validate_release_inverted: object = None
    autograde: object = None
    files_in_source_before: set = field(default_factory=set)
    files_in_source_after_validate: set = field(default_factory=set)

    @property
    def release(self) -> Path:
        return self.root / "release" / ASSIGNMENT

    @property
    def source(self) -> Path:
        return self.root / "source" / ASSIGNMENT


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    result = Course(copy_course(tmp_path_factory.mktemp("not-alone-course")))
    result.files_in_source_before = {p.name for p in result.source.iterdir()}
    result.validate_source = nbgrader(result.root, "validate", str(result.source / NOTEBOOK), check=False)
    result.files_in_source_after_validate = {p.name for p in result.source.iterdir()}
    nbgrader(result.root, "db", "assignment", "add", ASSIGNMENT)
    nbgrader(result.root, "generate_assignment", ASSIGNMENT, "--force")
    for student, spec in SUBMISSIONS.items():
        build_submission(result.root, ASSIGNMENT, student, spec)
    # The empty submission smuggles in the answer key: nbgrader must not copy it (CourseDirectory.ignore).
    shutil.copy(result.source / ANSWER_KEY, result.root / "submitted" / "empty" / ASSIGNMENT / ANSWER_KEY)
    result.validate_release_inverted = nbgrader(result.root, "validate", "--invert", str(result.release / NOTEBOOK), check=False)
    # A stray all-safe progress file in source/ (a teacher clicked through the source notebook)
    # must not overwrite the students' files at autograde (Autograde.exclude_overwriting).
    shutil.copy(result.source / ANSWER_KEY, result.source / PROGRESS)
    try:
        result.autograde = nbgrader(result.root, "autograde", ASSIGNMENT)
    finally:
        (result.source / PROGRESS).unlink()
    return result


@pytest.fixture(scope="module")
def gradebook(course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}", course_id="not-alone") as gb:
        yield gb


# ------------------------------------------------------------------------------ release

@pytest.mark.nbgrader
def test_release_holds_no_answers(course):
    text = (course.release / NOTEBOOK).read_text(encoding="utf-8")
    assert "### BEGIN SOLUTION" not in text and "### END SOLUTION" not in text
    assert "BEGIN HIDDEN TESTS" not in text and "END HIDDEN TESTS" not in text
    source_cells = cells_by_id(nbformat.read(course.source / NOTEBOOK, as_version=4))
    body = source_cells["red-flags-solution"].source.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
    for line in (line.strip() for line in body.splitlines()):
        if " " in line:  # skip one-word lines such as "category" or "}"
            assert line not in text, f"solution line leaked into the release: {line!r}"
    for option in ("official-channel", "police-113", "tell-family"):
        assert option not in text, f"quiz answer key {option!r} leaked into the release"
    assert "Model answer" not in text and "YOUR ANSWER HERE" in text
    assert "raise NotImplementedError()" in text


@pytest.mark.nbgrader
def test_release_files(course):
    released = {p.name for p in course.release.iterdir()}
    assert released == {NOTEBOOK, SCENARIO_FILE, QUIZ_FILE}, released
    assert ANSWER_KEY not in released and PROGRESS not in released


@pytest.mark.nbgrader
def test_release_quiz_has_no_answer_key(course):
    text = (course.release / QUIZ_FILE).read_text(encoding="utf-8")
    assert not re.search(r"^\s*correct\s*:", text, re.MULTILINE)
    assert not re.search(r"^\s*explanation\s*:", text, re.MULTILINE)
    quiz = yaml.safe_load(text)
    assert quiz["reveal"] == "in-feedback"
    for question in quiz["questions"]:
        for option in question["options"]:
            assert not {"correct", "explanation"} & option.keys(), option


@pytest.mark.nbgrader
def test_release_has_the_bilingual_header(course):
    nb = nbformat.read(course.release / NOTEBOOK, as_version=4)
    first = nb.cells[0].source
    assert "Not Alone" in first and "Không Một Mình" in first
    assert 'NAME = ""' in nb.cells[1].source
    header_text = "\n".join(cell.source for cell in nb.cells[:4])
    for needed in ("111", "113", "Report", "Báo cáo", "trusted adult", "người lớn"):
        assert needed in header_text, needed


# ------------------------------------------------------------------------------ validate

@pytest.mark.nbgrader
def test_source_validates_with_the_answer_key(course):
    result = course.validate_source
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success! Your notebook passes all the tests." in result.stdout, result.stdout + result.stderr
    # The widgets loaded the key read-only: no progress file was written next to it.
    assert course.files_in_source_after_validate == course.files_in_source_before


@pytest.mark.nbgrader
def test_release_passes_no_test(course):
    result = course.validate_release_inverted
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success! The notebook does not pass any tests." in result.stdout, result.stdout + result.stderr
    assert "NOTEBOOK PASSED" not in result.stdout


# ------------------------------------------------------------------------------ autograde

@pytest.mark.nbgrader
@pytest.mark.parametrize("student", sorted(SUBMISSIONS))
def test_totals_and_manual_grading(course, gradebook, student):
    """Scores per cell are checked in test_assignments.py; here the totals and the reflection."""
    reflection = gradebook.find_grade("reflection", ASSIGNMENT, ASSIGNMENT, student)
    assert reflection.max_score == 3
    assert reflection.needs_manual_grade is REFLECTION_WRITTEN[student]
    if not REFLECTION_WRITTEN[student]:
        assert reflection.auto_score == 0  # unchanged "YOUR ANSWER HERE"
    submission = gradebook.find_submission(ASSIGNMENT, student)
    assert submission.max_score == 16
    assert submission.code_score == EXPECTED_TOTALS[student]
    assert submission.needs_manual_grade is REFLECTION_WRITTEN[student]


@pytest.mark.nbgrader
def test_autograde_warned_about_the_stray_progress_file(course):
    assert "[not-alone] WARNING" in course.autograde.stderr and PROGRESS in course.autograde.stderr


@pytest.mark.nbgrader
def test_answer_key_never_reaches_autograded(course):
    for student in SUBMISSIONS:
        folder = course.root / "autograded" / student / ASSIGNMENT
        names = {p.name for p in folder.iterdir()}
        assert ANSWER_KEY not in names, f"{student}: {names}"
        assert (PROGRESS in names) is (student != "empty"), f"{student}: {names}"


@pytest.mark.nbgrader
def test_hidden_tests_explain_the_quiz_answer(course):
    nb = nbformat.read(course.root / "autograded" / "partial" / ASSIGNMENT / NOTEBOOK, as_version=4)
    cell = cells_by_id(nb)["quiz-help-contacts"]
    errors = [out for out in cell.outputs if out.output_type == "error"]
    assert errors and errors[0].ename == "NotAloneCheck", "the grader decided this cell, outside the student's kernel"
    feedback = "".join(out.get("data", {}).get("text/plain", "") for out in cell.outputs)
    assert "113" in feedback and "111" in feedback


# ------------------------------------------------------------------------------ structure (no nbgrader)

def _grade_cells(nb):
    return [cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade")]


def test_no_progress_file_in_source():
    """A progress file in source/ would be released to every student."""
    assert not list((ASSESSMENTS / "source").glob(f"*/{PROGRESS}"))


def test_grade_cells_follow_the_house_style():
    nb = nbformat.read(SOURCE_DIR / NOTEBOOK, as_version=4)
    ids = [cell.metadata["nbgrader"]["grade_id"] for cell in nb.cells if "nbgrader" in cell.metadata]
    assert len(ids) == len(set(ids)), "grade_ids must be unique"
    grade_cells = _grade_cells(nb)
    assert [c.metadata.nbgrader.grade_id for c in grade_cells] == AUTOGRADED_CELLS + ["reflection"]
    assert sum(c.metadata.nbgrader.points for c in grade_cells) == 16
    for cell in grade_cells:
        meta = cell.metadata.nbgrader
        assert meta["schema_version"] == 3 and set(meta) >= {"grade", "solution", "locked", "task", "grade_id", "points"}
        tags = [t for t in cell.metadata.get("tags", []) if t.startswith("skill:")]
        assert len(tags) == 1 and tags[0].split(":", 1)[1] in RULE_IDS | {"python"}, (meta["grade_id"], tags)
        if cell.cell_type == "code":
            first = cell.source.splitlines()[0]
            assert first.startswith('"""') and first.endswith('"""') and len(first) > 6, meta["grade_id"]
            assert meta["locked"] and not meta["solution"]
        previous = nb.cells[nb.cells.index(cell) - 1]
        points = meta["points"]
        heading = f"({points} point{'s' if points != 1 else ''}"
        assert previous.cell_type == "markdown" and heading in previous.source, (meta["grade_id"], heading)


def test_scenario_and_quiz_match_the_schemas_and_the_key():
    from widgets import load_quiz, load_scenario
    from widgets.scenario import ScenarioRun

    scenario = load_scenario(SOURCE_DIR / SCENARIO_FILE)
    quiz = load_quiz(SOURCE_DIR / QUIZ_FILE)
    assert scenario.id == SCENARIO_ID and quiz.id == QUIZ_ID and quiz.reveal == "in-feedback"
    assert scenario.content_warning
    assert quiz.has_key and all(option.explanation for question in quiz.questions for option in question.options), (
        "the author's graded quiz holds its key and an explanation per option (the release removes them)")
    assert len(quiz.questions) == 3 and {q.kind for q in quiz.questions} == {"single", "multiple"}

    # Every path from the start visits all five spine decisions, in order.
    def paths(node_id, trail):
        node = scenario.nodes[node_id]
        if node.ending:
            yield trail
            return
        for option in node.decision.options:
            yield from paths(option.next, trail + [node_id])

    all_paths = list(paths(scenario.start, []))
    assert all(path == SPINE for path in all_paths), "a graded chat is one spine: the path never depends on a choice"

    endings = {}
    for name, play in (("key", key_play()), ("partial", PARTIAL_PLAY), ("unsafe", UNSAFE_PLAY)):
        run = ScenarioRun(scenario)
        for node_id, option_id in play:
            assert run.current == node_id, (name, node_id)
            run.choose(option_id)
        assert run.finished
        endings[name] = scenario.nodes[run.ending].ending.outcome
        assert [run.chose_safely(n) for n in SPINE] == {
            "key": [True] * 5, "partial": [True] * 3 + [False] * 2, "unsafe": [False] * 5}[name]
    assert len(set(endings.values())) == 1, "every student reaches the same, neutral ending"

    key_answers = answer_key()["quizzes"][QUIZ_ID]["answers"]
    assert {q: sorted(a) for q, a in key_answers.items()} == {q: sorted(a) for q, a in CORRECT_QUIZ.items()}
