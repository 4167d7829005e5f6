"""Safeguarding checks over the whole course, for `notalone check`.

- Every chat (lesson or graded) opens with a content warning that, in every language, tells the
  student they can stop at any time and names the 111 hotline (the phrases are in
  widgets/data/safeguarding.yaml).
- Every notebook (lessons and assignment sources) ends with the help card: its last cell runs
  `show_help_card()`.
- One name, one role: a scenario declares its named people under `characters` (name and role).
  A name declared with two different roles anywhere in the course is an error, and so is a chat
  that mentions a name declared elsewhere without declaring it (so a reused name cannot slip in).

A name is "mentioned" where it stands as a whole word in a student-facing text, written exactly
(upper case and accents count), and is not part of a longer proper noun: "Phước Lâm" (a place) does
not mention Lâm, while "Captain Lâm", "cô Hạnh" and "Vy," do. A capitalised word next to the name
makes it part of a longer proper noun unless it is a title or a form of address (TITLES) or the
first word of a sentence ("Tell Vy"). A chat mentions a name it does not declare only when one of
its texts mentions it in every language: a name that is also a common word ("Như vậy..." at the
start of a Vietnamese sentence) is not a person.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from widgets.content import Document
from widgets.errors import Problem, display_path
from widgets.i18n import available_languages

from .notebooks import source

UNTRANSLATED = "TODO(translate)"
HELP_CARD_CALL = re.compile(r"\bshow_help_card\s*\(")
SENTENCE_START = re.compile(r"(^|[.!?:;\"'“”‘’(«…—])\s*$")
DATA_FILE = "widgets/data/safeguarding.yaml"

# Words that may stand next to a name without making it part of a longer proper noun.
TITLES = frozenset("""
    Ms Mr Mrs Miss Dr Aunt Uncle Cousin Grandma Grandpa Captain Lieutenant Officer Coach Sergeant Major Colonel
    Teacher Mum Dad Sister Brother Friend Scout
    Cô Chú Bác Dì Cậu Mợ Thím Anh Chị Em Ông Bà Thầy Bố Mẹ Ba Má Bạn HLV Trung Thượng Đại Thiếu Đội Cán
