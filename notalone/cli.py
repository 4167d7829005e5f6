"""`notalone`: one command for curriculum authors and teachers. Every subcommand has --help."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .course import check_course, format_problems, navigation_markdown
from .notebooks import clean, hygiene_problems, read_notebook


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
    if problems:
        print(format_problems(problems))
        print(f"\n{len(problems)} problem(s) found.", file=sys.stderr)
        return 1
    print("notalone check: no problems found.")
    return 0


def cmd_nav(args) -> int:
    root = args.root or _repo_root(Path.cwd())
    (root / "lessons" / "README.md").write_text(navigation_markdown(root), encoding="utf-8")
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="notalone", description="Not Alone course tools for authors and teachers.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check all content, notebooks and nbgrader metadata; exit 1 on problems",
                                description="Report every problem in the course, each with its file and place (line, cell or field).")
    check.add_argument("--root", type=Path, help="course folder (default: the one containing this directory)")
    check.set_defaults(run=cmd_check)
    nav = commands.add_parser("nav", help="regenerate lessons/README.md from lessons/manifest.yaml")
    nav.add_argument("--root", type=Path)
    nav.set_defaults(run=cmd_nav)
    tidy = commands.add_parser("clean", help="strip outputs and volatile metadata from notebooks (also a pre-commit hook)")
    tidy.add_argument("notebooks", nargs="+", type=Path)
    tidy.set_defaults(run=cmd_clean)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
