"""The benchmarks run and compare every score (a tiny class: this checks they work, not how fast)."""

import os
import re
import subprocess
import sys

import pytest

from nbgrader_harness import teacher_account
from support import REPO


@pytest.mark.nbgrader
@pytest.mark.parametrize("mode", ["as-root-or-you", "as-a-normal-user"])
def test_the_benchmark_prints_its_line_with_identical_scores(mode):
    command = [sys.executable, str(REPO / "bench" / "autograde.py"), "--students", "2",
               "--assignments", "unit01-online-kidnapping", "--profile"]
    if mode == "as-a-normal-user":
        if os.geteuid() != 0:
            pytest.skip("--as-user needs root; the first case already runs as a normal user")
        command += ["--as-user", teacher_account()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert re.fullmatch(r"speedup: \d+\.\d\dx identical: (yes|no)", lines[-1]), lines[-1]
    assert lines[-1].endswith("identical: yes"), result.stdout
    profile = {m.group(1).strip(): float(m.group(2)) for m in re.finditer(r"^  (.+?)\s+(\d+\.\d{3})$", result.stdout, re.M)}
    assert set(profile) >= {"staging and checks", "kernel start and stop", "student's cells", "tests", "nbgrader", "total"}
    assert all(seconds > 0 for seconds in profile.values()), profile
