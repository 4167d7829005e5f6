"""Round trips through the real nbgrader commands, driven by a spec per assignment.

A spec (tests/assignments/<assignment>.yaml) lists submissions built from the RELEASED
notebook and the exact autograded score expected for every grade cell:

    assignment: unit02-no-strangers
    submissions:
      perfect:
        solutions: source            # every solution cell as in source/, markers removed
        progress: answer-key         # the answer key's choices and quiz answers
        written: {reflection: "..."} # manually graded answers (grade_id -> text)
        expected: {decision-1: 1, split-url-visible: 2, ...}
      empty:
        expected: zero               # the release untouched: every autograded cell 0
      partial:
        solutions: {split-url: "def split_url(url): ..."}   # grade_id of the solution cell -> code
        progress: {scenarios: {<id>: [[node, option], ...]}, quizzes: {<id>: {<question>: [options]}}}
        expected: {...}
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import yaml

from support import REPO

ASSESSMENTS = REPO / "assessments"
PROGRESS = "notalone-progress.json"
ANSWER_KEY = "notalone-answer-key.json"
SPECS = REPO / "tests" / "assignments"


def load_specs() -> dict[str, dict]:
    """Every spec; NOTALONE_ONLY=unit01,unit03 (prefixes) keeps a few, for quick runs while editing an assignment."""
    only = [prefix for prefix in os.environ.get("NOTALONE_ONLY", "").split(",") if prefix]
    return {path.stem: yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(SPECS.glob("*.yaml"))
            if not only or any(path.stem.startswith(prefix) for prefix in only)}


def nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a real nbgrader command in the course folder, isolated from the user's Jupyter config."""
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
           "JUPYTER_CONFIG_DIR": str(course / ".jupyter-config")}
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                            capture_output=True, text=True, timeout=900)
    if check:
        assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def copy_course(destination: Path) -> Path:
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy(ASSESSMENTS / "nbgrader_config.py", destination / "nbgrader_config.py")
    shutil.copytree(ASSESSMENTS / "source", destination / "source",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", PROGRESS))
    return destination


def notebook_name(course: Path, assignment: str) -> str:
    names = [p.name for p in (course / "source" / assignment).glob("*.ipynb")]
    assert len(names) == 1, f"{assignment}: expected one notebook, found {names}"
    return names[0]


def cells_by_grade_id(notebook) -> dict:
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in notebook.cells if "nbgrader" in cell.metadata}


def without_solution_markers(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def autograded_cells(notebook) -> list[str]:
    return [cell.metadata.nbgrader.grade_id for cell in notebook.cells
            if cell.metadata.get("nbgrader", {}).get("grade") and not cell.metadata.nbgrader.get("solution")]


def build_submission(course: Path, assignment: str, student: str, spec: dict) -> None:
    """Write submitted/<student>/<assignment>/ from the release, as the spec describes."""
    from widgets.progress import ProgressStore

    release, source = course / "release" / assignment, course / "source" / assignment
    name = notebook_name(course, assignment)
    folder = course / "submitted" / student / assignment
    shutil.copytree(release, folder)
    (folder / "timestamp.txt").write_text(datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC"), encoding="utf-8")
    notebook = nbformat.read(release / name, as_version=4)
    cells = cells_by_grade_id(notebook)
    solutions = spec.get("solutions") or {}
    if solutions == "source":
        source_cells = cells_by_grade_id(nbformat.read(source / name, as_version=4))
        solutions = {grade_id: without_solution_markers(cell.source) for grade_id, cell in source_cells.items()
                     if cell.metadata.nbgrader.get("solution") and cell.cell_type == "code"}
    for grade_id, code in {**solutions, **(spec.get("written") or {})}.items():
        cells[grade_id].source = code
    nbformat.write(notebook, folder / name)
    progress = spec.get("progress")
    if progress == "answer-key":
        shutil.copy(source / ANSWER_KEY, folder / PROGRESS)
    elif progress:
        store = ProgressStore(folder / PROGRESS)
        for scenario_id, choices in (progress.get("scenarios") or {}).items():
            store.save_choices(scenario_id, [tuple(choice) for choice in choices])
        for quiz_id, answers in (progress.get("quizzes") or {}).items():
            store.save_quiz_answers(quiz_id, answers)


def expected_scores(course: Path, assignment: str, spec: dict) -> dict[str, float]:
    cells = autograded_cells(nbformat.read(course / "source" / assignment / notebook_name(course, assignment), as_version=4))
    expected = spec["expected"]
    if expected == "zero":
        return dict.fromkeys(cells, 0)
    missing = set(cells) - set(expected)
    assert not missing, f"the spec must give an expected score for every autograded cell; missing: {sorted(missing)}"
    return {cell: expected[cell] for cell in cells}


# Grading from a normal (non-root) account ------------------------------------------------------------

TEACHER_ACCOUNT = "notalone-teacher"
_GRADE_SCRIPT = """
import json, sys
from dataclasses import asdict
from pathlib import Path
from notalone.grader import grade
from notalone.sandbox import Limits
outcomes = grade(Path(sys.argv[1]), sys.argv[2], workers=int(sys.argv[4]), limits=Limits(**json.loads(sys.argv[3])))
print("NOTALONE-OUTCOMES " + json.dumps([asdict(o) for o in outcomes]))
"""


def teacher_account() -> str:
    """A normal account to grade from, as most teachers do: created when the tests run as root."""
    import pwd

    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid()).pw_name
    try:
        pwd.getpwnam(TEACHER_ACCOUNT)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", TEACHER_ACCOUNT], check=True, capture_output=True)
    for needed in (REPO, Path(sys.base_prefix).resolve(), Path(sys.executable).resolve().parent):
        _make_traversable(needed)
    return TEACHER_ACCOUNT


def _make_traversable(path: Path) -> None:
    """Let other accounts reach the checkout, its .venv and the Python it was made from (for instance a
    pyenv Python under /root): search permission on the folders that lead there, never listing."""
    for folder in [*reversed(path.parents), path]:
        mode = folder.stat().st_mode
        if not mode & 0o001:
            os.chmod(folder, mode | 0o001)


def private_course_folder() -> Path:
    """A folder outside pytest's root-only temporary tree, owned by whoever will grade."""
    import tempfile

    return Path(tempfile.mkdtemp(prefix="notalone-course-"))


def grade_as(course: Path, assignment: str, account: str | None, limits: dict, workers: int = 2,
             sandbox: bool = True) -> dict[str, dict]:
    """Grade with `notalone grade`'s engine as root (account None, in this process) or as `account`
    (a subprocess under that user id, on a course folder it owns). Returns student -> outcome dict."""
    if account is None or os.geteuid() != 0:
        from dataclasses import asdict

        from notalone.grader import grade
        from notalone.sandbox import Limits

        return {o.student: asdict(o) for o in grade(course, assignment, workers=workers, sandbox=sandbox,
                                                      limits=Limits(**limits))}
    import json

    subprocess.run(["chown", "-R", f"{account}:{account}", str(course)], check=True)
    home = Path("~" + account).expanduser()
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    result = subprocess.run(["runuser", "-u", account, "--", "env", "-i", *[f"{k}={v}" for k, v in env.items()],
                             sys.executable, "-c", _GRADE_SCRIPT, str(course), assignment, json.dumps(limits), str(workers)],
                            capture_output=True, text=True, timeout=1800, cwd=str(course))
    line = next((l for l in result.stdout.splitlines() if l.startswith("NOTALONE-OUTCOMES ")), None)
    assert result.returncode == 0 and line, f"grading as {account} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return {o["student"]: o for o in json.loads(line.split(" ", 1)[1])}
