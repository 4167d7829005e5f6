"""The course as a whole: the lesson manifest, its content files and the checks over all of them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .glossary import glossary_problems
from .guessing import graded_content_problems
from widgets import ContentError
from widgets.content import read_document
from widgets.errors import Problem, display_path
from widgets.i18n import available_languages, localize, translation_problems, ui_strings
from widgets.rules import rules

from .notebooks import hygiene_problems, nbgrader_problems, path_problems, read_notebook, skeleton_problems, source
from .safeguarding import character_problems, help_card_problems, warning_problems
from .lesson_rules import lesson_start_problems

UNTRANSLATED = "TODO(translate)"


PLACEHOLDER = re.compile(r"\bTODO[:\-]")  # the scaffolds' marks: "TODO: write ...", "TODO-made-up-name"


def todo_warning(text: str) -> str | None:
    """Scaffold marks still in the text (prose that merely mentions TODOs is fine)."""
    if UNTRANSLATED in text:
        return "untranslated text (marked TODO(translate)): translate it and remove the mark"
    if PLACEHOLDER.search(text):
        return "placeholder text (marked TODO) is still to be written"
    return None


def content_todo_warnings(path: Path) -> list[Problem]:
    document = read_document(path)
    return [document.problem(where, message, "warning") for where, text in document.strings()
            if (message := todo_warning(text))]


def notebook_todo_warnings(path: Path, notebook: dict) -> list[Problem]:
    return [Problem(display_path(path), f"cell {index}", message, severity="warning")
            for index, cell in enumerate(notebook.get("cells", []), 1)
            if cell.get("cell_type") == "markdown" and (message := todo_warning(source(cell)))]

MANIFEST = Path("lessons") / "manifest.yaml"
# The manifest's lists, in course order, and the kind of entry each holds.
SECTION_KINDS = {"knowledge_checks": "knowledge-check", "units": "unit", "closing": "closing"}


@dataclass(frozen=True)
class Unit:
    id: str
    title: dict
    notebooks: dict  # language -> path relative to lessons/
    rules: tuple
    kind: str = "unit"  # or "knowledge-check" or "closing" (not lessons: no lesson skeleton)


def load_manifest(root: Path) -> tuple[list[Unit], list[Problem]]:
    """The ordered units, and every problem with the manifest itself."""
    path = root / MANIFEST
    try:
        document = read_document(path)
    except ContentError as error:
        return [], error.problems
    data = document.data
    if not isinstance(data, dict) or not isinstance(data.get("units"), list):
        return [], [document.problem((), "expected a mapping with a 'units' list")]
    for section in SECTION_KINDS:
        if section != "units" and not isinstance(data.get(section, []), list):
            return [], [document.problem((section,), f"expected a list of {section.replace('_', ' ')}")]
    units, problems, seen = [], translation_problems(document), set()
    entries = [("knowledge_checks", index, entry) for index, entry in enumerate(data.get("knowledge_checks", []))]
    entries += [("units", index, entry) for index, entry in enumerate(data["units"])]
    entries += [("closing", index, entry) for index, entry in enumerate(data.get("closing", []))]
    for section, index, entry in entries:
        where = (section, index)
        missing = [key for key in ("id", "title", "notebooks") if not isinstance(entry, dict) or key not in entry]
        if missing:
            problems.append(document.problem(where, f"missing {', '.join(missing)} (each unit needs id, title, notebooks, rules)"))
            continue
        if entry["id"] in seen:
            problems.append(document.problem(where + ("id",), f"unit {entry['id']!r} is listed twice"))
        seen.add(entry["id"])
        for language in available_languages():
            notebook = entry["notebooks"].get(language) if isinstance(entry["notebooks"], dict) else None
            if not notebook:
                problems.append(document.problem(where + ("notebooks",), f"no {language!r} notebook listed"))
            elif not (path.parent / notebook).is_file():
                problems.append(document.problem(where + ("notebooks", language), f"{notebook!r} does not exist under lessons/"))
        for r_index, rule_id in enumerate(entry.get("rules", [])):
            if rule_id not in rules():
                problems.append(document.problem(where + ("rules", r_index), f"unknown rule {rule_id!r}; expected one of: {', '.join(rules())}"))
        units.append(Unit(entry["id"], entry["title"], dict(entry["notebooks"]), tuple(entry.get("rules", [])),
                          SECTION_KINDS[section]))
    return units, problems


# Every kind of content file: its name pattern and the loader that checks it.
CONTENT_KINDS = {"*.scenario.yaml": "widgets.scenario:load_scenario", "*.quiz.yaml": "widgets.quiz:load_quiz",
                 "*.sort.yaml": "widgets.sorter:load_sort", "*.links.yaml": "widgets.url_inspector:load_links",
                 "*.red-flags.yaml": "widgets.red_flags:load_rules", "*.guide.yaml": "widgets.platform_guide:load_guide",
                 "*.shorthand.yaml": "widgets.red_flags:load_shorthand"}


def loader_for(path: Path):
    import importlib
    from fnmatch import fnmatch

    for pattern, target in CONTENT_KINDS.items():
        if fnmatch(path.name, pattern):
            module, name = target.split(":")
            return getattr(importlib.import_module(module), name)
    raise KeyError(path.name)


def content_files(root: Path) -> list[Path]:
    folders = [root / "lessons", root / "assessments" / "source", root / "widgets" / "data"]  # widgets/data: the course-wide guide and keywords
    return sorted(p for folder in folders if folder.exists() for pattern in CONTENT_KINDS for p in folder.rglob(pattern))


def check_course(root: Path) -> list[Problem]:
    """Every problem an author should fix before students see the course."""
    root = Path(root)
    problems: list[Problem] = []
    for language in available_languages():
        try:
            ui_strings(language)
        except ContentError as error:
            problems += error.problems
    units, manifest_problems = load_manifest(root)
    problems += manifest_problems or content_todo_warnings(root / MANIFEST)
    scenarios = []
    for path in content_files(root):
        try:
            loader_for(path)(path)
            problems += content_todo_warnings(path)
        except ContentError as error:
            problems += error.problems
            continue
        if path.name.endswith(".scenario.yaml"):
            scenarios.append(read_document(path))
            problems += warning_problems(scenarios[-1])
    problems += character_problems(scenarios)
    listed = {(root / "lessons" / nb).resolve() for unit in units for nb in unit.notebooks.values() if unit.kind == "unit"}
    listed_checks = {(root / "lessons" / nb).resolve() for unit in units for nb in unit.notebooks.values() if unit.kind != "unit"}
    for path in sorted((root / "lessons").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        notebook, unreadable = read_notebook(path)
        problems += unreadable
        if notebook is None:
            continue
        problems += hygiene_problems(path, notebook) + path_problems(path, notebook) + notebook_todo_warnings(path, notebook)
        if path.resolve() in listed:
            problems += skeleton_problems(path, notebook)
        elif path.resolve() not in listed_checks:
            problems.append(Problem(display_path(path), "", f"not listed in {MANIFEST}: add it to a unit's notebooks"))
        problems += help_card_problems(path, notebook)  # every notebook ends with the help card
        if path.resolve() in listed | listed_checks:  # says "Run All", and each widget cell runs on its own
            problems += lesson_start_problems(path, notebook)
    source = root / "assessments" / "source"
    for path in sorted(source.rglob("*.ipynb")) if source.exists() else []:
        notebook, unreadable = read_notebook(path)
        problems += unreadable
        if notebook is not None:
            problems += hygiene_problems(path, notebook) + path_problems(path, notebook) + nbgrader_problems(path, notebook)
            if path.parent != source:  # an assignment's notebook (header.ipynb is put on top of every one)
                problems += help_card_problems(path, notebook)
    for folder in sorted(p for p in source.iterdir() if p.is_dir()) if source.exists() else []:
        problems += graded_content_problems(folder)
    problems += glossary_problems(root)  # Vietnamese narration uses lessons/glossary.yaml's terms
    return problems


def navigation_markdown(root: Path) -> str:
    """lessons/README.md, generated from the manifest: the course's table of contents in every language."""
    units, problems = load_manifest(root)
    if problems:
        raise ContentError(problems)
    lines = ["<!-- Generated by `notalone nav` from lessons/manifest.yaml. Do not edit by hand. -->", "",
             "# Not Alone · Không một mình", ""]
    lessons = [unit for unit in units if unit.kind == "unit"]
    checks = [unit for unit in units if unit.kind == "knowledge-check"]
    closing = [unit for unit in units if unit.kind == "closing"]
    for language in available_languages():
        strings = ui_strings(language)
        lines += [f"## {strings['language_name']}", "", strings["nav_start_here"], ""]  # the start command opens this page
        for number, unit in enumerate(lessons, 1):
            lines.append(f"{number}. [{localize(unit.title, language)}]({unit.notebooks[language]})")
        if closing:
            lines += ["", f"**{strings['nav_closing']}:** " +
                      " · ".join(f"[{localize(entry.title, language)}]({entry.notebooks[language]})" for entry in closing)]
        if checks:
            lines += ["", f"**{strings['nav_knowledge_checks']}:** " +
                      " · ".join(f"[{localize(check.title, language)}]({check.notebooks[language]})" for check in checks)]
        lines.append("")
    if (root / "lessons" / "glossary.yaml").is_file():
        lines += ["---", "", GLOSSARY_NOTE, ""]
    return "\n".join(lines)


GLOSSARY_NOTE = (
    "**For authors · Dành cho người viết nội dung.** [`glossary.yaml`](glossary.yaml) fixes each key term once: "
    "English, the one Vietnamese term narration uses, the variants to avoid and where northern and southern usage "
    "differ (narration uses the northern form; a character's dialogue keeps its own voice). `notalone check` warns "
    "about each variant in Vietnamese narration, with its file, place and the term to use; `--strict` makes that fail. "
    "· Tệp [`glossary.yaml`](glossary.yaml) quy định mỗi thuật ngữ chính chỉ có một cách viết tiếng Việt (ví dụ "
    "\"người lớn đáng tin cậy\", \"dấu hiệu cảnh báo\", \"cúp máy\") và liệt kê các cách viết cần tránh. Lời dẫn và "
    "lời giải thích dùng từ miền Bắc; lời thoại của nhân vật được giữ giọng vùng miền. `notalone check` chỉ ra từng chỗ "
    "dùng cách viết khác.")


def format_problems(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems)


__all__ = ["check_course", "load_manifest", "navigation_markdown", "format_problems", "display_path"]
