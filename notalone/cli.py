"""`notalone`: one command for curriculum authors and teachers. Every subcommand has --help."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from widgets import ContentError

from .course import check_course, format_problems, navigation_markdown
from .notebooks import clean, hygiene_problems, read_notebook
from .safe_text import printable, printable_lines
from .scaffold import ScaffoldError, new_lesson, new_scenario
from widgets.i18n import available_languages


def _repo_root(start: Path) -> Path:
    for folder in [start, *start.parents]:
        if (folder / "lessons" / "manifest.yaml").exists():
            return folder
    raise SystemExit(f"notalone: no lessons/manifest.yaml in {start} or above; run this inside the course folder or pass --root")


def cmd_check(args) -> int:
    root = args.root or _repo_root(Path.cwd())
    problems = check_course(root)
    nav = root / "lessons" / "README.md"
    try:
        if not nav.exists() or nav.read_text(encoding="utf-8") != navigation_markdown(root):
            from widgets.errors import Problem
            problems.append(Problem("lessons/README.md", "", "out of date with lessons/manifest.yaml; run `notalone nav`"))
    except Exception:  # manifest problems are already listed
        pass
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    if problems:
        print(printable_lines(format_problems(errors + warnings)))
        print(f"\n{len(errors)} error(s), {len(warnings)} warning(s).", file=sys.stderr)
    if errors or (warnings and args.strict):
        return 1
    print("notalone check: no errors." if warnings else "notalone check: no problems found.")
    return 0


def cmd_nav(args) -> int:
    root = args.root or _repo_root(Path.cwd())
    try:
        text = navigation_markdown(root)
    except ContentError as error:
        print(printable_lines(error), file=sys.stderr)
        return 1
    (root / "lessons" / "README.md").write_text(text, encoding="utf-8")
    print("wrote lessons/README.md")
    return 0


def cmd_clean(args) -> int:
    for path in args.notebooks:
        notebook, problems = read_notebook(path)
        if notebook is None:
            print(printable_lines(format_problems(problems)), file=sys.stderr)
            return 1
        if hygiene_problems(path, notebook):
            path.write_text(json.dumps(clean(notebook), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            print(f"cleaned {printable(path)}")
    return 0


def cmd_new(args) -> int:
    root = args.root or _repo_root(Path.cwd())
    title = {language: getattr(args, f"title_{language}", None) for language in available_languages()}
    try:
        if args.kind == "lesson":
            created = new_lesson(root, args.unit, title, args.rules)
        else:
            created = [new_scenario(root, args.unit, args.name, title)]
    except ScaffoldError as error:
        print(f"notalone new {args.kind}: {printable_lines(error)}", file=sys.stderr)
        return 1
    for path in created:
        print(f"wrote {printable(path.relative_to(root))}")
    print("Next: replace the TODO texts, then run `notalone check` (it lists what is left).")
    return 0


def _course(args) -> Path:
    root = (args.course or Path.cwd()).resolve()
    if not (root / "nbgrader_config.py").exists():
        raise SystemExit(f"notalone: {printable(root)} is not a course folder (no nbgrader_config.py); "
                         "create one with `notalone course init DIR` or pass --course DIR")
    return root


def cmd_course_init(args) -> int:
    from .teacher import CourseError, init_course

    try:
        names = init_course(args.folder, args.template)
    except CourseError as error:
        print(f"notalone course init: {printable_lines(error)}", file=sys.stderr)
        return 1
    print(f"Course ready in {printable(args.folder)} with {len(names)} assignment(s): {printable(', '.join(names))}")
    print("Next: notalone students add students.csv --course", printable(args.folder))
    return 0


def cmd_students_add(args) -> int:
    from .teacher import CourseError, add_students

    try:
        added = add_students(_course(args), args.csv)
    except CourseError as error:
        print(f"notalone students add: {printable_lines(error)}", file=sys.stderr)
        return 1
    print(f"{len(added)} student(s) added or updated.")
    return 0


def cmd_release(args) -> int:
    from .teacher import CourseError, release

    try:
        release(_course(args), args.assignment, exchange=args.exchange)
    except CourseError as error:
        print(f"notalone release: {printable_lines(error)}", file=sys.stderr)
        return 1
    where = "the exchange" if args.exchange else f"release/{printable(args.assignment)}/"
    print(f"Released {printable(args.assignment)} to {where} (no solutions, hidden tests or answer key).")
    return 0


def cmd_collect(args) -> int:
    from datetime import datetime, timezone

    from .teacher import CourseError, collect

    if not args.exchange and not args.source:
        print("notalone collect: say where from: --exchange (JupyterHub) or --from FOLDER_OR_ZIP", file=sys.stderr)
        return 2
    due = datetime.fromisoformat(args.due).astimezone(timezone.utc) if args.due else None
    try:
        report = collect(_course(args), args.assignment, None if args.exchange else args.source, due=due)
    except CourseError as error:
        print(f"notalone collect: {printable_lines(error)}", file=sys.stderr)
        return 1
    print("\n".join(report.lines()))
    return 0


# `notalone grade` option -> the nbgrader option it sets (c.Execute.timeout, c.SandboxedExecute.*).
_LIMIT_OPTIONS = {"cell_timeout": "timeout", "notebook_timeout": "notebook_seconds", "memory_mb": "memory_mb",
                  "max_processes": "processes", "max_output_kb": "output_kb", "cpu_seconds": "cpu_seconds",
                  "disk_mb": "disk_mb"}


def _grading_settings(args) -> dict:
    """Only the options given on the command line: the others stay as the course's nbgrader_config.py sets them."""
    return {setting: getattr(args, option) for option, setting in _LIMIT_OPTIONS.items()
            if getattr(args, option) is not None}


