"""Benchmark: stock `nbgrader autograde` against `notalone grade`, on the same synthetic class, in one run.

    python bench/autograde.py                      # 40 students, every assignment
    python bench/autograde.py --students 10 --assignments unit01-online-kidnapping

Both graders start from identical copies of a course built by `notalone demo`'s class builder
(without the deliberately broken submissions, which the two graders treat differently on purpose).
Every score of every grade cell is compared. The last line is exactly:

    speedup: <stock seconds / notalone seconds>x identical: <yes|no>

Machines are noisy: the ratio, measured in the same run, is what counts, not the seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(command: list[str], cwd: Path) -> float:
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return elapsed


def scores(root: Path) -> dict:
    import warnings

    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    found = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id="not-alone") as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        found[(assignment.name, submission.student.id, notebook.name, grade.name)] = (
                            grade.auto_score, grade.needs_manual_grade)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40, help="class size (default 40)")
    parser.add_argument("--assignments", help="comma-separated assignment ids (default: every assignment)")
    parser.add_argument("--workers", type=int, help="notalone grade --workers (default: CPU cores)")
    parser.add_argument("--keep", type=Path, help="build the courses here and keep them")
    args = parser.parse_args()

    from notalone.demo import build_class

    base = args.keep or Path(tempfile.mkdtemp(prefix="notalone-bench-"))
    ours, stock = base / "notalone", base / "stock"
    wanted = args.assignments.split(",") if args.assignments else None
    built = build_class(ours, students=args.students, problems=False, assignment_names=wanted)
    shutil.copytree(ours, stock)
    notebooks = len(built["students"]) * len(built["assignments"])
    print(f"class: {len(built['students'])} students x {len(built['assignments'])} assignments = {notebooks} notebooks; "
          f"{os.cpu_count()} CPU cores", flush=True)

    stock_seconds = ours_seconds = 0.0
    for assignment in built["assignments"]:
        stock_time = run([sys.executable, "-m", "nbgrader", "autograde", assignment], stock)
        command = [sys.executable, "-m", "notalone.cli", "grade", assignment, "--course", str(ours)]
        ours_time = run(command + (["--workers", str(args.workers)] if args.workers else []), ours)
        stock_seconds += stock_time
        ours_seconds += ours_time
        print(f"{assignment}: nbgrader autograde {stock_time:.1f} s, notalone grade {ours_time:.1f} s "
              f"({stock_time / ours_time:.2f}x)", flush=True)

    stock_scores, our_scores = scores(stock), scores(ours)
    different = sorted(key for key in set(stock_scores) | set(our_scores) if stock_scores.get(key) != our_scores.get(key))
    for key in different[:20]:
        print(f"differs: {key}: nbgrader {stock_scores.get(key)}, notalone {our_scores.get(key)}")
    print(f"compared {len(stock_scores)} grades; per notebook: nbgrader {stock_seconds / notebooks:.2f} s, "
          f"notalone {ours_seconds / notebooks:.2f} s")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    identical = "yes" if stock_scores and not different else "no"
    print(f"speedup: {stock_seconds / ours_seconds:.2f}x identical: {identical}")


if __name__ == "__main__":
    main()
