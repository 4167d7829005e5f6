"""The pledge view: one text box per campaign rule over a Pledge. Triggers: write(), set_name(), print_card(), set_language().

Styling uses common.card() and its classes, and ipywidgets layouts only (the course CSS lives in widgets/views/common.py).
"""

from __future__ import annotations

from pathlib import Path

import ipywidgets as w

from ..i18n import current_language, localize, ui
from ..pledge import MAX_CHARACTERS, MAX_NAME, Pledge, PledgeIncomplete
from ..progress import ProgressStore
from .common import LocalizedView, card, escape, language_picker


class PledgeView(LocalizedView):
    """The closing pledge: the student's words per rule, an optional name and a Print / save card button."""

    def __init__(self, model: Pledge, language: str, folder: str | Path = "."):
        self.model, self.language, self.folder = model, language, Path(folder)
        self._syncing = False
        self._title = w.HTML()
        self._picker = language_picker(language, self.set_language)
        self._intro = w.HTML()
        self._labels, self._boxes = {}, {}
        rows = []
        for rule in model.rules():
            label = w.HTML()
            box = w.Textarea(value=model.wording(rule.id), continuous_update=False,
                             layout=w.Layout(width="100%", height="3.6em"))
            box.add_class("notalone-pledge-words")
            box.observe(lambda change, rule_id=rule.id: self._typed(rule_id, change["new"]), names="value")
            self._labels[rule.id], self._boxes[rule.id] = label, box
            rows.append(w.VBox([label, box], layout=w.Layout(margin="4px 0")))
        self._name = w.Text(value=model.name, continuous_update=False, layout=w.Layout(width="360px"))
        self._name.add_class("notalone-pledge-name")
        self._name.observe(lambda change: None if self._syncing else self.set_name(change["new"]), names="value")
        self._name_label = w.HTML()
        self._print = w.Button(button_style="primary", icon="print", layout=w.Layout(width="auto"))
        self._print.add_class("notalone-pledge-print")
        self._print.on_click(lambda _button: self.print_card())
        self._status = w.HTML()
        self._status.add_class("notalone-pledge-status")
        self._card_note = ""
        super().__init__([w.HBox([self._title, self._picker]), self._intro, *rows, self._name_label, self._name,
                          self._print, self._status])
        self.add_class("notalone-pledge")
        model.observe(self.refresh)
        self.refresh()

    # Triggers ---------------------------------------------------------------
    def write(self, rule_id: str, text: str) -> None:
        self._card_note = ""
        self.model.write(rule_id, text)

    def set_name(self, name: str) -> None:
        self._card_note = ""
        self.model.set_name(name)

    def print_card(self) -> Path | None:
        """Write the card in the view's language next to the notebook; None (and the reasons shown) if not ready."""
        try:
            path = self.model.write_card(self.folder, self.language)
        except PledgeIncomplete:
            self._card_note = "problems"
            self.refresh()
            return None
        self._card_note = path.name
        self.refresh()
        return path

    # Rendering -----------------------------------------------------------------
    def _typed(self, rule_id: str, text: str) -> None:
        if not self._syncing:
            self.write(rule_id, text)

    def refresh(self) -> None:
        model, lang = self.model, self.language
        self._picker.description = ui("choose_language", lang)
        self._title.value = f"<b>{escape(ui('pledge_title', lang))}</b>"
        self._intro.value = f"<p>{escape(ui('pledge_intro', lang))}</p>"
        self._syncing = True
        try:
            for rule in model.rules():
                kind = ui("no_rule" if rule.kind == "no" else "must_rule", lang)
                self._labels[rule.id].value = (f"<span class='notalone-pledge-rule'><small>{escape(kind)}</small><br>"
                                               f"<b>{escape(localize(rule.title, lang))}</b></span>")
                box = self._boxes[rule.id]
                box.placeholder = ui("pledge_placeholder", lang)
                if box.value != model.wording(rule.id):
                    box.value = model.wording(rule.id)
                box.disabled = model.store.read_only
                box.tooltip = f"≤ {MAX_CHARACTERS}"
            if self._name.value != model.name:
                self._name.value = model.name
            self._name.placeholder = ui("pledge_name_placeholder", lang)
            self._name.disabled = model.store.read_only
            self._name.tooltip = f"≤ {MAX_NAME}"
        finally:
            self._syncing = False
        self._name_label.value = f"<b>{escape(ui('pledge_name_label', lang))}</b>"
        self._print.description = ui("pledge_print", lang)
        self._status.value = self._status_html()

    def _status_html(self) -> str:
        model, lang = self.model, self.language
        total = len(model.rules())
        lines = [escape(ui("pledge_progress", lang, written=model.written, total=total))]
        if not model.store.read_only:
            lines.append("💾 " + escape(ui("pledge_saved", lang, file=model.store.path.name)))
        if self._card_note == "problems":
            items = "".join(f"<li>{escape(problem.message(lang))}</li>" for problem in model.problems())
            return card(f"<b>{escape(ui('pledge_problems', lang))}</b><ul>{items}</ul><small>{'<br>'.join(lines)}</small>",
                        "warn", "notalone-pledge-problems")
        if self._card_note:
            note = escape(ui("pledge_card_written", lang, file=self._card_note))
            return card(f"✅ {note}<br><small>{'<br>'.join(lines)}</small>", "good", "notalone-pledge-ready")
        return f"<small>{'<br>'.join(lines)}</small>"


def show_pledge(language: str | None = None, *, store: ProgressStore | None = None, folder: str | Path = ".") -> PledgeView:
    """The closing pledge, resuming the words saved next to the notebook; cards are written into `folder`."""
    model = Pledge(store if store is not None else ProgressStore.for_directory(folder))
    return PledgeView(model, language or current_language(), folder)
