"""Marks only for learning: what a student who wants points without learning would try, graded with
`notalone grade` as root, from a normal teacher account, and with --no-sandbox.

Points for the chat and the quiz come from the saved choices and a key the release never holds;
code checks compare plain values outside the kernel. Each case below is a Unit 1 submission with one
trick in it, and the exact score it must get (computed from the cells' points, so it follows the
assignment). A perfect "canary" student in the same batch must keep full marks.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from nbgrader_harness import (build_submission, copy_course, grade_as, load_specs, nbgrader, private_course_folder,
                              teacher_account)

ASSIGNMENT = "unit01-online-kidnapping"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
SPEC = load_specs()[ASSIGNMENT]["submissions"]
LIMITS = {"cell_seconds": 10, "notebook_seconds": 60, "memory_mb": 1024, "processes": 32, "output_kb": 512}
pytestmark = pytest.mark.nbgrader


def _cells(path: Path) -> dict:
    notebook = nbformat.read(path, as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c for c in notebook.cells if "nbgrader" in c.metadata}


SOURCE_CELLS = _cells(Path(__file__).resolve().parent.parent / "assessments" / "source" / ASSIGNMENT / NOTEBOOK)
POINTS = {gid: c.metadata.nbgrader["points"] for gid, c in SOURCE_CELLS.items()
          if c.metadata.nbgrader.get("grade") and not c.metadata.nbgrader.get("solution")}
CHAT = [gid for gid in POINTS if gid.startswith("scenario-")]
QUIZ = [gid for gid in POINTS if gid.startswith("quiz-")]
CODE = [gid for gid in POINTS if gid not in CHAT + QUIZ]
PERFECT = float(sum(POINTS.values()))
CODE_POINTS = float(sum(POINTS[g] for g in CODE))
CHAT_AND_QUIZ = PERFECT - CODE_POINTS
UNSAFE_CHAT_AND_QUIZ = float(sum(SPEC["unsafe"]["expected"][g] for g in CHAT + QUIZ))
LAST_CODE_CELL = CODE[-1]
FIRST_CODE_CELL_CALLS = SOURCE_CELLS[CODE[0]].source.count("check(find_red_flags")
WRONG = "def find_red_flags(message):\n    return []\n"


# Building the tricks ----------------------------------------------------------------------------------

def _solution(notebook):
    return next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "red-flags-solution")


def _setup(notebook):
    return next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")


def added_cell_after_setup(code):
    """The student adds a cell of their own right after the setup cell (before the chat and the quiz)."""
    def change(notebook, folder):
        notebook.cells.insert(notebook.cells.index(_setup(notebook)) + 1, nbformat.v4.new_code_cell(code))
    return change


def solution(code, *, prepend=False):
    """The student's answer is `code` (or `code` then the right answer)."""
    def change(notebook, folder):
        cell = _solution(notebook)
        cell.source = code + "\n\n" + cell.source if prepend else code
    return change


def progress(data):
    def change(notebook, folder):
        (folder / "notalone-progress.json").write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return change


def files(mapping):
    def change(notebook, folder):
        for name, text in mapping.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text, encoding="utf-8")
    return change


def both(*changes):
    def change(notebook, folder):
        for one in changes:
            one(notebook, folder)
    return change


def with_unsafe_progress(notebook, folder):
    shutil.copy(folder.parent.parent / "unsafe-reference" / ASSIGNMENT / "notalone-progress.json", folder / "notalone-progress.json")


def first_attempt_unsafe(notebook, folder):
    safe = json.loads((folder / "notalone-progress.json").read_text(encoding="utf-8"))
    unsafe = json.loads((folder.parent.parent / "unsafe-reference" / ASSIGNMENT / "notalone-progress.json").read_text(encoding="utf-8"))
    for scenario_id, record in safe["scenarios"].items():
        record["earlier_attempts"] = [unsafe["scenarios"][scenario_id]["choices"]]
    (folder / "notalone-progress.json").write_text(json.dumps(safe), encoding="utf-8")


