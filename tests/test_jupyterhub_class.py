"""A class on a real JupyterHub: an instructor and two students as separate accounts, sharing nbgrader's
exchange in a folder, the hub and its proxy (configurable-http-proxy, from the npm registry) on loopback.

The instructor releases with `notalone release --exchange`. Each student fetches and submits through
nbgrader's own student service in their single-user server (what JupyterLab's Assignments panel calls),
and edits their notebook through the server's contents API. The instructor collects, grades, writes and
releases feedback, and reports with `notalone`; each student fetches their own feedback and only theirs.
The hub's exchange settings live in a Jupyter configuration folder (JUPYTER_CONFIG_PATH, as /etc/jupyter
would be on a school server), which `notalone` reads as nbgrader does.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat
import pytest
import yaml

from nbgrader_harness import build_submission, expected_scores, teacher_account
from support import REPO

pytestmark = [pytest.mark.nbgrader,
              pytest.mark.skipif(os.geteuid() != 0, reason="a hub that spawns servers for other accounts runs as root")]

ASSIGNMENT = "unit01-online-kidnapping"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
INSTRUCTOR = "na-instructor"
STUDENTS = {"na-student1": "perfect", "na-student2": "partial"}
PROXY = REPO / "tests" / ".node" / "node_modules" / ".bin" / "configurable-http-proxy"
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _account(name: str) -> None:
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
    home = Path(pwd.getpwnam(name).pw_dir)
    for path in list(home.iterdir()):  # a clean home for every run
        shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()


class Hub:
    def __init__(self, folder: Path, config_path: Path):
        self.port, self.token = _free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        config = folder / "jupyterhub_config.py"
        config.write_text(f"""
