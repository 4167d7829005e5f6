"""Checks on notebooks: clean commits, the lesson skeleton, paths that resolve and nbgrader metadata."""

from __future__ import annotations

import json
import re
from pathlib import Path

from widgets.validators import VALIDATORS
from widgets.errors import Problem, display_path

LESSON_SECTIONS = ("content-warning", "objectives", "narrative", "scenario", "self-check", "key-points", "help-card")
VOLATILE_CELL_METADATA = ("execution", "ExecuteTime", "collapsed", "scrolled", "jupyter")
VOLATILE_NOTEBOOK_METADATA = ("widgets", "toc", "varInspector", "vscode", "colab")
CONTENT_PATH = re.compile(r"""["']([^"'\s]+\.(?:ya?ml|json|csv|txt|png|jpe?g))["']""")
MARKDOWN_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def read_notebook(path: Path) -> tuple[dict | None, list[Problem]]:
    try:
        return json.loads(path.read_text(encoding="utf-8")), []
    except (ValueError, UnicodeDecodeError) as error:
        return None, [Problem(display_path(path), "", f"not a readable notebook: {error}")]


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def hygiene_problems(path: Path, notebook: dict) -> list[Problem]:
    """Outputs, execution counts and volatile metadata must not be committed."""
    name, problems = display_path(path), []
    for key in VOLATILE_NOTEBOOK_METADATA:
        if key in notebook.get("metadata", {}):
            problems.append(Problem(name, f"metadata.{key}", "volatile notebook metadata; run `notalone clean`"))
    for index, cell in enumerate(notebook.get("cells", []), 1):
        if cell.get("outputs"):
            problems.append(Problem(name, f"cell {index}", "committed with outputs; run `notalone clean`"))
        if cell.get("execution_count") is not None:
            problems.append(Problem(name, f"cell {index}", "committed with an execution count; run `notalone clean`"))
        for key in VOLATILE_CELL_METADATA:
            if key in cell.get("metadata", {}):
                problems.append(Problem(name, f"cell {index}", f"volatile cell metadata {key!r}; run `notalone clean`"))
    return problems


def clean(notebook: dict) -> dict:
    """The notebook without outputs, execution counts or volatile metadata."""
    for key in VOLATILE_NOTEBOOK_METADATA:
        notebook.get("metadata", {}).pop(key, None)
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
        for key in VOLATILE_CELL_METADATA:
            cell.get("metadata", {}).pop(key, None)
    return notebook


def skeleton_problems(path: Path, notebook: dict) -> list[Problem]:
    """A lesson has every section, in order, each marked by a cell tag."""
    name = display_path(path)
    order = []
    for index, cell in enumerate(notebook.get("cells", []), 1):
        for tag in cell.get("metadata", {}).get("tags", []):
            if tag in LESSON_SECTIONS and (not order or order[-1][0] != tag):
                order.append((tag, index))
    found = [tag for tag, _ in order]
    problems = [Problem(name, "cells", f"missing the {section!r} section: tag its cells with {section!r} (lessons need: "
                        f"{', '.join(LESSON_SECTIONS)})") for section in LESSON_SECTIONS if section not in found]
    expected = [section for section in LESSON_SECTIONS if section in found]
    first_seen = []
    for tag, index in order:
        if tag not in first_seen:
            first_seen.append(tag)
            if first_seen != expected[:len(first_seen)]:
                problems.append(Problem(name, f"cell {index}", f"section {tag!r} is out of order; expected: {', '.join(LESSON_SECTIONS)}"))
                break
    return problems


def _expected_values(code: str) -> set[str]:
    """Strings written as the expected value or hint of a check(...) call."""
    import ast

    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "check":
            for keyword in node.keywords:
                if keyword.arg in ("expect", "why"):
                    found |= {c.value for c in ast.walk(keyword.value) if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    return found


def path_problems(path: Path, notebook: dict) -> list[Problem]:
    """Data files named in code and links or images in Markdown must exist next to the notebook."""
    name, folder, problems = display_path(path), path.parent, []
    for index, cell in enumerate(notebook.get("cells", []), 1):
        text = source(cell)
        targets = CONTENT_PATH.findall(text) if cell.get("cell_type") == "code" else MARKDOWN_LINK.findall(text)
        expected = _expected_values(text) if cell.get("cell_type") == "code" else set()
        for target in targets:
            if target in expected:  # check(..., expect={"file": "x.png"}): a value a function returns, not a path here
                continue
            target = target.split("#")[0]
            named_check = re.match(r"^([a-z][a-z0-9-]*):(.+)$", target)
            if named_check and named_check.group(1) in VALIDATORS:  # check(..., satisfies="photo-without-exif:photos/x.jpg")
                target = named_check.group(2)
            elif not target or re.match(r"^[a-z]+:", target):
                if target.startswith(("http:", "https:")):
                    problems.append(Problem(name, f"cell {index}", f"links to {target}: lessons must work offline; ship the resource with the course"))
                continue
            if not (folder / target).exists():
                problems.append(Problem(name, f"cell {index}", f"{target!r} does not exist (looked in {display_path(folder)})"))
    return problems


def nbgrader_problems(path: Path, notebook: dict, seen_ids: set | None = None) -> list[Problem]:
    """Grade cells: unique grade_id, points, a skill tag, and balanced solution and hidden-test markers."""
    name, problems = display_path(path), []
    seen_ids = set() if seen_ids is None else seen_ids
    for index, cell in enumerate(notebook.get("cells", []), 1):
        meta = cell.get("metadata", {}).get("nbgrader")
        text = source(cell)
        for begin, end in (("### BEGIN SOLUTION", "### END SOLUTION"), ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")):
            opened = closed = 0
            for line in text.splitlines():
                opened += line.strip() == begin
                closed += line.strip() == end
                if closed > opened:
                    break
            if opened != closed:
                problems.append(Problem(name, f"cell {index}", f"unbalanced markers: {opened} × {begin!r} and {closed} × {end!r}"))
        if not meta:
            continue
        if meta.get("solution") is False and "### BEGIN SOLUTION" in text:
            problems.append(Problem(name, f"cell {index}", "solution markers in a cell that is not a solution cell"))
        grade_id = meta.get("grade_id")
        if not grade_id:
            problems.append(Problem(name, f"cell {index}", "nbgrader cell without a grade_id"))
        elif grade_id in seen_ids:
            problems.append(Problem(name, f"cell {index}", f"grade_id {grade_id!r} is used twice"))
        seen_ids.add(grade_id)
        if meta.get("grade"):
            points = meta.get("points")
            if not isinstance(points, (int, float)) or points <= 0:
                problems.append(Problem(name, f"cell {index}", f"grade cell {grade_id!r} needs points > 0, found {points!r}"))
            tags = [t for t in cell.get("metadata", {}).get("tags", []) if t.startswith("skill:")]
            if not tags:
                problems.append(Problem(name, f"cell {index}", f"grade cell {grade_id!r} needs a skill tag (skill:<rule id> or skill:python)"))
    return problems
