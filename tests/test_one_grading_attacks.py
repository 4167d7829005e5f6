"""Red team for "one grading behaviour": submissions that try to get marks without learning, or to read the
teacher's files, graded by plain `nbgrader autograde`, by nbgrader's API (what formgrader's Autograde button
calls) and by `notalone grade`, from root and from a normal teacher account.

One small demo class (notalone.demo.build_class) gets two honest submissions (untouched, and a partial answer)
and attacks built from them. For every path and account:
(a) no secret of the teacher's (a private file, the answer key, the model answer, the hidden tests) reaches
    any file of an attacker's autograded folder (feedback is made from it and goes back to the student);
(b) no attack scores more, cell by cell, than the honest submission it was built from;
(c) all paths give the same scores.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import yaml

from nbgrader_harness import build_submission, load_specs, private_course_folder, teacher_account

ASSIGNMENT = "unit01-online-kidnapping"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
SPEC = load_specs()[ASSIGNMENT]["submissions"]
SECRET = "teacher-private-9d41"
AUTOGRADED = set(SPEC["perfect"]["expected"])  # the autograded cells
SHADOW = "SHADOW-CODE-RAN"
MODEL_ANSWER = "if any(keyword.lower() in text for keyword in keywords)"  # a line of the source's solution only
SOURCE = Path("source") / ASSIGNMENT
UP = Path("..") / ".." / ".."  # from submitted/<student>/<assignment>/ to the course folder
pytestmark = pytest.mark.nbgrader


def cell(notebook, grade_id):
    return next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def prepend_to_solution(notebook, code: str) -> None:
    solution = cell(notebook, "red-flags-solution")
    solution.source = code + "\n\n" + solution.source


def read_probe(*paths: str) -> str:
    """Code that prints what it can read of each path (READ ...) or why not (REFUSED ...)."""
    return (f"for _path in {list(paths)!r}:\n"
            "    try:\n"
            "        print('READ', _path, open(_path, errors='replace').read()[:300])\n"
            "    except Exception as _error:\n"
            "        print('REFUSED', _path, type(_error).__name__)\n")


# Attacks: each changes the notebook (returned to be written) or the folder of a submission built from its base.

def link_progress(notebook, folder):
    """The saved choices are a link to the teacher's answer key."""
    (folder / "notalone-progress.json").unlink(missing_ok=True)
    (folder / "notalone-progress.json").symlink_to(UP / SOURCE / "notalone-answer-key.json")


def link_notebook(notebook, folder):
    """The notebook is a link to the teacher's source notebook (the model answer)."""
    (folder / NOTEBOOK).unlink()
    (folder / NOTEBOOK).symlink_to(UP / SOURCE / NOTEBOOK)
    return "written"


def link_secrets(notebook, folder):
    """Links to a private file of the teacher's, at the top, in a subfolder, and a linked folder; the student's
    code then tries to read them all."""
    (folder / "notes.txt").symlink_to(UP / "secret.txt")
    (folder / "sub").mkdir()
    (folder / "sub" / "notes.txt").symlink_to(Path("..") / UP / "secret.txt")
    (folder / "teacher").symlink_to(UP)  # the whole course folder
    (folder / "key").symlink_to(UP / SOURCE)
    (folder / "environment.txt").symlink_to("/proc/self/environ")  # the grader's own environment (tokens)
    prepend_to_solution(notebook, read_probe("notes.txt", "sub/notes.txt", "teacher/secret.txt",
                                             "key/notalone-answer-key.json"))


def link_timestamp(notebook, folder):
    """timestamp.txt is a link to a private file of the teacher's."""
    (folder / "timestamp.txt").unlink()
    (folder / "timestamp.txt").symlink_to(UP / "secret.txt")


SHADOW_CODE = f"import builtins\nbuiltins.SHADOW = {SHADOW!r}\n"


