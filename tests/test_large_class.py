"""A large class in one `notalone grade` run: every notebook is graded, and nothing stalls late in the run.

The time per notebook early and late in the run is printed by bench/large_class.py (a benchmark, so
no timing is asserted here): see its docstring.
"""

import re
import subprocess
import sys

import pytest

from support import REPO

STUDENTS = 300


@pytest.mark.nbgrader
def test_three_hundred_notebooks_in_one_run_are_all_graded():
    result = subprocess.run([sys.executable, str(REPO / "bench" / "large_class.py"), "--students", str(STUDENTS)],
                            capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    last = result.stdout.strip().splitlines()[-1]
    print(last)
    match = re.fullmatch(r"graded: (\d+) of (\d+) per notebook: first [\d.]+ s, last [\d.]+ s, whole run [\d.]+ s", last)
    assert match, last
    assert int(match.group(1)) == int(match.group(2)) == STUDENTS
