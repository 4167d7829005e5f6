"""`notalone`: one command for curriculum authors and teachers. Every subcommand has --help."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from widgets import ContentError

from .course import check_course, format_problems, navigation_markdown
from .notebooks import clean, hygiene_problems, read_notebook
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
        print(format_problems(errors + warnings))
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
        print(error, file=sys.stderr)
        return 1
    (root / "lessons" / "README.md").write_text(text, encoding="utf-8")
    print("wrote lessons/README.md")
    return 0


def cmd_clean(args) -> int:
    for path in args.notebooks:
        notebook, problems = read_notebook(path)
        if notebook is None:
            print(format_problems(problems), file=sys.stderr)
            return 1
        if hygiene_problems(path, notebook):
            path.write_text(json.dumps(clean(notebook), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            print(f"cleaned {path}")
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
        print(f"notalone new {args.kind}: {error}", file=sys.stderr)
        return 1
    for path in created:
        print(f"wrote {path.relative_to(root)}")
    print("Next: replace the TODO texts, then run `notalone check` (it lists what is left).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="notalone", description="Not Alone course tools for authors and teachers.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check all content, notebooks and nbgrader metadata; exit 1 on problems",
                                description="Report every problem in the course, each with its file and place (line, cell or field).")
    check.add_argument("--root", type=Path, help="course folder (default: the one containing this directory)")
    check.add_argument("--strict", action="store_true", help="fail on warnings too (untranslated or unwritten TODO text)")
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
    tidy = commands.add_parser("clean", help="strip outputs and volatile metadata from notebooks (also a pre-commit hook)")
    tidy.add_argument("notebooks", nargs="+", type=Path)
    tidy.set_defaults(run=cmd_clean)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