DOCTOR_HINT = "Run `notalone doctor`: it checks what grading needs here and prints the command for each missing piece."


def _progress():
    """The grader's progress line, with the student's id (a folder name) shown printable."""
    from dataclasses import replace

    from .grader import progress_bar

    show = progress_bar()
    return lambda done, total, outcome: show(done, total, replace(outcome, student=printable(outcome.student)))


def cmd_grade(args) -> int:
    from .grader import grade_assignments
    from .sandbox import SandboxUnavailable
    from .scoring import AuthoringError
    from .teacher import assignments

    root = _course(args)
    names = assignments(root) if args.assignment == ["all"] else args.assignment
    from .config import course_config
    from .grader import grading_differences

    for problem in grading_differences(course_config(root)):
        print(f"notalone grade: note: {problem} in the course's configuration, so plain `nbgrader autograde` and "
              "formgrader will not grade as this command does; copy the grading lines of the course's "
              "assessments/nbgrader_config.py into it.", file=sys.stderr)

    def announce(mechanisms) -> None:
        print("notalone grade: protections on this machine:", file=sys.stderr)
        for mechanism in mechanisms:
            print("  " + printable(mechanism.line()), file=sys.stderr)

    try:
        graded = grade_assignments(root, names, students=args.student or None, workers=args.workers,
                                   sandbox=False if args.no_sandbox else None, settings=_grading_settings(args),
                                   progress=_progress(), announce=announce)
    except SandboxUnavailable as error:
        print(f"notalone grade: refusing to grade without a sandbox.\n{printable_lines(error)}\n{DOCTOR_HINT}", file=sys.stderr)
        return 2
    except AuthoringError as error:
        print(f"notalone grade: an assignment cannot be graded outside the students' notebooks yet; nobody was graded.\n"
              f"{printable_lines(error)}\n(`notalone check` lists every such problem.)", file=sys.stderr)
        return 2
    failed = 0
    for name, outcomes in graded.items():
        for outcome in outcomes:
            for flag in outcome.flags:
                print(f"{printable(name)}: {printable(outcome.student)}: {printable(flag.kind)}: {printable(flag.reason)}")
        failed += sum(not o.graded for o in outcomes)
        print(f"{printable(name)}: graded {sum(o.graded for o in outcomes)} of {len(outcomes)} submission(s); "
              f"{sum(bool(o.flags) for o in outcomes)} flagged.")
    return 1 if failed else 0


def cmd_feedback(args) -> int:
    from .feedback import generate_feedback

    result = generate_feedback(_course(args), args.assignment, args.student)
    if not result.get("success"):
        print(printable_lines(result.get("error") or result.get("log")), file=sys.stderr)
        return 1
    print(f"Feedback written to feedback/*/{printable(args.assignment)}/ (hidden tests and active content removed).")
    if args.exchange:
        from .teacher import nbgrader_api

        released = nbgrader_api(_course(args)).release_feedback(args.assignment, args.student)
        if not released.get("success"):
            print(printable_lines(released.get("error") or released.get("log")), file=sys.stderr)
            return 1
        print("Released to nbgrader's exchange: each student fetches their own feedback (Assignments ▸ Fetch Feedback).")
    return 0


def cmd_report(args) -> int:
    from .report import write_report

    paths = write_report(_course(args), args.out, args.language)
    for path in paths:
        print(f"wrote {printable(path)}")
    return 0


