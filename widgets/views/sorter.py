"""The sorting view: one dropdown per item over a SortAttempt. Triggers: place(), check(), reset(), set_language()."""

from __future__ import annotations

from pathlib import Path

import ipywidgets as w

from ..i18n import current_language, localize, ui
from ..progress import ProgressStore
from ..rules import rules
from ..sorter import SortAttempt, SortItem, load_sort
from .common import LocalizedView, badge, card, decoration, escape, language_picker

UNPLACED = ""  # the dropdown's value for "no category yet"


class SortItemView(w.VBox):
    """One item: its text, a dropdown of categories and, after checking, whether it is right and why."""

    def __init__(self, sorter_view: "SorterView", item: SortItem):
        self.sorter_view, self.item = sorter_view, item
        self._syncing = False
        self._options: tuple = ()
        self._text = w.HTML(layout=w.Layout(width="55%"))
        self._choice = w.Dropdown(options=[(UNPLACED, UNPLACED)], value=UNPLACED, layout=w.Layout(width="40%"))
        self._choice.add_class("notalone-sorter-choice")
        self._choice.observe(self._on_choice, names="value")
        self._result = w.HTML()
        self._result.add_class("notalone-sorter-result")
        super().__init__([w.HBox([self._text, self._choice]), self._result],
                         layout=w.Layout(border="1px solid var(--jp-border-color2)", padding="4px 6px", margin="2px 0"))
        self.add_class("notalone-sorter-item")

    def _on_choice(self, change) -> None:
        if not self._syncing:
            self.sorter_view.place(self.item.id, change["new"] or None)

    def refresh(self) -> None:
        model, lang = self.sorter_view.model, self.sorter_view.language
        t = lambda text: localize(text, lang)  # noqa: E731
        self._text.value = f"<span class='notalone-sorter-text'>{escape(t(self.item.text))}</span>"
        self._choice.description = t(self.item.text)  # the dropdown's name for screen readers (its label is hidden)
        placed = model.placement(self.item.id)
        self._syncing = True
        try:
            options = tuple([(ui("sorter_choose", lang), UNPLACED)] + [
                (f"{c.icon} {t(c.label)}".strip(), c.id) for c in model.sort.categories])
            if options != self._options:  # a new list of options is sent to the browser only when the language changes
                self._choice.options, self._options = options, options
            self._choice.value = placed or UNPLACED
            self._choice.disabled = model.checked or model.store.read_only
        finally:
            self._syncing = False
        self._result.value = self._result_html(placed, lang) if model.checked else ""
        self._result.layout.display = None if model.checked else "none"

    def _result_html(self, placed: str | None, lang: str) -> str:
        model, item = self.sorter_view.model, self.item
        label = lambda category_id: localize(model.sort.category(category_id).label, lang)  # noqa: E731
        if model.is_correct(item.id):
            verdict, kind = f"{badge('✓', 'good')}<b>{escape(ui('sorter_right', lang))}.</b>", "good"
        else:
            chosen = escape(ui("sorter_your_choice", lang, category=label(placed))) if placed else ""
            verdict = f"{badge('↻', 'warn')}{chosen} <b>{escape(ui('sorter_wrong', lang, category=label(item.category)))}</b>"
            kind = "warn"
        state = "right" if model.is_correct(item.id) else "wrong"
        return card(f"{verdict}<br>{escape(localize(item.explanation, lang))}", kind, f"notalone-sorter-{state}")


class SorterView(LocalizedView):
    """A sorting activity rendered from data. Programmatic triggers: place(), check(), reset(), set_language()."""

    def __init__(self, model: SortAttempt, language: str):
        self.model, self.language = model, language
        self._title = w.HTML()
        self._picker = language_picker(language, self.set_language)
        self._instructions = w.HTML()
        self._legend = w.HTML()
        self._items = [SortItemView(self, item) for item in model.sort.items]
        self._progress = w.HTML()
        self._check = w.Button(button_style="primary", icon="check", layout=w.Layout(width="auto"))
        self._check.add_class("notalone-sorter-check")
        self._check.on_click(lambda _button: self.check())
        self._reset = w.Button(icon="refresh", layout=w.Layout(width="auto"))
        self._reset.add_class("notalone-sorter-reset")
        self._reset.on_click(lambda _button: self.reset())
        self._score = w.HTML()
        self._score.add_class("notalone-sorter-score")
        self._status = w.HTML()
        super().__init__([w.HBox([self._title, self._picker]), self._instructions, self._legend, *self._items,
                          self._progress, w.HBox([self._check, self._reset]), self._score, self._status])
        self.add_class("notalone-sorter")
        model.observe(self.refresh)
        self.refresh()

    # Triggers ---------------------------------------------------------------
    def place(self, item_id: str, category_id: str | None) -> None:
        self.model.place(item_id, category_id)

    def check(self) -> int:
        return self.model.check()

    def reset(self) -> None:
        self.model.reset()

    # Rendering -----------------------------------------------------------------
    def refresh(self) -> None:
        model, sort, lang = self.model, self.model.sort, self.language
        t = lambda text: localize(text, lang)  # noqa: E731
        self._picker.description = ui("choose_language", lang)
        rule = f"<br><small>{escape(ui('rule', lang))}: {escape(t(rules()[sort.rule].title))}</small>" if sort.rule else ""
        self._title.value = f"<b>{escape(t(sort.title))}</b>{rule}"
        self._instructions.value = f"<p>{escape(t(sort.instructions))}</p>" if sort.instructions else ""
        categories = "".join(
            f"<li>{decoration(c.icon)} <b>{escape(t(c.label))}</b>{': ' + escape(t(c.description)) if c.description else ''}</li>"
            for c in sort.categories)
        self._legend.value = card(f"<b>{escape(ui('sorter_categories', lang))}</b><ul>{categories}</ul>")
        for view in self._items:
            view.refresh()
        total = len(sort.items)
        placed = total - len(model.unplaced)
        self._progress.value = "" if model.checked else f"<small>{escape(ui('sorter_progress', lang, placed=placed, total=total))}</small>"
        self._check.description = ui("sorter_check", lang)
        self._check.disabled = model.checked or not model.complete or model.store.read_only
        self._check.layout.display = "none" if model.checked else None
        self._reset.description = ui("sorter_reset", lang)
        self._reset.layout.display = None if model.checked and not model.store.read_only else "none"
        if model.checked:
            verdict = ui("sorter_all_right" if model.score == total else "sorter_some_wrong", lang)
            self._score.value = card(f"<b>{escape(ui('sorter_score', lang, correct=model.score, total=total))}</b> {escape(verdict)}")
        else:
            self._score.value = ""
        if model.store.read_only:
            self._status.value = f"<small>{escape(ui('answer_key_notice', lang))}</small>"
        else:
            self._status.value = f"<small>{decoration('💾')} {escape(ui('progress_saved', lang, file=model.store.path.name))}</small>"


def show_sorter(path: str | Path, language: str | None = None, *, store: ProgressStore | None = None) -> SorterView:
    """A sorting view of the activity in `path`, resuming the placements saved next to the notebook."""
    attempt = SortAttempt(load_sort(path), store if store is not None else ProgressStore.for_directory())
    return SorterView(attempt, language or current_language())
