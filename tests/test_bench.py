"""The benchmark runs and compares every score (a tiny class: this checks it works, not how fast)."""

import re
import subprocess
import sys

import pytest

from support import REPO


@pytest.mark.nbgrader
def test_the_benchmark_prints_its_line_with_identical_scores():
    result = subprocess.run([sys.executable, str(REPO / "bench" / "autograde.py"), "--students", "2",
                             "--assignments", "unit01-online-kidnapping"], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"speedup: \d+\.\d\dx identical: (yes|no)", last), last
    assert last.endswith("identical: yes"), result.stdout