def shadow_code(notebook, folder):
    """Modules, path files and start-up files that would run before or instead of the course's code."""
    (folder / "widgets").mkdir()
    (folder / "widgets" / "__init__.py").write_text(SHADOW_CODE + f"SHADOW = {SHADOW!r}\n", encoding="utf-8")
    (folder / "widgets" / "checks.py").write_text(SHADOW_CODE + "def probe(*a, **k):\n    pass\n", encoding="utf-8")
    for name in ("notalone.py", "sitecustomize.py", "usercustomize.py", "IPython.py"):
        (folder / name).write_text(SHADOW_CODE, encoding="utf-8")
    (folder / "shadow.pth").write_text("import builtins; builtins.SHADOW = " + repr(SHADOW) + "\n", encoding="utf-8")
    startup = folder / ".ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-shadow.py").write_text(SHADOW_CODE, encoding="utf-8")
    (folder / "ipython_kernel_config.json").write_text(json.dumps(
        {"IPKernelApp": {"exec_lines": [f"import builtins; builtins.SHADOW = {SHADOW!r}"]}}), encoding="utf-8")
    prepend_to_solution(notebook, "import builtins, widgets\n"
                                  "print('SHADOW?', getattr(builtins, 'SHADOW', 'none'), getattr(widgets, 'SHADOW', 'none'))")


def keyed_files(notebook, folder):
    """The course's keyed files and answer key, rewritten so that every option is safe and every answer right."""
    def everything_right(value):
        if isinstance(value, dict):
            return {k: True if k in ("safe", "correct") else everything_right(v) for k, v in value.items()}
        return [everything_right(v) for v in value] if isinstance(value, list) else value

    source = folder.parents[2] / SOURCE
    (folder / "sub").mkdir()
    for path in source.glob("*.yaml"):
        text = yaml.safe_dump(everything_right(yaml.safe_load(path.read_text(encoding="utf-8"))), allow_unicode=True)
        (folder / path.name).write_text(text, encoding="utf-8")
        (folder / "sub" / path.name).write_text(text, encoding="utf-8")
    shutil.copy(folder / "notalone-progress.json", folder / "notalone-answer-key.json")


def prefilled_outputs(notebook, folder):
    """Grade cells handed in already run, with passing outcomes for every check and no error."""
    from widgets.checks import OUTCOME_MIME, plain

    for grade_id in ("red-flags-types", "red-flags-hidden"):
        target = cell(notebook, grade_id)
        target.execution_count = 1
        target.outputs = [nbformat.v4.new_output("display_data", data={
            OUTCOME_MIME: {"case": case, "outcome": {"returned": plain([])}}, "text/plain": "ok"}) for case in range(20)]
    for target in notebook.cells:
        if target.cell_type == "code" and target.metadata.get("nbgrader", {}).get("grade"):
            target.execution_count = target.execution_count or 1
            target.outputs = target.outputs or [nbformat.v4.new_output("stream", name="stdout", text="Correct!\n")]


def hostile_progress(data: str):
    def change(notebook, folder):
        (folder / "notalone-progress.json").write_text(data, encoding="utf-8")
    change.__doc__ = "A hand-made notalone-progress.json."
    return change


NESTED = '{"format": "notalone-progress/1", "scenarios": ' + "[" * 200_000 + "]" * 200_000 + "}"
WRONG_TYPES = json.dumps({"format": "notalone-progress/1", "scenarios": {"unit01-check": {
    "choices": "d1-private-app", "earlier_attempts": {"0": [1, 2]}}}, "quizzes": {"unit01-check-quiz": {
        "answers": {"secret-request": "tell-family", "verify-staff": {"official-channel": True}, "help-contacts": 3}}}})
GHOSTS = json.dumps({"format": "notalone-progress/1", "language": "vi", "scenarios": {"unit01-check": {"choices": [
    {"node": "d1-private-app", "option": "every-option"}, {"node": "d2-account-login", "option": "keep-private"}],
    "earlier_attempts": [[{"node": "d5-threat", "option": "block-report"}]]},
    "unit01-check.vi": {"choices": [{"node": "d1-private-app", "option": "decline-link"}]}},
    "quizzes": {"unit01-check-quiz": {"answers": {
        "secret-request": ["tell-family", "keep-quiet", "ask-friend", "ghost", "tell-family"],
        "verify-staff": ["*"], "help-contacts": []}}}})


