"""Pieces every view shares: safe HTML, bubbles and the language picker."""

from __future__ import annotations

import html
from typing import Callable

import ipywidgets as w

from ..i18n import available_languages, localize, ui

CARD = "border:1px solid #c8ccd4;border-radius:10px;padding:10px 12px;margin:4px 0;max-width:720px;"


def escape(text: str) -> str:
    """Content text as HTML: escaped, with line breaks kept."""
    return html.escape(text).replace("\n", "<br>")


def bubble(text: str, *, sender: str, label: str = "") -> str:
    """One chat message as HTML. The contact's messages sit left, the student's right."""
    styles = {
        "contact": "background:#f1f3f6;margin-right:25%;",
        "student": "background:#d9ecff;margin-left:25%;text-align:right;",
        "narrator": "background:transparent;font-style:italic;color:#555;text-align:center;",
    }
    heading = f"<div style='font-size:80%;color:#555'>{escape(label)}</div>" if label else ""
    return (f"<div class='notalone-message notalone-from-{sender}' style='border-radius:12px;padding:6px 10px;"
            f"margin:4px 0;{styles[sender]}'>{heading}{escape(text)}</div>")


def language_picker(language: str, on_change: Callable[[str], None]) -> w.Dropdown:
    """A small dropdown listing every language that has a locale file."""
    picker = w.Dropdown(options=[(ui("language_name", code), code) for code in available_languages()], value=language,
                        description=ui("choose_language", language), layout=w.Layout(width="220px"))
    picker.add_class("notalone-language")
    picker.observe(lambda change: on_change(change["new"]), names="value")
    return picker


class LocalizedView(w.VBox):
    """A view in one language at a time, with a language picker. Subclasses create `self._picker` with
    language_picker(language, self.set_language) and implement refresh()."""

    language: str

    def set_language(self, language: str) -> None:
        """Show the view in `language` (what the picker does)."""
        self.language = language
        self._picker.value = language
        self.refresh()

    def _t(self, text) -> str:
        return localize(text, self.language)

    def refresh(self) -> None:
        raise NotImplementedError
