"""One grading behaviour: the course's nbgrader_config.py decides the sandbox, the limits and the fair
scoring, so plain `nbgrader autograde`, nbgrader's Python API (what formgrader's Autograde button calls) and
`notalone grade` give the same scores with the same protections, from root and from a normal account.
notalone reads Jupyter's configuration folders as nbgrader does, and a command-line limit replaces the
course's only when it is given."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nbgrader_harness import private_course_folder, teacher_account
from support import REPO

ASSIGNMENTS = ["unit01-online-kidnapping", "unit04-no-secrets"]
SECRET = "teacher-secret-7c1e"
HOSTILE = "hs02"
PROBE = """# what a student who wants the teacher's files would try
for path in ["notes.txt", {secret!r}]:
    try:
        print("READ", open(path).read())
    except Exception as error:
        print("REFUSED", type(error).__name__)
"""


def _run(account: str | None, argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "LANG": "C.UTF-8",
           "JUPYTER_CONFIG_DIR": str(cwd / ".jupyter-config"), "HOME": str(cwd)}
    prefix = ["runuser", "-u", account, "--"] if account else []
    return subprocess.run([*prefix, "env", "-i", *[f"{k}={v}" for k, v in env.items()], *argv], cwd=cwd,
                          capture_output=True, text=True, timeout=1200)


def _scores(course: Path) -> dict:
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{course}/gradebook.db", "not-alone") as gb:
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        scores[(assignment.name, submission.student.id, notebook.name, grade.name)] = grade.auto_score
    return scores


def _outputs(course: Path, student: str, assignment: str) -> str:
    folder = course / "autograded" / student / assignment
    return "\n".join(path.read_text(encoding="utf-8") for path in folder.glob("*.ipynb"))


@pytest.fixture(scope="module")
def demo_class(tmp_path_factory):
    """A small demo class (wrong file name, edited test cell, a missing student), plus one hostile submission:
    a link to a file of the teacher's, and code that tries to read it and the file itself."""
    from notalone.demo import build_class

    course = tmp_path_factory.mktemp("demo") / "course"
    build_class(course, students=4, assignment_names=ASSIGNMENTS)
    (course / "secret.txt").write_text(SECRET, encoding="utf-8")
    folder = course / "submitted" / HOSTILE / ASSIGNMENTS[1]
    (folder / "notes.txt").symlink_to(course / "secret.txt")
    notebook = next(folder.glob("*.ipynb"))
    data = json.loads(notebook.read_text(encoding="utf-8"))
    cell = next(c for c in data["cells"] if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get("solution"))
    cell["source"] = PROBE.format(secret=str(course / "secret.txt")) + "".join(cell["source"])
    notebook.write_text(json.dumps(data), encoding="utf-8")
    return course


def _copy(course: Path, account: str | None) -> Path:
    copy = private_course_folder() / "course"
    shutil.copytree(course, copy, symlinks=True)
    link = copy / "submitted" / HOSTILE / ASSIGNMENTS[1] / "notes.txt"
    link.unlink()
    link.symlink_to(copy / "secret.txt")
    os.chmod(copy / "secret.txt", 0o600)
    if account:
        subprocess.run(["chown", "-R", f"{account}:{account}", str(copy.parent)], check=True)
    return copy


ACCOUNTS = ["root", "teacher"] if os.geteuid() == 0 else ["this account"]


@pytest.mark.nbgrader
@pytest.mark.parametrize("who", ACCOUNTS)
def test_plain_nbgrader_the_api_and_notalone_grade_agree(demo_class, who):
    account = teacher_account() if who == "teacher" else None
    ours, plain, api = _copy(demo_class, account), _copy(demo_class, account), _copy(demo_class, account)

    graded = _run(account, [sys.executable, "-m", "notalone.cli", "grade", *ASSIGNMENTS, "--course", str(ours)], ours)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert "on   namespaces" in graded.stderr and "on   seccomp" in graded.stderr, graded.stderr
    logs = ""
    for assignment in ASSIGNMENTS:
        result = _run(account, [sys.executable, "-m", "nbgrader", "autograde", assignment], plain)
        assert result.returncode == 0, result.stdout + result.stderr
        logs += result.stderr
    # What formgrader's Autograde button runs: its extension loads the configuration, then calls nbgrader's API.
    called = _run(account, [sys.executable, "-c", "import sys\nfrom nbgrader.apps import NbGraderAPI\n"
                            "from nbgrader.coursedir import CourseDirectory\n"
                            "from nbgrader.server_extensions.formgrader.formgrader import FormgradeExtension\n"
                            "formgrader = FormgradeExtension()\nformgrader.load_config_file()\n"
                            "api = NbGraderAPI(CourseDirectory(parent=formgrader), parent=formgrader)\n"
                            "for a in sys.argv[1:]:\n"
                            "    for s in ['hs01', 'hs02', 'hs03']:\n"
                            "        r = api.autograde(a, s)\n"
                            "        assert r['success'], r\n", *ASSIGNMENTS], api)
    assert called.returncode == 0, called.stdout + called.stderr

    expected = _scores(ours)
    assert len(expected) > 30 and any(expected.values()) and not all(expected.values())
    assert _scores(plain) == expected, "plain `nbgrader autograde` scored differently from `notalone grade`"
    assert _scores(api) == expected, "nbgrader's API (formgrader's Autograde button) scored differently"
    # The same protections: the student's code could read neither the linked file nor the teacher's file.
    for course in (ours, plain, api):
        probe = _outputs(course, HOSTILE, ASSIGNMENTS[1])
        assert "REFUSED" in probe and SECRET not in probe, f"{course}: the kernel read the teacher's file"
    assert "notes.txt is a link or not a plain file: nbgrader's copy of what it points at was removed" in logs
    assert "repaired: locked cell" in logs, "plain nbgrader's log names what was repaired"