c = get_config()
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {self.port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {_free_port()}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{_free_port()}"
c.ConfigurableHTTPProxy.command = [{str(PROXY)!r}]
c.JupyterHub.db_url = "sqlite:///{folder}/hub.sqlite"
c.JupyterHub.cookie_secret_file = "{folder}/cookie_secret"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [{str(BIN / 'jupyterhub-singleuser')!r}]
c.Spawner.environment = {{"JUPYTER_CONFIG_PATH": {str(config_path)!r}, "PATH": "{BIN}:/usr/bin:/bin"}}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.JupyterHub.services = [{{"name": "class-test", "api_token": {self.token!r}}}]
c.JupyterHub.load_roles = [{{"name": "class-test", "services": ["class-test"],
                             "scopes": ["admin:users", "admin:servers", "access:servers", "read:users"]}}]
""", encoding="utf-8")
        self.log = open(folder / "hub.log", "w")
        env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
        self.process = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(config)], cwd=folder, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self._wait(lambda: self.api("GET", "/hub/api/") is not None, 90, "the hub to start")

    def _wait(self, ready, seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the hub stopped:\n{Path(self.log.name).read_text()[-3000:]}"
            try:
                if ready():
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"timed out waiting for {what}:\n{Path(self.log.name).read_text()[-3000:]}")

    def api(self, method: str, path: str, data=None, form: bool = False):
        body = None
        headers = {"Authorization": f"token {self.token}"}
        if data is not None:
            body = urllib.parse.urlencode(data).encode() if form else json.dumps(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded" if form else "application/json"
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=120) as response:
            text = response.read().decode()
            return json.loads(text) if text.strip() else {}

    def start_server(self, user: str) -> None:
        self.api("POST", f"/hub/api/users/{user}")
        self.api("POST", f"/hub/api/users/{user}/server")
        self._wait(lambda: self.api("GET", f"/hub/api/users/{user}")["servers"].get("", {}).get("ready"), 120,
                   f"{user}'s server")

    def user(self, user: str, method: str, path: str, data=None, form: bool = False):
        return self.api(method, f"/user/{user}{path}", data, form)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def _as(account: str, *argv: str, config_path: Path, cwd: Path) -> subprocess.CompletedProcess:
    home = pwd.getpwnam(account).pw_dir
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": home, "USER": account, "LANG": "C.UTF-8",
           "JUPYTER_CONFIG_PATH": str(config_path)}
    result = subprocess.run(["runuser", "-u", account, "--", "env", "-i", *[f"{k}={v}" for k, v in env.items()], *argv],
                            cwd=cwd, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"{' '.join(argv)} as {account} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    assert PROXY.exists(), "scripts/test.sh installs configurable-http-proxy from the npm registry into tests/.node"
    teacher_account()  # makes the checkout and its Python reachable by other accounts
    for name in (INSTRUCTOR, *STUDENTS):
        _account(name)
    folder = Path(tempfile.mkdtemp(prefix="notalone-hub-"))
    os.chmod(folder, 0o755)
    exchange, config_path = folder / "exchange", folder / "etc-jupyter"
    exchange.mkdir()
    os.chmod(exchange, 0o1777)  # as nbgrader's documentation asks for a shared exchange
    config_path.mkdir()
    (config_path / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\nc.CourseDirectory.course_id = 'not-alone'\n", encoding="utf-8")
    hub = Hub(folder, config_path)
    try:
        yield {"folder": folder, "exchange": exchange, "config_path": config_path, "hub": hub}
    finally:
        hub.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _student_files(spec: dict, course: Path, student: str) -> dict[str, str]:
    """The notebook and choices the spec describes, built from the instructor's release."""
    scratch = Path(tempfile.mkdtemp(prefix="notalone-hub-work-"))
    try:
        for part in ("release", "source"):
            shutil.copytree(course / part / ASSIGNMENT, scratch / part / ASSIGNMENT)
        build_submission(scratch, ASSIGNMENT, student, spec)
        done = scratch / "submitted" / student / ASSIGNMENT
        return {name: (done / name).read_text(encoding="utf-8") for name in (NOTEBOOK, "notalone-progress.json")
                if (done / name).exists()}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test_a_class_on_jupyterhub(school):
    hub, config_path = school["hub"], school["config_path"]
    instructor_home = Path(pwd.getpwnam(INSTRUCTOR).pw_dir)
    course = instructor_home / "course"
    roster = instructor_home / "class.csv"
    roster.write_text("id,first_name,last_name,email\n" + "".join(f"{s},{s},Test,\n" for s in STUDENTS), encoding="utf-8")
    shutil.chown(roster, INSTRUCTOR, INSTRUCTOR)
    notalone = str(BIN / "notalone")
    run = lambda *argv: _as(INSTRUCTOR, *argv, config_path=config_path, cwd=instructor_home)  # noqa: E731
    run(notalone, "course", "init", str(course))
    run(notalone, "students", "add", str(roster), "--course", str(course))
    run(notalone, "release", ASSIGNMENT, "--exchange", "--course", str(course))
    assert (school["exchange"] / "not-alone" / "outbound" / ASSIGNMENT / NOTEBOOK).exists(), \
        "the release reached the exchange named in the hub's configuration folder"

    specs = yaml.safe_load((REPO / "tests" / "assignments" / f"{ASSIGNMENT}.yaml").read_text(encoding="utf-8"))["submissions"]
    for student, spec_name in STUDENTS.items():
        hub.start_server(student)
        listed = hub.user(student, "GET", "/assignments?course_id=not-alone")
        assert any(a["assignment_id"] == ASSIGNMENT and a["status"] == "released" for a in listed["value"]), listed
        fetched = hub.user(student, "POST", "/assignments/fetch", {"course_id": "not-alone", "assignment_id": ASSIGNMENT}, form=True)
        where = next(a["path"] for a in fetched["value"] if a["assignment_id"] == ASSIGNMENT and a["status"] == "fetched")
        for name, text in _student_files(specs[spec_name], course, student).items():
            model = {"type": "notebook", "format": "json", "content": json.loads(text)} if name.endswith(".ipynb") \
                else {"type": "file", "format": "text", "content": text}
            hub.user(student, "PUT", f"/api/contents/{where}/{name}", model)
        submitted = hub.user(student, "POST", "/assignments/submit", {"course_id": "not-alone", "assignment_id": ASSIGNMENT}, form=True)
        assert submitted.get("success", True) is not False, submitted

    collected = run(notalone, "collect", ASSIGNMENT, "--exchange", "--course", str(course))
    assert "collected 2 submission(s)" in collected.stdout, collected.stdout
    graded = run(notalone, "grade", ASSIGNMENT, "--course", str(course))
    assert "graded 2 of 2" in graded.stdout and "on   namespaces" in graded.stderr, graded.stdout + graded.stderr
    run(notalone, "feedback", ASSIGNMENT, "--exchange", "--course", str(course))
    run(notalone, "report", "--course", str(course), "--out", str(course / "report"))
    assert (course / "report" / "report.html").exists()

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course}/gradebook.db", "not-alone") as gb:
        for student, spec_name in STUDENTS.items():
            grades = {g.name: g.auto_score for g in gb.find_submission_notebook(ASSIGNMENT[:], ASSIGNMENT, student).grades
                      if g.auto_score is not None}
            expected = expected_scores(course, ASSIGNMENT, specs[spec_name])
            assert {k: grades[k] for k in expected} == expected, f"{student}: {grades}"
        totals = {s: gb.find_submission(ASSIGNMENT, s).score for s in STUDENTS}
    assert len(set(totals.values())) == 2, totals

    pages = {}
    for student in STUDENTS:
        listed = hub.user(student, "POST", "/assignments/fetch_feedback", {"course_id": "not-alone", "assignment_id": ASSIGNMENT},
                          form=True)
        home = Path(pwd.getpwnam(student).pw_dir)
        found = sorted(home.rglob(f"feedback/*/{ASSIGNMENT}.html"))
        assert len(found) == 1, f"{student} should have exactly their own feedback: {found} ({listed})"
        assert found[0].stat().st_uid == pwd.getpwnam(student).pw_uid
        pages[student] = found[0].read_text(encoding="utf-8")
    for student, page in pages.items():
        assert f"{totals[student]:g}" in page or f"{totals[student]}" in page, f"{student}'s page shows their own score"
        assert "<script" not in page.lower(), "feedback pages carry no script"
    assert pages["na-student1"] != pages["na-student2"]
    # Another student's feedback cannot be found in the exchange: its folder cannot be listed.
    feedback = school["exchange"] / "not-alone" / "feedback"
    listing = subprocess.run(["runuser", "-u", "na-student2", "--", "ls", str(feedback)], capture_output=True, text=True)
    assert listing.returncode != 0, f"a student could list every feedback file: {listing.stdout}"