def invented_ids(notebook, folder):
    data = json.loads((folder / "notalone-progress.json").read_text(encoding="utf-8"))
    for record in data["scenarios"].values():
        record["choices"] = [{"node": c["node"], "option": "the-safe-one"} for c in record["choices"]]
    for record in data["quizzes"].values():
        record["answers"] = {q: ["right-answer"] for q in record["answers"]}
    (folder / "notalone-progress.json").write_text(json.dumps(data), encoding="utf-8")


PATCH_MODELS = """
from widgets.scenario import ScenarioRun
from widgets.quiz import QuizAttempt
ScenarioRun.chose_safely = lambda self, node: True
ScenarioRun.check_decision = lambda self, node: None
QuizAttempt.check_answer = lambda self, question: None
QuizAttempt.answer = lambda self, question: frozenset({'tell-family'})
"""

EQUALS_ANYTHING = """
class Anything(list):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = None
def find_red_flags(message):
    return Anything()
"""

EQUALS_ANYTHING_OBJECT = """
class Anything:
    def __eq__(self, other):
        return True
    def __iter__(self):
        return iter([])
    __class__ = list
def find_red_flags(message):
    return Anything()
"""

FAKE_EXECUTE_RESULT = WRONG + """
# Before every later cell, an execute_result of 1: stock nbgrader reads the first one as partial credit.
get_ipython().events.register("pre_run_cell", lambda *args: get_ipython().displayhook(1))
"""

AST_TRANSFORMER = WRONG + """
import ast
class Quiet(ast.NodeTransformer):
    def visit_Expr(self, node):
        return ast.Expr(ast.Constant(None))
get_ipython().ast_transformers.append(Quiet())
"""

FAKE_OUTCOMES = WRONG + """
from IPython.display import publish_display_data
from widgets.checks import OUTCOME_MIME, plain
def _fake(*args, **kwargs):
    for case in range(60):
        for value in ([], ["secrecy"], ["money", "move-platform", "secrecy"], ["fear", "money"]):
            publish_display_data({OUTCOME_MIME: {"case": case, "outcome": {"returned": plain(value)}}})
get_ipython().events.register("pre_run_cell", _fake)
import widgets.checks
widgets.checks.probe = lambda case, function, *args: publish_display_data(
    {OUTCOME_MIME: {"case": case, "outcome": {"returned": plain(["secrecy"])}}})
"""

PATCHED_BUILTINS = """
import builtins
def find_red_flags(message):
    return ("secrecy",)
builtins.isinstance = lambda value, kind: True
builtins.type = lambda *args: list
builtins.sorted = lambda values, **kwargs: ["money", "move-platform", "secrecy"]
"""

EXIT_ON_HIDDEN = """
import os
_calls = [0]
_real = None
""" + "\n" + "{solution}" + """
_real = find_red_flags
def find_red_flags(message):
    _calls[0] += 1
    if _calls[0] > {visible}:
        os._exit(0)
    return _real(message)
"""

SYSTEM_EXIT_ON_HIDDEN = EXIT_ON_HIDDEN.replace("os._exit(0)", "raise SystemExit(0)")

READ_THE_KEY = """
import pathlib
_text = pathlib.Path("unit01-check.scenario.yaml").read_text(encoding="utf-8")
print("KEY-IN-KERNEL" if "safe:" in _text or "feedback:" in _text else "NO-KEY-IN-KERNEL")
"""