def tamper_metadata(notebook, folder):
    """Points raised on the passing test, the failing test made an ungraded answer, a bonus grade cell added,
    and the kernel changed."""
    cell(notebook, "red-flags-types").metadata.nbgrader["points"] = 50
    failing = cell(notebook, "red-flags-hidden")
    failing.metadata.nbgrader.update(grade=False, solution=True, locked=False)
    failing.source = "pass"
    bonus = nbformat.v4.new_code_cell("pass")
    bonus.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": "bonus",
                                  "points": 100, "schema_version": 3}
    notebook.cells.append(bonus)
    notebook.metadata["kernelspec"] = {"name": "bash", "display_name": "Bash", "language": "bash"}
    notebook.metadata["language_info"] = {"name": "bash"}


def reshuffle_cells(notebook, folder):
    """Test cells swapped, duplicated, deleted and turned into Markdown; a quiz cell given the chat's grade_id."""
    types, hidden = cell(notebook, "red-flags-types"), cell(notebook, "red-flags-hidden")
    types.metadata.nbgrader["grade_id"], hidden.metadata.nbgrader["grade_id"] = "red-flags-hidden", "red-flags-types"
    notebook.cells.append(nbformat.from_dict(json.loads(json.dumps(types))))
    notebook.cells.remove(cell(notebook, "scenario-decision-4-keep-secret"))
    quiz = cell(notebook, "quiz-verify")
    notebook.cells[notebook.cells.index(quiz)] = markdown = nbformat.v4.new_markdown_cell(quiz.source)
    markdown.metadata = quiz.metadata
    cell(notebook, "quiz-help-contacts").metadata.nbgrader["grade_id"] = "scenario-decision-5-threat"


def print_hidden_tests(notebook, folder):
    """The student's function records what the hidden tests call it with; a cell added at the end prints that
    and the kernel's input history."""
    solution = cell(notebook, "red-flags-solution")
    solution.source += ("\n\n_calls = []\n_find = find_red_flags\n"
                        "def find_red_flags(message):\n    _calls.append(message)\n    return _find(message)\n")
    notebook.cells.append(nbformat.v4.new_code_cell("print('CALLS', _calls)\nprint('HISTORY', In)"))


def invalid_but_readable(notebook, folder):
    """An honest notebook with a field the format does not allow (nbformat reads it, its validation refuses it)."""
    data = json.loads(nbformat.writes(notebook))
    next(c for c in data["cells"] if c["cell_type"] == "code")["attachments"] = {}
    (folder / NOTEBOOK).write_text(json.dumps(data), encoding="utf-8")
    return "written"


def wrong_name(notebook, folder):
    """An honest submission saved under another name."""
    nbformat.write(notebook, folder / f"{ASSIGNMENT} (1).ipynb")
    (folder / NOTEBOOK).unlink()
    return "written"


# attacker -> (honest submission it is built from, change)
ATTACKS = {
    "link-progress": ("empty", link_progress),
    "link-notebook": ("empty", link_notebook),
    "link-secrets": ("empty", link_secrets),
    "link-timestamp": ("partial", link_timestamp),
    "shadow-code": ("partial", shadow_code),
    "keyed-files": ("partial", keyed_files),
    "prefilled-outputs": ("empty", prefilled_outputs),
    "progress-nested": ("empty", hostile_progress(NESTED)),
    "progress-wrong-types": ("empty", hostile_progress(WRONG_TYPES)),
    "progress-ghost-options": ("empty", hostile_progress(GHOSTS)),
    "tamper-metadata": ("partial", tamper_metadata),
    "reshuffle-cells": ("partial", reshuffle_cells),
    "print-hidden-tests": ("partial", print_hidden_tests),
    "invalid-but-readable": ("partial", invalid_but_readable),
    "wrong-name": ("partial", wrong_name),
}
HONEST = {"honest-empty": "empty", "honest-partial": "partial"}


def hidden_inputs(course: Path) -> list[str]:
    """The string arguments of the source's hidden checks: never for a student's eyes."""
    from notalone.scoring import plan_notebook

    found = []
    for plan in plan_notebook(course / SOURCE / NOTEBOOK).values():
        for check in plan.checks if plan.kind == "checks" else []:
            if check.hidden:
                call = ast.parse(check.call).body[0].value
                found += [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value]
    assert found, "the source has hidden checks with text inputs"
    return found


