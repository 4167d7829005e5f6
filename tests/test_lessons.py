"""The lessons themselves: every notebook executes (nbval) and the whole course passes `notalone check`."""

import re
import shutil
import subprocess
import sys


from notalone.course import check_course, format_problems, load_manifest, navigation_markdown
from widgets.i18n import available_languages

from support import REPO


def test_the_course_passes_notalone_check():
    problems = check_course(REPO)
    assert not problems, "\n" + format_problems(problems)


def test_the_navigation_page_is_generated_from_the_manifest():
    assert (REPO / "lessons" / "README.md").read_text(encoding="utf-8") == navigation_markdown(REPO), \
        "lessons/README.md is out of date: run `notalone nav`"


def test_every_unit_has_a_notebook_in_every_language():
    units, problems = load_manifest(REPO)
    assert units and not problems
    for unit in units:
        assert set(unit.notebooks) == set(available_languages())


def test_every_lesson_notebook_executes_under_nbval(tmp_path):
    """Runs nbval on a copy of lessons/, so progress files never land in the repo."""
    shutil.copytree(REPO / "lessons", tmp_path / "lessons", ignore=shutil.ignore_patterns("notalone-progress*.json"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider", "-v", "--rootdir", str(tmp_path), "lessons"],
        cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    # nbval names items like "lessons/unit01/lesson::en::ipynb::Cell 0".
    executed = {name.replace("::", ".") for name in re.findall(r"^(\S+?)::Cell \d+ PASSED", result.stdout, re.M)}
    units, _ = load_manifest(REPO)
    expected = {f"lessons/{notebook}" for unit in units for notebook in unit.notebooks.values()}
    assert expected <= executed, f"not executed: {expected - executed}"
