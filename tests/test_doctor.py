"""`notalone doctor` names what grading lacks and the exact command for it; `notalone grade` points to it."""

import os
import re
import shutil
import subprocess
import sys

from notalone.doctor import Finding, userns_fix

SUDO = "" if os.geteuid() == 0 else "sudo "


def notalone(*args, path: str, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": path}
    return subprocess.run([sys.executable, "-m", "notalone.cli", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120)


def test_without_bubblewrap_doctor_gives_the_install_command(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    result = notalone("doctor", path=str(empty))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if "MISSING  bubblewrap: not installed" in line)
    assert lines[at + 1].strip() == "To fix, run:"
    assert lines[at + 2].strip() == f"{SUDO}apt-get install bubblewrap"
    assert "grading needs are missing" in result.stdout


def test_with_bubblewrap_everything_needed_is_there():
    result = notalone("doctor", path=os.environ["PATH"])
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("bubblewrap", "sandbox from this account", "grading sandbox", "cgroup", "seccomp", "fonts"):
        assert re.search(rf"^  (ok|missing \(optional\)) +{name}: ", result.stdout, re.M), name


def test_user_namespace_switches_get_the_exact_sysctl():
    debian = userns_fix({"kernel.unprivileged_userns_clone": "0", "kernel.apparmor_restrict_unprivileged_userns": None,
                         "user.max_user_namespaces": "63000"}).splitlines()
    assert debian == [f"{SUDO}sysctl -w kernel.unprivileged_userns_clone=1",
                      f"echo kernel.unprivileged_userns_clone=1 | {SUDO}tee /etc/sysctl.d/90-notalone-userns.conf"]
    ubuntu = userns_fix({"kernel.unprivileged_userns_clone": "1", "kernel.apparmor_restrict_unprivileged_userns": "1",
                         "user.max_user_namespaces": "63000"})
    assert ubuntu.splitlines()[0] == f"{SUDO}sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"
    assert "user.max_user_namespaces=15000" in userns_fix({"user.max_user_namespaces": "0"})
    assert userns_fix({"kernel.unprivileged_userns_clone": "1", "kernel.apparmor_restrict_unprivileged_userns": "0",
                       "user.max_user_namespaces": "63000"}) == ""


def test_an_optional_finding_does_not_read_as_missing():
    lines = Finding("fonts", False, "none", "apt-get install fonts-noto-core", required=False).lines()
    assert lines[0].startswith("missing (optional)") and lines[-1].strip() == "apt-get install fonts-noto-core"


def test_grade_without_bubblewrap_points_to_doctor(tmp_path):
    course = tmp_path / "course"
    assert notalone("course", "init", str(course), path=os.environ["PATH"]).returncode == 0
    (tmp_path / "class.csv").write_text("id,first_name,last_name,email\nlan01,Lan,Nguyen,\n", encoding="utf-8")
    assert notalone("students", "add", str(tmp_path / "class.csv"), path=os.environ["PATH"], cwd=course).returncode == 0
    shutil.copytree(course / "source" / "unit01-online-kidnapping", course / "submitted" / "lan01" / "unit01-online-kidnapping")
    empty = tmp_path / "bin"
    empty.mkdir()
    result = notalone("grade", "unit01-online-kidnapping", path=str(empty), cwd=course)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Bubblewrap (bwrap) is not installed" in result.stderr
    assert "Run `notalone doctor`" in result.stderr
