"""The nbgrader course in assessments/, end to end with the real nbgrader commands.

One course is set up for the whole module (a copy of assessments/ in a temporary folder):
generate_assignment, then four submissions built from the RELEASED notebook, one autograde
call for all of them (with a stray progress file in source/ that must not leak into them),
and the two validate runs overlapping with the other commands. The tests then read the results. The structural checks at the bottom need no nbgrader and run in milliseconds.

Expected autograded scores (13 points; the 3-point reflection is graded by hand):

    grade cell                          perfect  empty  partial  unsafe
    scenario-decision-1..3 (1 each)         3      0       3       0
    scenario-decision-4..5 (1 each)         2      0       0       0
    quiz-secrecy, quiz-verify (1 each)      2      0       2       2
    quiz-help-contacts (1)                  1      0       0       1
    red-flags-types (2, visible)            2      0       2       2
    red-flags-hidden (3, hidden)            3      0       0       3
    total                                  13      0       7       8
    reflection needs manual grade         yes     no     yes     yes
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
ASSESSMENTS = REPO / "assessments"
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

# Play-throughs that the fabricated submissions use (the perfect one is the answer key).
PARTIAL_PLAY = [
    ("d1-private-app", "decline-link"),
    ("d2-account-login", "keep-private"),
    ("d3-staff-badge", "check-official"),
    ("d4-keep-secret", "keep-quiet"),
    ("d5-threat", "argue"),
    ("c5-second-chance", "tell-linh"),
]
UNSAFE_PLAY = [
    ("d1-private-app", "click-link"),
    ("d2-account-login", "send-login"),
    ("d3-staff-badge", "trust-badge"),
    ("d4-keep-secret", "keep-quiet"),
    ("d5-threat", "pay-code"),
    ("c5-second-chance", "say-nothing"),
]
CORRECT_QUIZ = {
    "secret-request": ["tell-family"],
    "verify-staff": ["official-channel"],
    "help-contacts": ["trusted-adult", "hotline-111", "police-113"],
}
PARTIAL_QUIZ = {**CORRECT_QUIZ, "help-contacts": ["trusted-adult", "hotline-111"]}  # forgot 113

# Case-sensitive: passes the visible lower-case tests, fails the hidden mixed-case ones.
PARTIAL_SOLUTION = '''
def find_red_flags(message: str) -> list[str]:
    """Return the sorted red-flag categories whose keywords appear in `message`."""
    return sorted(category for category, words in RED_FLAG_KEYWORDS.items()
                  if any(word in message for word in words))
'''.strip()

REFLECTION = ("Don't click links from people you don't know, and never send your password or phone number. "
              "If someone says 'keep it secret', that is exactly when to tell Mum, me or your teacher. "
              "You won't be in trouble, and we can block and report them together or call 111.")

DECISION_CELLS = [
    "scenario-decision-1-private-app",
    "scenario-decision-2-account-login",
    "scenario-decision-3-staff-badge",
    "scenario-decision-4-keep-secret",
    "scenario-decision-5-threat",
]
QUIZ_CELLS = ["quiz-secrecy", "quiz-verify", "quiz-help-contacts"]
AUTOGRADED_CELLS = DECISION_CELLS + QUIZ_CELLS + ["red-flags-types", "red-flags-hidden"]

EXPECTED = {
    "perfect": dict.fromkeys(DECISION_CELLS + QUIZ_CELLS, 1) | {"red-flags-types": 2, "red-flags-hidden": 3},
    "empty": dict.fromkeys(AUTOGRADED_CELLS, 0),
    "partial": dict.fromkeys(AUTOGRADED_CELLS, 0) | dict.fromkeys(DECISION_CELLS[:3], 1) | {
        "quiz-secrecy": 1, "quiz-verify": 1, "red-flags-types": 2},
    "unsafe": dict.fromkeys(DECISION_CELLS, 0) | dict.fromkeys(QUIZ_CELLS, 1) | {
        "red-flags-types": 2, "red-flags-hidden": 3},
}
EXPECTED_TOTALS = {"perfect": 13, "empty": 0, "partial": 7, "unsafe": 8}
REFLECTION_WRITTEN = {"perfect": True, "empty": False, "partial": True, "unsafe": True}


# ------------------------------------------------------------------------------ helpers

def _env(course: Path) -> dict:
    """nbgrader shells out to `alembic`: put this interpreter's scripts on PATH. An empty
    JUPYTER_CONFIG_DIR keeps a developer's own ~/.jupyter/nbgrader_config.py (which might
    point at a real gradebook) out of the test."""
    env = os.environ.copy()
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["JUPYTER_CONFIG_DIR"] = str(course / ".jupyter-config")
    env.pop("NOTALONE_STRAY_WARNED", None)
    return env


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "nbgrader", *args]


def run_nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(_command(*args), cwd=course, env=_env(course), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def start_nbgrader(course: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(_command(*args), cwd=course, env=_env(course), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> subprocess.CompletedProcess:
    stdout, stderr = process.communicate(timeout=600)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def cells_by_id(nb) -> dict:
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in nb.cells if "nbgrader" in cell.metadata}


def write_progress(folder: Path, choices, answers) -> None:
    from widgets.progress import ProgressStore

    store = ProgressStore(folder / PROGRESS)
    store.save_choices(SCENARIO_ID, choices)
    store.save_quiz_answers(QUIZ_ID, answers)


def solution_without_markers(cell_source: str) -> str:
    return "\n".join(line for line in cell_source.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def answer_key() -> dict:
    return json.loads((SOURCE_DIR / ANSWER_KEY).read_text(encoding="utf-8"))


def key_play() -> list[tuple[str, str]]:
    return [(c["node"], c["option"]) for c in answer_key()["scenarios"][SCENARIO_ID]["choices"]]


# ------------------------------------------------------------------------------ the course

@dataclass
class Course:
    root: Path
    generate: subprocess.CompletedProcess
    validate_source: subprocess.CompletedProcess | None = None
    validate_release_inverted: subprocess.CompletedProcess | None = None
    autograde: subprocess.CompletedProcess | None = None
    files_in_source_before: set = field(default_factory=set)
    files_in_source_after_validate: set = field(default_factory=set)

    @property
    def release(self) -> Path:
        return self.root / "release" / ASSIGNMENT

    @property
    def source(self) -> Path:
        return self.root / "source" / ASSIGNMENT


def build_submissions(course: Course) -> None:
    release_nb = nbformat.read(course.release / NOTEBOOK, as_version=4)
    source_cells = cells_by_id(nbformat.read(course.source / NOTEBOOK, as_version=4))
    full_solution = solution_without_markers(source_cells["red-flags-solution"].source)
    timestamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")

    def submission(student: str) -> Path:
        folder = course.root / "submitted" / student / ASSIGNMENT
        shutil.copytree(course.release, folder, ignore=shutil.ignore_patterns(PROGRESS))
        (folder / "timestamp.txt").write_text(timestamp, encoding="utf-8")
        return folder

    def save(folder: Path, *, solution: str | None, reflection: str | None) -> None:
        nb = nbformat.from_dict(json.loads(json.dumps(release_nb)))  # a deep copy
        cells = cells_by_id(nb)
        if solution is not None:
            cells["red-flags-solution"].source = solution
        if reflection is not None:
            cells["reflection"].source = reflection
        nbformat.write(nb, folder / NOTEBOOK)

    # perfect: the answer key's play and answers, the full solution, a reflection.
    folder = submission("perfect")
    save(folder, solution=full_solution, reflection=REFLECTION)
    write_progress(folder, key_play(), CORRECT_QUIZ)

    # empty: the release untouched, no progress file, and a smuggled answer key that
    # nbgrader must not copy into autograded/ (c.CourseDirectory.ignore).
    folder = submission("empty")
    shutil.copy(course.source / ANSWER_KEY, folder / ANSWER_KEY)

    # partial: 3 of 5 safe, 2 of 3 quiz answers right, a case-sensitive solution.
    folder = submission("partial")
    save(folder, solution=PARTIAL_SOLUTION, reflection=REFLECTION)
    write_progress(folder, PARTIAL_PLAY, PARTIAL_QUIZ)

    # unsafe: unsafe everywhere in the chat, but the quiz and the exercise right.
    folder = submission("unsafe")
    save(folder, solution=full_solution, reflection=REFLECTION)
    write_progress(folder, UNSAFE_PLAY, CORRECT_QUIZ)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    root = tmp_path_factory.mktemp("not-alone-course")
    for item in ("nbgrader_config.py", "source"):
        src = ASSESSMENTS / item
        if src.is_dir():
            shutil.copytree(src, root / item, ignore=shutil.ignore_patterns(
                ".ipynb_checkpoints", "__pycache__", PROGRESS, "*.unreadable-*"))
        else:
            shutil.copy(src, root / item)
    source = root / "source" / ASSIGNMENT
    files_before = {p.name for p in source.iterdir()}

    # validate only reads, so the slow runs overlap with the other commands.
    source_run = start_nbgrader(root, "validate", str(source / NOTEBOOK))
    try:
        run_nbgrader(root, "db", "assignment", "add", ASSIGNMENT)
        result = Course(root, run_nbgrader(root, "generate_assignment", ASSIGNMENT, "--force"))
    finally:
        result_source = finish(source_run)
    result.validate_source = result_source
    result.files_in_source_before = files_before
    result.files_in_source_after_validate = {p.name for p in source.iterdir()}
    build_submissions(result)

    release_run = start_nbgrader(root, "validate", "--invert", str(result.release / NOTEBOOK))
    # A stray all-safe progress file in source/ (a teacher clicked through the source
    # notebook) must not overwrite the students' files at autograde: the config's
    # Autograde.exclude_overwriting. The empty and unsafe students would gain points.
    shutil.copy(source / ANSWER_KEY, source / PROGRESS)
    try:
        result.autograde = run_nbgrader(root, "autograde", ASSIGNMENT)
    finally:
        (source / PROGRESS).unlink()
        result.validate_release_inverted = finish(release_run)
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
@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_autograded_scores(course, gradebook, student):
    scores = {cell: gradebook.find_grade(cell, ASSIGNMENT, ASSIGNMENT, student).auto_score
              for cell in AUTOGRADED_CELLS}
    assert scores == EXPECTED[student]
    assert sum(scores.values()) == EXPECTED_TOTALS[student]

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
    for student in EXPECTED:
        folder = course.root / "autograded" / student / ASSIGNMENT
        names = {p.name for p in folder.iterdir()}
        assert ANSWER_KEY not in names, f"{student}: {names}"
        assert (PROGRESS in names) is (student != "empty"), f"{student}: {names}"


@pytest.mark.nbgrader
def test_hidden_tests_explain_the_quiz_answer(course):
    nb = nbformat.read(course.root / "autograded" / "partial" / ASSIGNMENT / NOTEBOOK, as_version=4)
    cell = cells_by_id(nb)["quiz-help-contacts"]
    errors = [out for out in cell.outputs if out.output_type == "error"]
    assert errors and errors[0].ename == "AssertionError"
    assert "113" in errors[0].evalue and "111" in errors[0].evalue


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
    assert all(option.correct is None and option.explanation is None
               for question in quiz.questions for option in question.options)
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
    assert all([n for n in path if n in SPINE] == SPINE for path in all_paths)
    assert {n for path in all_paths for n in path} - set(SPINE) == {"c5-second-chance"}

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
    assert endings == {"key": "safe", "partial": "helped", "unsafe": "at-risk"}

    key_answers = answer_key()["quizzes"][QUIZ_ID]["answers"]
    assert {q: sorted(a) for q, a in key_answers.items()} == {q: sorted(a) for q, a in CORRECT_QUIZ.items()}