def cmd_demo(args) -> int:
    from .demo import build_class
    from .grader import grade
    from .report import write_report
    from .sandbox import SandboxUnavailable
    from .teacher import CourseError

    try:
        built = build_class(args.folder, students=args.students, assignment_names=args.assignment)
    except CourseError as error:
        print(f"notalone demo: {printable_lines(error)}", file=sys.stderr)
        return 1
    print(f"Demo class: {len(built['students'])} made-up students, assignments: {', '.join(built['assignments'])}")
    for note in built["notes"]:
        print(f"  - {printable(note)}")
    for name in built["assignments"]:
        try:
            grade(args.folder, name, sandbox=False if args.no_sandbox else None, progress=_progress())
        except SandboxUnavailable as error:
            print(f"notalone demo: refusing to grade without a sandbox.\n{printable_lines(error)}\n{DOCTOR_HINT}", file=sys.stderr)
            return 2
    for path in write_report(args.folder, Path(args.folder) / "report", args.language):
        print(f"wrote {printable(path)}")
    print(f"Open {printable(Path(args.folder) / 'report' / 'report.html')} in a browser; for manual grading, `jupyter lab` in "
          f"{printable(args.folder)}, then Nbgrader > Formgrader.")
    return 0


def cmd_doctor(args) -> int:
    from .doctor import run

    return run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="notalone", description="Not Alone course tools for authors and teachers.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check all content, notebooks and nbgrader metadata; exit 1 on problems",
                                description="Report every problem in the course, each with its file and place (line, cell or field).")
    check.add_argument("--root", type=Path, help="course folder (default: the one containing this directory)")
    check.add_argument("--strict", action="store_true", help="fail on warnings too (untranslated or unwritten TODO text, a Vietnamese variant of a glossary term, ...)")
    check.set_defaults(run=cmd_check)
    nav = commands.add_parser("nav", help="regenerate lessons/README.md from lessons/manifest.yaml")
    nav.add_argument("--root", type=Path)
    nav.set_defaults(run=cmd_nav)
    new = commands.add_parser("new", help="scaffold a lesson or a scenario from the templates",
                              description="Scaffold content in every language; text still to write or translate is marked TODO.")
    kinds = new.add_subparsers(dest="kind", required=True)
    for kind, help_text in (("lesson", "a unit folder: lesson notebooks, a scenario, a self-check; registered in the manifest"),
                            ("scenario", "a new scenario file in an existing unit")):
        sub = kinds.add_parser(kind, help=help_text, description=help_text)
        sub.add_argument("unit", help="unit id, e.g. unit09-safe-gaming")
        if kind == "scenario":
            sub.add_argument("name", help="scenario name, e.g. fake-giveaway")
        for language in available_languages():
            sub.add_argument(f"--title-{language}", help=f"title in {language!r}")
        if kind == "lesson":
            sub.add_argument("--rules", nargs="*", default=[], help="rule ids the unit practises, e.g. no-secrets must-share")
        sub.add_argument("--root", type=Path)
        sub.set_defaults(run=cmd_new)
    course_parent = argparse.ArgumentParser(add_help=False)
    course_parent.add_argument("--course", type=Path, help="the course folder (default: the current folder)")

    course = commands.add_parser("course", help="set up a teacher's course folder")
    course_commands = course.add_subparsers(dest="action", required=True)
    init = course_commands.add_parser("init", help="create a course folder from assessments/ with nbgrader's layout and gradebook",
                                      description="Copy the course's nbgrader source into FOLDER and create its gradebook.")
    init.add_argument("folder", type=Path)
    init.add_argument("--template", type=Path, help="an assessments/ folder (default: the course's own, from this checkout or installed with notalone)")
    init.set_defaults(run=cmd_course_init)

    students = commands.add_parser("students", help="manage the class list")
    student_commands = students.add_subparsers(dest="action", required=True)
    add = student_commands.add_parser("add", parents=[course_parent], help="add students from a CSV (id, first_name, last_name, email)",
                                      description="Add or update students from a CSV file with a header row: id, first_name, last_name, email.")
    add.add_argument("csv", type=Path)
    add.set_defaults(run=cmd_students_add)

    rel = commands.add_parser("release", parents=[course_parent], help="generate the student version of an assignment (and release it)",
                              description="Run nbgrader generate_assignment; with --exchange also release it on JupyterHub.")
    rel.add_argument("assignment")
    rel.add_argument("--exchange", action="store_true", help="also release to nbgrader's exchange (shared JupyterHub)")
    rel.set_defaults(run=cmd_release)

    col = commands.add_parser("collect", parents=[course_parent], help="collect submissions from the exchange, a folder or a zip",
                              description="Collect into submitted/<student>/<assignment>/. File names are matched to student ids; "
                                          "duplicates, unknown students and late work are reported.")
    col.add_argument("assignment")
    col.add_argument("--exchange", action="store_true", help="collect from nbgrader's exchange (shared JupyterHub)")
    col.add_argument("--from", dest="source", type=Path, help="a folder or .zip of notebooks (LMS download, USB sticks)")
    col.add_argument("--due", help="due date, ISO 8601 (default: the assignment's due date in the gradebook)")
    col.set_defaults(run=cmd_collect)

    gr = commands.add_parser("grade", parents=[course_parent], help="autograde a whole class in parallel, each notebook sandboxed",
                             description="Autograde into nbgrader's gradebook: parallel, one fresh sandboxed kernel per notebook, "
                                         "with limits; problems are flagged, never fatal.")
    gr.add_argument("assignment", nargs="+", help="one or more assignment ids, or 'all' (one sandbox for all of them)")
    gr.add_argument("--student", action="append", help="grade only this student (repeatable)")
    gr.add_argument("--workers", type=int, help="notebooks graded at once (default: number of CPU cores)")
    gr.add_argument("--no-sandbox", action="store_true", help="grade without isolation: student code runs as you (not recommended; "
                                                                 "c.SandboxedExecute.sandbox = False)")
    # Each limit is the course's setting (nbgrader_config.py) unless given here; the defaults are the course's own.
    gr.add_argument("--cell-timeout", type=int, help="seconds per cell (c.Execute.timeout; course default 60)")
    gr.add_argument("--notebook-timeout", type=int, help="seconds per notebook (c.SandboxedExecute.notebook_seconds; default 300)")
    gr.add_argument("--memory-mb", type=int, help="memory per kernel in MiB (c.SandboxedExecute.memory_mb; default 2048)")
    gr.add_argument("--max-processes", type=int, help="processes per kernel (c.SandboxedExecute.processes; default 64)")
    gr.add_argument("--max-output-kb", type=int,
                    help="output per notebook in KiB, all types (c.SandboxedExecute.output_kb; default 2048)")
    gr.add_argument("--cpu-seconds", type=int,
                    help="CPU time per kernel, all its processes (c.SandboxedExecute.cpu_seconds; default 300)")
    gr.add_argument("--disk-mb", type=int, help="size of each kernel's in-memory working folder, /tmp and /dev/shm in MiB "
                                                "(c.SandboxedExecute.disk_mb; default 256)")
    gr.set_defaults(run=cmd_grade)

    fb = commands.add_parser("feedback", parents=[course_parent], help="feedback pages without hidden tests or active content",
                             description="Generate feedback HTML for students; hidden tests and scripts are never shown.")
    fb.add_argument("assignment")
    fb.add_argument("--student", help="only this student")
    fb.add_argument("--exchange", action="store_true", help="also release it to nbgrader's exchange (shared JupyterHub)")
    fb.set_defaults(run=cmd_feedback)

    rep = commands.add_parser("report", parents=[course_parent], help="class report per student and per skill (HTML and CSV)",
                              description="Write report.html (charts) and skills.csv / students.csv from the gradebook.")
    rep.add_argument("--out", type=Path, default=Path("report"), help="output folder (default: report/)")
    rep.add_argument("--language", default="en", help="en or vi (default en)")
    rep.set_defaults(run=cmd_report)

    demo = commands.add_parser("demo", help="a demo class of made-up students: set up, grade and report in one command",
                               description="Build a course in FOLDER with about 30 made-up students and mixed submissions, grade it and write the report.")
    demo.add_argument("folder", type=Path)
    demo.add_argument("--students", type=int, default=30)
    demo.add_argument("--assignment", action="append", help="only this assignment (repeatable; default: all of them)")
    demo.add_argument("--language", default="en")
    demo.add_argument("--no-sandbox", action="store_true", help="grade without isolation (not recommended)")
    demo.set_defaults(run=cmd_demo)

    from . import lite

    lite_parser = commands.add_parser("lite", help="the course as an offline JupyterLite site: any browser, nothing to install")
    lite.add_arguments(lite_parser)
    lite_parser.set_defaults(run=lite.run)

    doctor = commands.add_parser("doctor", help="check what grading needs on this machine (sandbox, cgroups, seccomp, fonts)",
                                 description="Check Bubblewrap, user namespaces, cgroups, seccomp and fonts, and print the exact "
                                             "command for each missing piece. Exit 1 when grading cannot run here.")
    doctor.set_defaults(run=cmd_doctor)

    from .knowledge_check import add_arguments as knowledge_check_arguments, run as knowledge_check_run

    check_report = commands.add_parser("knowledge-check", help="anonymous before/after report of the knowledge check (HTML, CSV)",
                                       description="Compare the class's anonymous answers before and after the course.")
    knowledge_check_arguments(check_report)
    check_report.set_defaults(run=knowledge_check_run)

    tidy = commands.add_parser("clean", help="strip outputs and volatile metadata from notebooks (also a pre-commit hook)")
    tidy.add_argument("notebooks", nargs="+", type=Path)
    tidy.set_defaults(run=cmd_clean)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .teacher import ensure_scripts_on_path

    ensure_scripts_on_path()
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