def perfect_solution() -> str:
    return "\n".join(line for line in SOURCE_CELLS["red-flags-solution"].source.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


COURSE_LIBRARY = """
from widgets.red_flags import detect
def find_red_flags(message):
    return detect(message, RED_FLAG_KEYWORDS)
"""

FLOOD_THE_TERMINAL = """
import os
os.write(1, b"x" * 100_000)
os.write(2, b"y" * 100_000)
"""

COPY_WHAT_THE_GRADER_RAN = """
_ran = []
get_ipython().events.register("pre_run_cell", lambda info: _ran.append(info.raw_cell))
"""

ALIAS_BOMB = "id: q\ntitle: {en: x}\nquestions:\n- &q {id: a, kind: single, prompt: {en: x}, options: [" + \
    ", ".join(["{id: o, text: {en: x}}"] * 4000) + "]}\n" + "- *q\n" * 4000


def print_at_the_end(code):
    def change(notebook, folder):
        notebook.cells.append(nbformat.v4.new_code_cell(code))
    return change


# name -> (change, expected total, words that must be in a flag, or None for no flag requirement)
CASES = {
    # Scenario and quiz points come from the saved choices and the teacher's key, never from the kernel.
    "patch-chat-and-quiz-helpers": (both(with_unsafe_progress, added_cell_after_setup(PATCH_MODELS)),
                                    UNSAFE_CHAT_AND_QUIZ + CODE_POINTS, None),
    "first-play-through-counts": (first_attempt_unsafe, PERFECT - len(CHAT), None),
    "invented-option-ids": (invented_ids, CODE_POINTS, None),
    "huge-progress-file": (progress("{" + " " * (3 * 2**20) + "}"), CODE_POINTS, "larger than"),
    "progress-not-json": (progress("{'scenarios': oops"), CODE_POINTS, "not readable JSON"),
    "progress-from-another-course": (progress({"format": "something-else", "scenarios": {}}), CODE_POINTS, "not a Not Alone"),
    "read-the-key-in-the-kernel": (solution(READ_THE_KEY, prepend=True), PERFECT, None),
    # Code checks: only a function that really works scores.
    "equals-anything-list": (solution(EQUALS_ANYTHING), CHAT_AND_QUIZ, None),
    "equals-anything-object": (solution(EQUALS_ANYTHING_OBJECT), CHAT_AND_QUIZ, None),
    "wrong-type-tuple": (solution("def find_red_flags(message):\n    return tuple(_sorted(message))\n" + perfect_solution()
                                  .replace("def find_red_flags", "def _sorted")), CHAT_AND_QUIZ, None),
    "fake-execute-result": (solution(FAKE_EXECUTE_RESULT), CHAT_AND_QUIZ, None),
    "ast-transformer": (solution(AST_TRANSFORMER), CHAT_AND_QUIZ, None),
    "fake-outcomes": (solution(FAKE_OUTCOMES), CHAT_AND_QUIZ, None),
    "patched-builtins": (solution(PATCHED_BUILTINS), CHAT_AND_QUIZ, None),
    "no-op-check": (both(solution(WRONG), added_cell_after_setup("import widgets.checks\n"
                                                                 "check = widgets.checks.check = lambda *args, **kwargs: None")),
                    CHAT_AND_QUIZ, None),
    "kernel-exit-in-hidden-test": (solution(EXIT_ON_HIDDEN.format(solution=perfect_solution(), visible=FIRST_CODE_CELL_CALLS)),
                                   PERFECT - POINTS[LAST_CODE_CELL], "kernel stopped"),
    "system-exit-in-hidden-test": (solution(SYSTEM_EXIT_ON_HIDDEN.format(solution=perfect_solution(), visible=FIRST_CODE_CELL_CALLS)),
                                   PERFECT - POINTS[LAST_CODE_CELL], None),
    # Nothing handed in stands in for code that grading runs.
    "shadow-json-module": (files({"json.py": "raise SystemExit('shadowed json')\n"}), PERFECT, "could replace code"),
    "shadow-widgets-package": (both(solution(WRONG), files({
        "widgets/__init__.py": "def use_language(*a): pass\n",
        "widgets/checks.py": "def check(*a, **k): pass\ndef probe(*a, **k): pass\n"})), CHAT_AND_QUIZ, "could replace code"),
    "path-file": (files({"zz-notalone.pth": "import os; os._exit(3)\n"}), PERFECT, "could replace code"),
    "ipython-startup-file": (both(solution(WRONG), files({".ipython/profile_default/startup/00-pass.py":
                                                          "import builtins; builtins.find_red_flags = lambda m: []\n"})),
                             CHAT_AND_QUIZ, "could replace code"),
    "sitecustomize": (files({"sitecustomize.py": "import os; os._exit(4)\n"}), PERFECT, "could replace code"),
    # The course's own library is not the answer: the task asks for more than it does.
    "course-library-solution": (solution(COURSE_LIBRARY), CHAT_AND_QUIZ, "course's widgets package"),
    # Nothing one submission does costs another student anything, or stops the grader.
    "flood-the-terminal": (solution(FLOOD_THE_TERMINAL, prepend=True), PERFECT, None),
    "alias-bomb-yaml": (files({"my-notes.quiz.yaml": ALIAS_BOMB, "unit01-check.quiz.yaml": ALIAS_BOMB,
                               "notes/deeper.scenario.yaml": ALIAS_BOMB}), PERFECT, None),
    "odd-progress-shapes": (progress({"format": "notalone-progress/1", "scenarios": {"unit01-check": {
        "choices": "d1", "earlier_attempts": 5}}, "quizzes": {"unit01-check-quiz": {"answers": {"secret-request": 7}}}}),
        CODE_POINTS, None),
    "deeply-nested-progress": (progress("[" * 100_000 + "]" * 100_000), CODE_POINTS, "not readable JSON"),
    # Feedback never hands back what the grader ran.
    "copy-what-the-grader-ran": (both(added_cell_after_setup(COPY_WHAT_THE_GRADER_RAN), solution(WRONG),
                                      print_at_the_end("print('\\n'.join(_ran))")), CHAT_AND_QUIZ, None),
}


@pytest.fixture(scope="module", params=["root", "normal-user", "no-sandbox"])
def graded(request):
    """The corpus graded in the sandbox as root, in the sandbox from a normal account, and with --no-sandbox
    (what a teacher without Bubblewrap would use: the guarantees about points must hold there too)."""
    account = teacher_account() if request.param == "normal-user" else None
    course = copy_course(private_course_folder()).resolve()
    try:
        nbgrader(course, "db", "assignment", "add", ASSIGNMENT)
        nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
        build_submission(course, ASSIGNMENT, "canary", SPEC["perfect"])
        build_submission(course, ASSIGNMENT, "zz-canary-graded-last", SPEC["perfect"])
        build_submission(course, ASSIGNMENT, "unsafe-reference", SPEC["unsafe"])
        for name, (change, *_rest) in CASES.items():
            build_submission(course, ASSIGNMENT, name, SPEC["perfect"])
            folder = course / "submitted" / name / ASSIGNMENT
            notebook = nbformat.read(folder / NOTEBOOK, as_version=4)
            change(notebook, folder)
            nbformat.write(notebook, folder / NOTEBOOK)
        outcomes = grade_as(course, ASSIGNMENT, account, LIMITS, sandbox=request.param != "no-sandbox")
        yield request.param, course, outcomes
    finally:
        shutil.rmtree(course, ignore_errors=True)


def scores(course: Path, student: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="not-alone") as gb:
        notebook = gb.find_submission_notebook(NOTEBOOK[:-6], ASSIGNMENT, student)
        return {grade.name: grade.score for grade in notebook.grades if grade.name in POINTS}


def test_the_corpus_has_at_least_fifteen_cases():
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_trick_gets_exactly_what_was_learned(graded, case):
    mode, course, outcomes = graded
    _change, expected, flag_words = CASES[case]
    outcome = outcomes[case]
    reasons = " | ".join(flag["reason"] for flag in outcome["flags"])
    got = scores(course, case)
    assert sum(got.values()) == expected, f"{mode}: {case} scored {sum(got.values())} (expected {expected}): {got}; flags: {reasons}"
    if flag_words:
        assert flag_words in reasons, f"{mode}: expected a flag about {flag_words!r}, got: {reasons or 'no flag'}"


@pytest.mark.parametrize("canary", ["canary", "zz-canary-graded-last"])
def test_the_canaries_keep_full_marks(graded, canary):
    mode, course, outcomes = graded
    assert sum(scores(course, canary).values()) == PERFECT, (mode, outcomes[canary]["flags"])
    assert not outcomes[canary]["flags"], outcomes[canary]["flags"]


def test_feedback_hands_back_no_hidden_test_and_no_key(graded):
    import html as html_module

    from notalone.feedback import generate_feedback

    _mode, course, _ = graded
    for student in ("copy-what-the-grader-ran", "equals-anything-list"):
        assert generate_feedback(course, ASSIGNMENT, student)["success"]
        folder = course / "feedback" / student / ASSIGNMENT
        page = html_module.unescape(next(folder.glob("*.html")).read_text(encoding="utf-8"))
        hidden = SOURCE_CELLS[LAST_CODE_CELL].source.split("### BEGIN HIDDEN TESTS")[1]
        for message in re.findall(r'check\(find_red_flags, "([^"]{12,})"', hidden):
            assert message not in page, f"{student}: the hidden input {message!r} reached the feedback"
        assert "_notalone_probe" not in page and "hidden check" in page
        from notalone.withhold import release_leaks

        assert not release_leaks(folder), f"{student}: the key went back with the feedback"


def test_the_kernel_never_saw_the_key(graded):
    _mode, course, _ = graded
    notebook = nbformat.read(course / "autograded" / "read-the-key-in-the-kernel" / ASSIGNMENT / NOTEBOOK, as_version=4)
    text = "".join(o.get("text", "") for o in _solution(notebook).outputs)
    assert "NO-KEY-IN-KERNEL" in text and "KEY-IN-KERNEL" not in text.replace("NO-KEY-IN-KERNEL", "")


def test_feedback_explains_each_decision_after_grading(graded):
    _mode, course, _ = graded
    notebook = nbformat.read(course / "autograded" / "first-play-through-counts" / ASSIGNMENT / NOTEBOOK, as_version=4)
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in notebook.cells if "nbgrader" in c.metadata}
    first = cells[CHAT[0]]
    text = json.dumps(first.outputs, ensure_ascii=False)
    assert "not the safe choice" in text and "chưa phải lựa chọn an toàn" in text and "A safe choice:" in text
    assert [o.output_type for o in first.outputs] == ["display_data", "error"], "feedback to read, and an error for 0 points"
    assert "check_decision" in first.source, "the feedback shows the cell as the student saw it"


