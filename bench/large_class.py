"""Benchmark: does the cost per notebook stay flat as the class grows? One `notalone grade` run.

    python bench/large_class.py --students 500
    python bench/large_class.py --students 300 --as-user teacher

Builds one assignment handed in by N made-up students (`notalone demo`'s class builder), grades it
in a single `notalone grade` run, and compares the time each notebook took early in the run with
late in the run. The last line is exactly:

    graded: <n> of <N> per notebook: first <s> s, last <s> s, whole run <s> s

Machines are noisy: read the ratio of last to first, not the seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ASSIGNMENT = "unit01-online-kidnapping"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--assignment", default=ASSIGNMENT)
    parser.add_argument("--as-user", metavar="NAME", help="grade as this normal account (run the bench as root)")
    parser.add_argument("--keep", type=Path, help="build the course here and keep it")
    args = parser.parse_args()

    from notalone.demo import build_class
    from notalone.grader import RESULTS_FILE

    base = args.keep or Path(tempfile.mkdtemp(prefix="notalone-large-"))
    course = base / "course"
    built = build_class(course, students=args.students, problems=False, assignment_names=[args.assignment])
    total = len(built["students"])
    command = [sys.executable, "-m", "notalone.cli", "grade", args.assignment, "--course", str(course)]
    if args.as_user:
        subprocess.run(["chown", "-R", f"{args.as_user}:{args.as_user}", str(base)], check=True)
        os.chmod(base, 0o755)
        path = str(Path(sys.executable).parent) + os.pathsep + "/usr/bin:/bin"
        command = ["runuser", "-u", args.as_user, "--", "env", "-i", f"PATH={path}",
                   f"HOME={os.path.expanduser('~' + args.as_user)}", "LANG=C.UTF-8", *command]
    print(f"class: {total} students x 1 assignment ({args.assignment}); {os.cpu_count()} CPU cores", flush=True)
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=course)
    seconds = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"notalone grade failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    records = json.loads((course / RESULTS_FILE).read_text(encoding="utf-8")).get(args.assignment, {})
    graded = sum(1 for record in records.values() if record["graded"])
    durations = [record["seconds"] for record in records.values()]  # in the order they were graded
    window = max(1, min(20, len(durations) // 5))
    first, last = sum(durations[:window]) / window, sum(durations[-window:]) / window
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    print(f"graded: {graded} of {total} per notebook: first {first:.2f} s, last {last:.2f} s, whole run {seconds / total:.2f} s")


if __name__ == "__main__":
    main()
