"""The help card and the rules card: where to get help, and the 3 Nos and 3 Musts."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import ipywidgets as w
import yaml

from ..i18n import localize, ui
from ..rules import rules
from .common import LocalizedView, card, decoration, escape, language_picker


@lru_cache(maxsize=None)
def help_card_data() -> dict:
    return yaml.safe_load(resources.files("widgets").joinpath("data", "help-card.yaml").read_text("utf-8"))


def help_card_html(language: str, *, compact: bool = False) -> str:
    data = help_card_data()
    items = "".join(
        f"<li>{decoration(item['icon'])} <b>{escape(localize(item['title'], language))}</b>"
        + ("" if compact else f": {escape(localize(item['text'], language))}") + "</li>"
        for item in data["items"])
    return card(f"<b>{escape(localize(data['title'], language))}</b><p>{escape(localize(data['intro'], language))}</p><ul>{items}</ul>",
                "info", "notalone-help-card")


def rules_html(language: str) -> str:
    columns = []
    for kind in ("no", "must"):
        label = ui("no_rule" if kind == "no" else "must_rule", language)
        items = "".join(f"<li>{escape(localize(rule.title, language))}</li>" for rule in rules().values() if rule.kind == kind)
        columns.append(f"<div style='flex:1'><b>{escape(label)}</b><ol>{items}</ol></div>")
    return f"<div class='notalone-card notalone-card-plain notalone-rules' style='display:flex;gap:16px'>{''.join(columns)}</div>"


class CardView(LocalizedView):
    """A static card (help or rules) with a language picker. Programmatic trigger: set_language()."""

    def __init__(self, render, language: str, css_class: str):
        self._render = render
        self.language = language
        self._html = w.HTML()
        self._picker = language_picker(language, self.set_language)
        super().__init__([self._picker, self._html])
        self.add_class(css_class + "-view")
        self.set_language(language)

    def refresh(self) -> None:
        self._picker.description = ui("choose_language", self.language)
        self._html.value = self._render(self.language)