def _parse(*argv: str):
    from notalone.cli import build_parser

    return build_parser().parse_args(["grade", "unit01", *argv])


def test_a_command_line_limit_replaces_the_course_setting_only_when_given(tmp_path):
    from notalone.cli import _grading_settings
    from notalone.grader import SandboxedExecute, grading_config

    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.Execute.timeout = 7\n"
                                                 "c.SandboxedExecute.memory_mb = 512\n", encoding="utf-8")

    def limits(*argv):
        return SandboxedExecute(config=grading_config(tmp_path, _grading_settings(_parse(*argv)))).limits()

    assert (limits().cell_seconds, limits().memory_mb) == (7, 512), "the course's settings are kept"
    assert limits("--cell-timeout", "9").cell_seconds == 9 and limits("--cell-timeout", "9").memory_mb == 512
    assert limits("--memory-mb", "1024").memory_mb == 1024 and limits("--memory-mb", "1024").cell_seconds == 7


def test_the_course_file_names_the_grading_steps_and_the_limits():
    from notalone.config import course_config
    from notalone.grader import SandboxedExecute, grading_differences

    config = course_config(REPO / "assessments")
    assert grading_differences(config) == []
    execute = SandboxedExecute(config=config)
    assert execute.sandbox is True and execute.limits().cell_seconds == 60
    config.Autograde.autograde_preprocessors = ["nbgrader.preprocessors.Execute"]
    assert any("SandboxedExecute" in problem for problem in grading_differences(config))


def test_jupyter_configuration_folders_apply_as_in_nbgrader(tmp_path, monkeypatch):
    from notalone.config import course_config

    system, user, course = tmp_path / "etc-jupyter", tmp_path / "home-jupyter", tmp_path / "course"
    for folder in (system, user, course):
        folder.mkdir()
    (system / "nbgrader_config.py").write_text("c = get_config()\nc.Exchange.root = '/srv/nbgrader/exchange'\n"
                                               "c.CourseDirectory.course_id = 'from-the-hub'\nc.Exchange.timezone = 'UTC'\n")
    (user / "nbgrader_config.json").write_text(json.dumps({"Exchange": {"timezone": "Asia/Ho_Chi_Minh"}}))
    (course / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'not-alone'\n")
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(system))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(user))
    monkeypatch.delenv("JUPYTER_PREFER_ENV_PATH", raising=False)

    ours = course_config(course)
    nbgrader = subprocess.run([sys.executable, "-c", "import json\nfrom nbgrader.apps import NbGraderApp\n"
                               "app = NbGraderApp()\napp.initialize([])\n"
                               "print(json.dumps([app.config.Exchange.root, app.config.Exchange.timezone, "
                               "app.config.CourseDirectory.course_id]))"],
                              cwd=course, capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert nbgrader.returncode == 0, nbgrader.stderr
    theirs = json.loads(nbgrader.stdout.strip().splitlines()[-1])
    assert [ours.Exchange.root, ours.Exchange.timezone, ours.CourseDirectory.course_id] == theirs
    assert theirs[0] == "/srv/nbgrader/exchange" and theirs[2] == "not-alone", "the hub's exchange, the course's own id"


def test_a_broken_configuration_file_is_named(tmp_path, monkeypatch):
    from notalone.config import ConfigError, course_config

    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "none"))
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.Execute.timeout = (\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        course_config(tmp_path)
    assert str(tmp_path / "nbgrader_config.py") in str(error.value) and "SyntaxError" in str(error.value)


def test_grade_says_when_the_course_configuration_would_grade_differently(tmp_path, capsys, monkeypatch):
    """A course made before its nbgrader_config.py named the grading steps: `notalone grade` still grades with
    them, and says plain nbgrader would not."""
    from notalone.cli import main

    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "no-user-config"))
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    (tmp_path / "source" / "unit01").mkdir(parents=True)
    main(["grade", "unit01", "--course", str(tmp_path)])
    err = capsys.readouterr().err
    assert "c.Autograde.autograde_preprocessors leaves out" in err and "notalone.grader.SandboxedExecute" in err