""".split())


@lru_cache(maxsize=None)
def safeguarding_data() -> dict:
    return yaml.safe_load(resources.files("widgets").joinpath("data", "safeguarding.yaml").read_text("utf-8"))


# Content warnings -----------------------------------------------------------------------------------

def warning_problems(document: Document) -> list[Problem]:
    """The content warning of one (valid) scenario: present, with 111 and 'you can stop at any time' in each language."""
    data = safeguarding_data()
    hotline, phrases = str(data["hotline"]), data.get("stop_phrases") or {}
    warning = document.data.get("content_warning")
    if not isinstance(warning, dict):
        return [document.problem(("content_warning",), "every chat needs a content_warning shown before it starts: say what "
                                 f"the story shows, that the student can stop at any time, and name {hotline} (free, 24/7)")]
    problems = []
    for language in available_languages():
        text = warning.get(language)
        if not isinstance(text, str) or UNTRANSLATED in text:
            continue  # reported as a missing or untranslated text
        where = ("content_warning", language)
        if not re.search(rf"(?<!\d){re.escape(hotline)}(?!\d)", text):
            problems.append(document.problem(where, f"the content warning must name {hotline}, the child protection hotline "
                                                    "(free, 24/7), in every language"))
        stops = phrases.get(language)
        if not stops:
            problems.append(document.problem(where, f"no 'you can stop at any time' phrases are known for {language!r}: "
                                                    f"add them to {DATA_FILE}"))
        elif not any(phrase.lower() in text.lower() for phrase in stops):
            problems.append(document.problem(where, "the content warning must tell the student they can stop at any time "
                                                    f"(write one of: {', '.join(repr(p) for p in stops)})"))
    return problems


# The help card at the end of every notebook ---------------------------------------------------------

def help_card_problems(path: Path, notebook: dict) -> list[Problem]:
    """The last non-empty cell of a notebook shows the help card (and, in an assignment, is not graded)."""
    name = display_path(path)
    cells = [(index, cell) for index, cell in enumerate(notebook.get("cells", []), 1) if source(cell).strip()]
    if not cells:
        return [Problem(name, "cells", "the notebook must end with the help card: add a last code cell that runs show_help_card()")]
    index, last = cells[-1]
    if last.get("cell_type") != "code" or not HELP_CARD_CALL.search(source(last)):
        return [Problem(name, f"cell {index}", "the notebook must end with the help card: add a last code cell that runs "
                                               "show_help_card() (in a lesson, tag it 'help-card'; in an assignment, make "
                                               "it a locked cell that is not graded)")]
    if (last.get("metadata", {}).get("nbgrader") or {}).get("grade"):
        return [Problem(name, f"cell {index}", "the help card cell must not be a grade cell: set nbgrader 'grade' to false")]
    return []


# One name, one role -----------------------------------------------------------------------------------

def _texts(document: Document):
    """(path, text) of every student-facing text: the strings of the localized texts."""
    languages = set(available_languages())
    for where, text in document.strings():
        if where and where[0] != "characters" and where[-1] in languages:
            yield where, text


def _localized_texts(document: Document):
    """(path, {language: text}) of every localized text."""
    grouped: dict[tuple, dict[str, str]] = {}
    for where, text in _texts(document):
        grouped.setdefault(where[:-1], {})[where[-1]] = text
    return grouped.items()


@lru_cache(maxsize=None)
def _name_pattern(name: str) -> re.Pattern:
    return re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")


def mentions(name: str, text: str) -> bool:
    """Whether `text` mentions the person called `name` (see the module docstring)."""
    if name not in text:
        return False
    for match in _name_pattern(name).finditer(text):
        before = re.search(r"(\w+)\s+$", text[:match.start()])
        after = re.match(r"\s+(\w+)", text[match.end():])
        if before and SENTENCE_START.search(text[:before.start()]):
            before = None  # "Tell Vy": the first word of a sentence is capitalised anyway
        neighbours = [m.group(1) for m in (before, after) if m]
        if not any(word[0].isupper() and word not in TITLES for word in neighbours):
            return True
    return False


def character_problems(documents: list[Document]) -> list[Problem]:
    """Across the scenarios of the course: each declared name has one role, appears in its own chat, and
    every chat that mentions a name declared elsewhere declares it too."""
    declared: dict[str, list[tuple[Document, int, str]]] = {}
    for document in documents:
        for index, character in enumerate(document.data.get("characters") or []):
            declared.setdefault(character["name"], []).append((document, index, character["role"]))
    problems = []
    for name, places in declared.items():
        roles = {role for _, _, role in places}
        if len(roles) > 1:
            for document, index, role in places:
                elsewhere = sorted({f"a {other} in {d.name}" for d, _, other in places if other != role})
                problems.append(document.problem(("characters", index, "role"), f"{name!r} is a {role} here but {'; '.join(elsewhere)}: "
                                                 "one name, one role across the course. Rename one of them (in every "
                                                 "language, and in the notebooks and teacher guide that mention it)"))
    for document in documents:
        own = {character["name"] for character in document.data.get("characters") or []}
        localized = list(_localized_texts(document))
        seen = set()
        for index, character in enumerate(document.data.get("characters") or []):
            if character["name"] in seen:
                problems.append(document.problem(("characters", index, "name"), f"{character['name']!r} is declared twice"))
            seen.add(character["name"])
            if not any(mentions(character["name"], text) for _, text in _texts(document)):
                problems.append(document.problem(("characters", index, "name"), f"{character['name']!r} does not appear in this "
                                                 "chat's texts: fix the spelling (exactly as written, with accents) or remove it"))
        for name in sorted(set(declared) - own):
            where = next((where for where, texts in localized if all(mentions(name, text) for text in texts.values())), None)
            if where is not None:
                roles = "; ".join(sorted({f"a {role} in {d.name}" for d, _, role in declared[name]}))
                problems.append(document.problem(where, f"mentions {name!r} ({roles}) but does not declare it under "
                                                        "'characters': declare it with the same role, or use another name"))
    return problems
