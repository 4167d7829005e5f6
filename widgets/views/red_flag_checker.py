"""The message checker: a text box whose message is checked for red-flag words (widgets.red_flags).

Programmatic triggers: check(text), set_language(language). Strings: widgets/locales/<lang>.red-flag-checker.yaml;
category labels and explanations come from the rules file. Every result ends with what to do when unsure (the
3 Musts): "nothing found" never reads as "safe". The text box carries the class notalone-red-flag-input, for the
course stylesheet (widgets/views/common.py) to give it the interface font.
"""

from __future__ import annotations

from pathlib import Path

import ipywidgets as w

from ..i18n import current_language, localize, ui
from ..red_flags import RedFlagChecker, load_rules, readings, words
from ..rules import rules
from .common import LocalizedView, card, escape, language_picker


class RedFlagCheckerView(LocalizedView):
    """Text box -> categories found, each with its explanation, the words found and the rule that answers it."""

    def __init__(self, model: RedFlagChecker, language: str):
        self.model = model
        self.language = language
        self._syncing = False
        self._title = w.HTML()
        self._picker = language_picker(language, self.set_language)
        self._intro = w.HTML()
        self._text = w.Textarea(value=model.text, layout=w.Layout(width="100%", max_width="720px", height="80px"))
        self._text.add_class("notalone-red-flag-input")
        self._text.observe(self._on_text, names="value")
        self._button = w.Button(button_style="primary", icon="search")
        self._button.add_class("notalone-red-flag-check")
        self._button.on_click(lambda _button: self.check())
        self._read_as = w.HTML()
        self._read_as.add_class("notalone-red-flag-read-as")
        self._result = w.HTML()
        self._result.add_class("notalone-red-flag-result")
        self._limits = w.HTML()
        super().__init__([w.HBox([self._title, self._picker]), self._intro, self._text, self._button, self._read_as, self._result,
                          self._limits])
        self.add_class("notalone-red-flag-checker")
        model.observe(self.refresh)
        self.refresh()

    # Triggers ---------------------------------------------------------------
    def check(self, text: str | None = None) -> list[str]:
        """Check `text` (or what is in the box) and show the result; returns the categories found."""
        if text is not None:
            self._syncing = True
            try:
                self._text.value = text
            finally:
                self._syncing = False
        return self.model.check(self._text.value)

    def _on_text(self, change) -> None:
        if not self._syncing:
            self.model.check(change["new"])

    # Rendering --------------------------------------------------------------
    def refresh(self) -> None:
        lang = self.language
        self._picker.description = ui("choose_language", lang)
        self._title.value = f"<b>🔎 {escape(ui('rfc_title', lang))}</b>"
        self._intro.value = f"<p>{escape(ui('rfc_intro', lang))}</p>"
        self._text.placeholder = ui("rfc_placeholder", lang)
        self._button.description = ui("rfc_check", lang)
        self._limits.value = f"<small>{escape(ui('rfc_limits', lang))}</small>"
        self._read_as.value = self._read_as_html()
        self._result.value = self._result_html()

    def _read_as_html(self) -> str:
        """How the checker read chat shorthand ("ko dc ns" -> "khong duoc noi"), shown only when it read something."""
        lattice = readings(self.model.text, self.model.rules.shorthand)
        read = " ".join(" ".join(options[1] if len(options) > 1 else options[0]) for options in lattice)
        if not read or read == " ".join(words(self.model.text)):
            return ""
        return f"<small>{escape(ui('rfc_read_as', self.language))}: <i>{escape(read)}</i></small>"

    def _result_html(self) -> str:
        model, lang = self.model, self.language
        if not model.text.strip():
            return card(escape(ui("rfc_empty", lang)))
        if not model.found:
            return card(f"{escape(ui('rfc_none', lang))}<p class='notalone-red-flag-unsure'>{escape(ui('rfc_unsure', lang))}</p>",
                        "neutral", "notalone-red-flag-none")
        items = []
        for category_id in model.categories:
            category = model.rules.categories[category_id]
            rule = rules()[category.rule]
            found = ", ".join(f"“{phrase}”" for phrase in model.found[category_id])
            items.append(
                f"<li class='notalone-red-flag-category' data-category='{escape(category_id)}'>"
                f"<b>🚩 {escape(localize(category.label, lang))}</b>: {escape(localize(category.explain, lang))}<br>"
                f"<small>{escape(ui('rfc_words', lang))}: {escape(found)} · {escape(ui('rule', lang))}: "
                f"{escape(localize(rule.title, lang))}</small></li>")
        heading = escape(ui("rfc_found", lang, count=len(model.found)))
        return card(f"<b>{heading}</b><ul>{''.join(items)}</ul>"
                    f"<p class='notalone-red-flag-unsure'>{escape(ui('rfc_unsure', lang))}</p>", "warn")


def show_red_flag_checker(path: str | Path | None = None, *, language: str | None = None) -> RedFlagCheckerView:
    """A live message checker using the rules in `path` (default: the course's widgets/data/keywords.red-flags.yaml)."""
    return RedFlagCheckerView(RedFlagChecker(load_rules(path)), language or current_language())