@pytest.fixture(scope="module")
def attack_class(tmp_path_factory):
    from notalone.demo import build_class

    course = tmp_path_factory.mktemp("attacks") / "course"
    build_class(course, students=1, problems=False, assignment_names=[ASSIGNMENT])
    (course / "secret.txt").write_text(SECRET, encoding="utf-8")
    for student, base in HONEST.items():
        build_submission(course, ASSIGNMENT, student, SPEC[base])
    for student, (base, change) in ATTACKS.items():
        build_submission(course, ASSIGNMENT, student, SPEC[base])
        folder = course / "submitted" / student / ASSIGNMENT
        notebook = nbformat.read(folder / NOTEBOOK, as_version=4)
        if change(notebook, folder) != "written":
            nbformat.write(notebook, folder / NOTEBOOK)
    return course


def _run(account: str | None, argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "LANG": "C.UTF-8",
           "JUPYTER_CONFIG_DIR": str(cwd / ".jupyter-config"), "HOME": str(cwd), "TEACHER_TOKEN": f"{SECRET}-token"}
    prefix = ["runuser", "-u", account, "--"] if account else []
    return subprocess.run([*prefix, "env", "-i", *[f"{k}={v}" for k, v in env.items()], *argv], cwd=cwd,
                          capture_output=True, text=True, timeout=1200)


def _copy(course: Path, account: str | None) -> Path:
    copy = private_course_folder() / "course"
    shutil.copytree(course, copy, symlinks=True)  # the links are relative: they point into the copy
    os.chmod(copy / "secret.txt", 0o600)
    if account:
        subprocess.run(["chown", "-R", "-h", f"{account}:{account}", str(copy.parent)], check=True)
    return copy


def _scores(course: Path) -> dict[str, dict[str, float | None]]:
    """student -> grade_id -> autograded score, for every student with a submission in the gradebook."""
    from nbgrader.api import Gradebook

    scores: dict = {}
    with Gradebook(f"sqlite:///{course}/gradebook.db", "not-alone") as gb:
        for submission in gb.find_assignment(ASSIGNMENT).submissions:
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.name in AUTOGRADED:
                        scores.setdefault(submission.student.id, {})[grade.name] = grade.auto_score
    return scores


API_SCRIPT = """import sys
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from nbgrader.server_extensions.formgrader.formgrader import FormgradeExtension
formgrader = FormgradeExtension()
formgrader.load_config_file()
api = NbGraderAPI(CourseDirectory(parent=formgrader), parent=formgrader)
for student in sys.argv[2:]:
    result = api.autograde(sys.argv[1], student)
    print("AUTOGRADE", student, result["success"])
"""

ACCOUNTS = ["root", "teacher"] if os.geteuid() == 0 else ["this account"]


@pytest.fixture(scope="module", params=ACCOUNTS)
def graded(request, attack_class):
    """Each path grades its own copy of the class, as `request.param`. Returns path -> course folder, logs."""
    account = teacher_account() if request.param == "teacher" else None
    students = sorted(p.name for p in (attack_class / "submitted").iterdir())
    courses = {path: _copy(attack_class, account) for path in ("notalone", "plain", "api")}
    commands = {"notalone": [sys.executable, "-m", "notalone.cli", "grade", ASSIGNMENT, "--course", str(courses["notalone"])],
                "plain": [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT],
                "api": [sys.executable, "-c", API_SCRIPT, ASSIGNMENT, *students]}
    logs = {}
    for path, argv in commands.items():
        started = time.monotonic()
        logs[path] = _run(account, argv, courses[path])
        print(f"{request.param}: {path} graded in {time.monotonic() - started:.0f} s")
    for path, result in logs.items():
        assert (courses[path] / "autograded").is_dir(), f"{path} graded nothing:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    yield courses, {path: result.stdout + result.stderr for path, result in logs.items()}
    for copy in courses.values():
        shutil.rmtree(copy.parent, ignore_errors=True)


PATHS = ["plain", "api", "notalone"]


@pytest.mark.parametrize("path", PATHS)
def test_no_secret_of_the_teachers_reaches_an_autograded_file(graded, attack_class, path):
    courses, logs = graded
    course = courses[path]
    key = (course / SOURCE / "notalone-answer-key.json").read_bytes()
    leaks = []
    for student in ATTACKS:
        for file in sorted((course / "autograded" / student).rglob("*")):
            if not file.is_file():
                continue
            data = file.read_bytes()
            text = data.decode("utf-8", errors="replace")
            where = f"{file.relative_to(course)}"
            if SECRET in text:
                leaks.append(f"{where}: the teacher's private file")
            if data == key or '"police-113", "trusted-adult"' in text:
                leaks.append(f"{where}: the answer key")
            if MODEL_ANSWER in text:
                leaks.append(f"{where}: the model answer of the source notebook")
            if "### BEGIN HIDDEN TESTS" in text:
                leaks.append(f"{where}: the hidden tests' source")
    assert not leaks, f"{path}: " + "; ".join(leaks)