PAYS_IN_STOCK_NBGRADER = ["patch-chat-and-quiz-helpers", "fake-execute-result", "ast-transformer", "no-op-check"]


def test_the_tricks_are_real_they_pay_when_the_kernel_decides(tmp_path):
    """The same submissions under plain `nbgrader autograde`, where the student's kernel decides: each trick
    scores more than it earns. (So the corpus tests something, and the grader is what stops it.)"""
    course = copy_course(tmp_path / "stock").resolve()
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as config:  # nbgrader's own steps, not the course's
        config.write("\nfrom nbgrader.converters import Autograde\n"
                     "c.Autograde.sanitize_preprocessors = Autograde.sanitize_preprocessors.default()\n"
                     "c.Autograde.autograde_preprocessors = Autograde.autograde_preprocessors.default()\n")
    nbgrader(course, "db", "assignment", "add", ASSIGNMENT)
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    build_submission(course, ASSIGNMENT, "unsafe-reference", SPEC["unsafe"])
    for name in PAYS_IN_STOCK_NBGRADER:
        build_submission(course, ASSIGNMENT, name, SPEC["perfect"])
        folder = course / "submitted" / name / ASSIGNMENT
        notebook = nbformat.read(folder / NOTEBOOK, as_version=4)
        CASES[name][0](notebook, folder)
        nbformat.write(notebook, folder / NOTEBOOK)
    shutil.rmtree(course / "submitted" / "unsafe-reference")
    nbgrader(course, "autograde", ASSIGNMENT, check=False)
    for name in PAYS_IN_STOCK_NBGRADER:
        earned = CASES[name][1]
        assert sum(scores(course, name).values()) > earned, f"{name}: the trick does not pay even in stock nbgrader"
