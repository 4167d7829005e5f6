"""Languages: which ones exist, which one a student sees, and the user-interface strings.

A language exists when widgets/locales/<code>.yaml exists. A widget may keep its own strings in
widgets/locales/<code>.<widget>.yaml; they are merged in. Adding a language means adding those
files and the same key to every localized text in the content: no code changes.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from typing import Mapping

import yaml

from .errors import ContentError, Problem

FALLBACK_LANGUAGE = "en"
_chosen: str | None = None


@lru_cache(maxsize=None)
def available_languages() -> tuple[str, ...]:
    """Language codes with a locale file, e.g. ('en', 'vi')."""
    folder = resources.files("widgets").joinpath("locales")
    return tuple(sorted(entry.name.removesuffix(".yaml") for entry in folder.iterdir()
                        if entry.name.endswith(".yaml") and "." not in entry.name.removesuffix(".yaml")))


@lru_cache(maxsize=None)
def ui_strings(language: str) -> dict[str, str]:
    """The user-interface strings of one language, checked to have every key English has."""
    folder = resources.files("widgets").joinpath("locales")
    strings = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name == f"{language}.yaml" or (entry.name.startswith(f"{language}.") and entry.name.endswith(".yaml")):
            strings.update(yaml.safe_load(entry.read_text("utf-8")) or {})
    if language != FALLBACK_LANGUAGE:
        missing = sorted(set(ui_strings(FALLBACK_LANGUAGE)) - set(strings))
        if missing:
            raise ContentError([Problem(f"widgets/locales/{language}.yaml", key, "missing translation (the English locale has it)") for key in missing])
    return strings


def _from_environment() -> str | None:
    for variable in ("NOTALONE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        code = os.environ.get(variable, "")[:2].lower()
        if code in available_languages():
            return code
    return None


def current_language() -> str:
    """The language chosen with use_language(), else NOTALONE_LANG or the system locale, else English."""
    return _chosen or _from_environment() or FALLBACK_LANGUAGE


def use_language(language: str) -> None:
    """Show every widget created after this call in `language` (e.g. 'vi')."""
    global _chosen
    if language not in available_languages():
        raise ValueError(f"unknown language {language!r}; available: {', '.join(available_languages())}")
    _chosen = language


def ui(key: str, language: str, **values) -> str:
    """A user-interface string, with {placeholders} filled in."""
    return ui_strings(language)[key].format(**values)


def localize(text: Mapping[str, str], language: str) -> str:
    """Pick one language from a localized text. Content checks guarantee every language is present."""
    return text.get(language) or text[FALLBACK_LANGUAGE]


def translation_problems(document, data=None, path: tuple = ()) -> list[Problem]:
    """Every localized text in a document that lacks a language or names an unknown one.

    A localized text is a mapping of strings whose keys are all language codes (two or three
    lower-case letters), at least one of them a language the course has.
    """
    data = document.data if data is None else data
    problems = []
    if isinstance(data, dict):
        languages = set(available_languages())
        if data and set(data) & languages and all(isinstance(v, str) for v in data.values()) \
                and all(isinstance(k, str) and 2 <= len(k) <= 3 and k.isalpha() and k.islower() for k in data):
            for language in sorted(languages - set(data)):
                problems.append(document.problem(path, f"missing the {language!r} translation (every text needs: {', '.join(sorted(languages))})"))
            for language in sorted(set(data) - languages):
                problems.append(document.problem(path + (language,), f"unknown language {language!r}: add widgets/locales/{language}.yaml first"))
            return problems
        for key, value in data.items():
            problems += translation_problems(document, value, path + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            problems += translation_problems(document, value, path + (index,))
    return problems