@pytest.mark.parametrize("path", PATHS)
def test_the_kernel_ran_no_shadow_code_and_read_no_linked_file(graded, path):
    courses, _ = graded
    outputs = "".join(_output_text(courses[path], student) for student in ("shadow-code", "link-secrets"))
    assert "SHADOW? none none" in outputs and SHADOW not in outputs, f"{path}: code handed in ran in the kernel"
    assert outputs.count("REFUSED") == 4 and "READ" not in outputs.replace("REFUSED", ""), \
        f"{path}: the kernel read a linked file"


@pytest.mark.parametrize("path", PATHS)
def test_hidden_test_inputs_never_reach_the_autograded_notebook(graded, attack_class, path):
    """The feedback strips hidden tests from the test cells; a cell the student adds must not print them either."""
    courses, _ = graded
    notebook = (courses[path] / "autograded" / "print-hidden-tests" / ASSIGNMENT / NOTEBOOK).read_text(encoding="utf-8")
    shown = [text for text in hidden_inputs(attack_class) if json.dumps(text)[1:-1] in notebook or text in notebook]
    assert not shown, f"{path}: the autograded notebook shows the hidden tests' inputs: {shown}"


def _output_text(course: Path, student: str) -> str:
    """Everything the cells of a student's autograded notebook show (not their source)."""
    text = ""
    for file in (course / "autograded" / student / ASSIGNMENT).glob("*.ipynb"):
        for each in nbformat.read(file, as_version=4).cells:
            text += json.dumps(each.get("outputs", []), ensure_ascii=False)
    return text


def _honest(scores: dict, base: str) -> dict:
    return scores.get(next(s for s, b in HONEST.items() if b == base), {})


@pytest.mark.parametrize("path", PATHS)
def test_no_attack_scores_above_the_honest_submission_it_came_from(graded, path):
    courses, logs = graded
    scores = _scores(courses[path])
    for student, base in HONEST.items():
        expected = {k: v for k, v in (SPEC[base]["expected"] if SPEC[base]["expected"] != "zero" else {}).items()}
        got = scores.get(student, {})
        assert got and all(got[k] == expected.get(k, 0) for k in got), f"{path}: {student} scored {got}"
    above = {}
    for student, (base, _change) in ATTACKS.items():
        honest = _honest(scores, base)
        gained = {grade_id: score for grade_id, score in scores.get(student, {}).items()
                  if (score or 0) > (honest.get(grade_id) or 0)}
        if gained or sum(v or 0 for v in scores.get(student, {}).values()) > sum(v or 0 for v in honest.values()):
            above[student] = gained
    assert not above, f"{path}: attacks scored above the honest submission: {above}"


@pytest.mark.parametrize("path", ["plain", "api"])
def test_nbgrader_and_notalone_grade_give_the_same_scores(graded, path):
    courses, logs = graded
    ours, theirs = _scores(courses["notalone"]), _scores(courses[path])
    # The one intended difference: `notalone grade` grades a single misnamed notebook under the expected name
    # (flagged); nbgrader skips it. `notalone collect` files such a notebook under the right name, so a class
    # collected with notalone grades the same in every path.
    assert theirs.get("wrong-name") is None or not any((theirs.get("wrong-name") or {}).values())
    assert any((ours.get("wrong-name") or {}).values()), "notalone grade graded the misnamed notebook"
    differences = {student: {"notalone grade": ours.get(student), path: theirs.get(student)}
                   for student in sorted((set(ours) | set(theirs)) - {"wrong-name"})
                   if sum(v or 0 for v in (ours.get(student) or {}).values())
                   != sum(v or 0 for v in (theirs.get(student) or {}).values()) or ours.get(student) != theirs.get(student)}
    assert not differences, f"{path} and `notalone grade` scored differently:\n" + "\n".join(
        f"  {student}: {json.dumps(both)}" for student, both in differences.items())
