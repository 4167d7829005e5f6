"""The package as a teacher installs it: the sdist and the wheel built from it hold the whole course (lessons,
assessments, teacher guide), and in a fresh virtual environment outside the checkout `notalone demo` (graded in
the Bubblewrap sandbox) and `notalone course init` work.

Dependencies are downloaded once into a wheelhouse next to this environment; later runs install offline from it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from support import REPO

SOURCES = ["pyproject.toml", "README.md", "LICENSE", "notalone", "widgets", "lessons", "assessments", "teacher-guide"]
WHEELHOUSE = Path(sys.prefix) / "not-alone-wheelhouse"
COURSE = "notalone/course_content"


def run(*command, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{command}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """(sdist, wheel): `python -m build` makes the sdist, then the wheel from the sdist."""
    tmp = tmp_path_factory.mktemp("build")
    source = tmp / "not-alone"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "notalone-progress.json*", "*.egg-info")
    for name in SOURCES:
        path = REPO / name
        shutil.copytree(path, source / name, ignore=ignore) if path.is_dir() else shutil.copy2(path, source / name)
    run(sys.executable, "-m", "build", "--outdir", tmp / "dist", source, timeout=300)
    return next((tmp / "dist").glob("*.tar.gz")), next((tmp / "dist").glob("*.whl"))


def course_files() -> set[str]:
    """The course as checked in: every file of lessons/, assessments/ and teacher-guide/ (paths from the repo)."""
    listed = subprocess.run(["git", "ls-files", "lessons", "assessments", "teacher-guide"], cwd=REPO,
                            capture_output=True, text=True).stdout.split()
    assert listed, "git ls-files found no course files"
    return set(listed)


def test_the_wheel_and_the_sdist_hold_the_whole_course(built):
    sdist, wheel = built
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    with tarfile.open(sdist) as archive:
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for path in course_files():
        if (REPO / path).is_file():
            assert f"{COURSE}/{path}" in in_wheel, f"the wheel lacks {path}"
            assert path in in_sdist, f"the sdist lacks {path}"
    for template in ("notalone/templates/report.html.j2", "notalone/templates/feedback_offline/index.html.j2"):
        assert template in in_wheel
    assert not [n for n in in_wheel if "__pycache__" in n or "notalone-progress.json" in n or ".ipynb_checkpoints" in n]


def test_installed_wheel_runs_the_demo_and_sets_up_a_course_outside_the_checkout(built, tmp_path):
    _, wheel = built
    env = tmp_path / "env"
    run(sys.executable, "-m", "venv", env)
    pip = [env / "bin" / "python", "-m", "pip", "--disable-pip-version-check", "-q"]
    offline = subprocess.run([*map(str, pip), "install", "--no-index", "--find-links", str(WHEELHOUSE), str(wheel)],
                             capture_output=True, text=True)
    if offline.returncode != 0:  # first run, or a changed dependency: fill the wheelhouse, then install offline
        run(sys.executable, "-m", "pip", "download", "-q", "--dest", WHEELHOUSE, wheel, timeout=900)
        for stale in WHEELHOUSE.glob("not_alone-*"):  # pip download copies the wheel too; an older one would be reused
            stale.unlink()
        run(*pip, "install", "--no-index", "--find-links", WHEELHOUSE, wheel, timeout=600)
    run(*pip, "check")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    clean_env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    clean_env["PATH"] = f"{env / 'bin'}{os.pathsep}{clean_env.get('PATH', '')}"
    where = run(env / "bin" / "python", "-c", "import notalone.locations as l; print(l.course_root())",
                cwd=outside, env=clean_env).stdout.strip()
    assert where.startswith(str(env)) and where.endswith("course_content"), where

    demo = run(env / "bin" / "notalone", "demo", outside / "demo-class", "--students", "2", "--assignment",
               "unit01-online-kidnapping", cwd=outside, env=clean_env,
               timeout=600)
    assert (outside / "demo-class" / "report" / "report.html").is_file(), demo.stdout
    assert "refusing to grade" not in demo.stderr
    assert list((outside / "demo-class" / "autograded").glob("*/unit01-online-kidnapping/*.ipynb")), "nothing was graded"

    run(env / "bin" / "notalone", "course", "init", outside / "class-10A", cwd=outside, env=clean_env, timeout=300)
    shipped = sorted(p.name for p in (REPO / "assessments" / "source").iterdir() if p.is_dir())
    created = sorted(p.name for p in (outside / "class-10A" / "source").iterdir() if p.is_dir())
    assert created == shipped and (outside / "class-10A" / "gradebook.db").is_file()
