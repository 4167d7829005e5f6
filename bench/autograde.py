"""Benchmark: stock `nbgrader autograde` against `notalone grade`, on the same synthetic class, in one run.

    python bench/autograde.py                      # 40 students, every assignment
    python bench/autograde.py --students 20 --as-user teacher --profile
    python bench/autograde.py --students 10 --assignments unit01-online-kidnapping

Both graders start from identical copies of a course built by `notalone demo`'s class builder
(without the deliberately broken submissions, which the two graders treat differently on purpose).
A teacher grades the class the way each tool is used: stock nbgrader with one `nbgrader autograde`
per assignment, notalone with one `notalone grade` for all of them (one sandbox, started once).
With --as-user NAME both graders run as that normal account (the bench must then run as root).
--profile splits notalone's time per notebook by phase. Every score of every grade cell is
compared. The last line is exactly:

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


def run(command: list[str], cwd: Path, user: str | None = None) -> float:
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    if user:
        home = os.path.expanduser("~" + user)
        command = ["runuser", "-u", user, "--", "env", "-i", f"PATH={env['PATH']}", f"HOME={home}", "LANG=C.UTF-8", *command]
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


def print_profile(course: Path, notebooks: int, wall_seconds: float) -> None:
    """Seconds per notebook by phase, summed over the workers (so they add up to more than the wall time
    per notebook when workers run side by side)."""
    import json

    from notalone.grader import PHASES, RESULTS_FILE

    totals = dict.fromkeys(PHASES, 0.0)
    for students in json.loads((course / RESULTS_FILE).read_text(encoding="utf-8")).values():
        for record in students.values():
            for phase, seconds in (record.get("timings") or {}).items():
                totals[phase] = totals.get(phase, 0.0) + seconds
    print(f"profile (seconds per notebook, worker time; wall time per notebook {wall_seconds / notebooks:.3f} s):")
    for phase, seconds in totals.items():
        print(f"  {phase:<24} {seconds / notebooks:.3f}")
    print(f"  {'total':<24} {sum(totals.values()) / notebooks:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40, help="class size (default 40)")
    parser.add_argument("--assignments", help="comma-separated assignment ids (default: every assignment)")
    parser.add_argument("--workers", type=int, help="notalone grade --workers (default: CPU cores)")
    parser.add_argument("--keep", type=Path, help="build the courses here and keep them")
    parser.add_argument("--as-user", metavar="NAME", help="run both graders as this normal account (run the bench as root)")
    parser.add_argument("--profile", action="store_true", help="print where notalone's time per notebook goes")
    args = parser.parse_args()
    if args.as_user and os.geteuid() != 0 and args.as_user != os.environ.get("USER"):
        parser.error("--as-user needs the bench to run as root")

    from notalone.demo import build_class

    base = args.keep or Path(tempfile.mkdtemp(prefix="notalone-bench-"))
    ours, stock = base / "notalone", base / "stock"
    wanted = args.assignments.split(",") if args.assignments else None
    built = build_class(ours, students=args.students, problems=False, assignment_names=wanted)
    shutil.copytree(ours, stock)
    notebooks = len(built["students"]) * len(built["assignments"])
    print(f"class: {len(built['students'])} students x {len(built['assignments'])} assignments = {notebooks} notebooks; "
          f"{os.cpu_count()} CPU cores", flush=True)

    if args.as_user:
        subprocess.run(["chown", "-R", f"{args.as_user}:{args.as_user}", str(base)], check=True)
        os.chmod(base, 0o755)
    stock_seconds = 0.0
    for assignment in built["assignments"]:
        stock_time = run([sys.executable, "-m", "nbgrader", "autograde", assignment], stock, args.as_user)
        stock_seconds += stock_time
        print(f"{assignment}: nbgrader autograde {stock_time:.1f} s", flush=True)
    command = [sys.executable, "-m", "notalone.cli", "grade", *built["assignments"], "--course", str(ours)]
    ours_seconds = run(command + (["--workers", str(args.workers)] if args.workers else []), ours, args.as_user)
    print(f"all assignments: nbgrader autograde {stock_seconds:.1f} s, notalone grade {ours_seconds:.1f} s "
          f"(one run{', as ' + args.as_user if args.as_user else ', as ' + ('root' if os.geteuid() == 0 else 'you')})",
          flush=True)
    if args.profile:
        print_profile(ours, notebooks, ours_seconds)

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
