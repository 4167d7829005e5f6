"""Two rules that make a lesson start cleanly, checked by `notalone check` on every lesson and knowledge check:

1. The first cell tells students how to run the lesson (Run ▸ Run All Cells), in the lesson's language.
2. Every cell that shows a widget works when run on its own on a fresh kernel: it imports or defines every
   name it uses and sets the lesson's language itself (a reopened lesson has an empty kernel, and students
   often run just the cell in front of them).
"""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

from widgets.errors import Problem, display_path
from widgets.i18n import FALLBACK_LANGUAGE, available_languages

from .notebooks import source

# The menu path in each language's lesson. JupyterLab's Vietnamese language pack names the menu "Chạy" but
# keeps the item "Run All Cells", so the Vietnamese hint gives that path (and the English one beside it).
RUN_ALL = {"en": "Run ▸ Run All Cells", "vi": "Chạy ▸ Run All Cells"}
BUILTINS = frozenset(dir(builtins)) | {"display", "get_ipython"}  # IPython's two extra builtins


def widget_functions() -> frozenset[str]:
    """The functions of `widgets` that show a widget: play_scenario, show_quiz, show_help_card, ..."""
    import widgets

    return frozenset(name for name in widgets.__all__ if name.startswith(("show_", "play_")))


def notebook_language(path: Path) -> str | None:
    """'vi' for unit01-online-kidnapping.vi.ipynb; None when the name carries no course language."""
    suffix = Path(path.stem).suffix.lstrip(".")
    return suffix if suffix in available_languages() else None


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _bound_names(tree: ast.AST) -> set[str]:
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound


def _sets_language(tree: ast.AST, calls: list[ast.Call], language: str) -> bool:
    """use_language("<language>") in the cell, or language="<language>" on every widget call."""
    def is_language(node) -> bool:
        return isinstance(node, ast.Constant) and node.value == language

    if any(_called_name(node) == "use_language" and node.args and is_language(node.args[0])
           for node in ast.walk(tree) if isinstance(node, ast.Call)):
        return True
    return all(any(k.arg == "language" and is_language(k.value) for k in call.keywords) for call in calls)


def widget_cell_problems(path: Path, notebook: dict) -> list[Problem]:
    """Widget cells that would fail (NameError) or show the wrong language when run on their own."""
    name, language, shown = display_path(path), notebook_language(path), widget_functions()
    problems = []
    for index, cell in enumerate(notebook.get("cells", []), 1):
        if cell.get("cell_type") != "code":
            continue
        try:
            tree = ast.parse(source(cell))
        except SyntaxError:
            continue  # nbval reports it when the lesson runs
        calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and _called_name(node) in shown]
        if not calls:
            continue
        widget = _called_name(calls[0])
        used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
        missing = sorted(used - _bound_names(tree) - BUILTINS)
        if missing:
            problems.append(Problem(name, f"cell {index}", f"shows a widget ({widget}) but uses {', '.join(missing)} "
                                    "from another cell: import or define it in this cell, so the cell works when run "
                                    "on its own on a fresh kernel (e.g. `from widgets import use_language, "
                                    f"{widget}`)"))
        if language and not _sets_language(tree, calls, language):
            problems.append(Problem(name, f"cell {index}", f"shows a widget ({widget}) but does not set the language: "
                                    f"add use_language({language!r}) to this cell, so run on its own it still "
                                    "speaks the lesson's language"))
    return problems


def run_all_problems(path: Path, notebook: dict) -> list[Problem]:
    """The first cell must say how to run the lesson, in its language."""
    language = notebook_language(path) or FALLBACK_LANGUAGE
    hint = RUN_ALL.get(language, RUN_ALL[FALLBACK_LANGUAGE])
    cells = notebook.get("cells", [])
    if cells and cells[0].get("cell_type") == "markdown" and hint in source(cells[0]):
        return []
    return [Problem(display_path(path), "cell 1", f"the first cell must tell students how to run the lesson: a Markdown "
                    f"cell naming the menu **{hint}**, in the lesson's language (a reopened lesson has an empty kernel)")]


def lesson_start_problems(path: Path, notebook: dict) -> list[Problem]:
    return run_all_problems(path, notebook) + widget_cell_problems(path, notebook)
