"""The platform guide view: one app at a time, the topics a lesson asks for. Triggers: choose_platform(), set_language()."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import ipywidgets as w

from ..i18n import current_language, localize, ui
from ..platform_guide import GuideSelection, checked_line, load_guide
from ..rules import rules
from .common import LocalizedView, escape, language_picker


class PlatformGuideView(LocalizedView):
    """Where the buttons are in a real app. Programmatic triggers: choose_platform(), set_language()."""

    def __init__(self, model: GuideSelection, language: str):
        self.model, self.language = model, language
        self._syncing = False
        self._options: tuple = ()
        self._title = w.HTML()
        self._picker = language_picker(language, self.set_language)
        self._intro = w.HTML()
        self._platforms = w.Dropdown(layout=w.Layout(width="360px"))
        self._platforms.add_class("notalone-guide-platform")
        self._platforms.observe(self._on_platform, names="value")
        self._steps = w.HTML()
        self._steps.add_class("notalone-guide-steps")
        super().__init__([w.HBox([self._title, self._picker]), self._intro, self._platforms, self._steps])
        self.add_class("notalone-platform-guide")
        model.observe(self.refresh)
        self.refresh()

    # Triggers -------------------------------------------------------------------
    def choose_platform(self, platform_id: str) -> None:
        """Show another app's steps (what the dropdown does)."""
        self.model.choose_platform(platform_id)

    def _on_platform(self, change) -> None:
        if not self._syncing and change["new"]:
            self.model.choose_platform(change["new"])

    # Rendering -------------------------------------------------------------------
    def refresh(self) -> None:
        model, lang = self.model, self.language
        t = lambda text: localize(text, lang)  # noqa: E731
        self._picker.description = ui("choose_language", lang)
        self._title.value = f"<b>{escape(t(model.guide.title))}</b>"
        self._intro.value = f"<p style='max-width:720px'>{escape(t(model.guide.intro))}</p>"
        self._syncing = True
        try:
            options = tuple((f"{p.icon} {t(p.name)}".strip(), p.id) for p in model.guide.platforms)
            if options != self._options:
                self._platforms.options, self._options = options, options
            self._platforms.value = model.platform.id
            self._platforms.description = ui("guide_choose_app", lang)
        finally:
            self._syncing = False
        self._steps.value = self._steps_html()

    def _steps_html(self) -> str:
        model, lang = self.model, self.language
        t = lambda text: localize(text, lang)  # noqa: E731
        platform = model.platform
        sections = []
        for topic, steps in model.sections():
            items = "".join(f"<li>{escape(t(step))}</li>" for step in steps.steps)
            note = f"<p class='notalone-guide-note'><i>{escape(t(steps.note))}</i></p>" if steps.note else ""
            tip = f"<p class='notalone-guide-tip'>💡 {escape(t(topic.tip))}</p>" if topic.tip else ""
            rule = (f" <small>· {escape(ui('rule', lang))}: {escape(t(rules()[topic.rule].title))}</small>"
                    if topic.rule else "")
            sections.append(f"<div class='notalone-card notalone-card-plain notalone-guide-topic' data-topic='{escape(topic.id)}'>"
                            f"<b>{escape(topic.icon)} {escape(t(topic.label))}</b>{rule}{tip}<ol>{items}</ol>{note}</div>")
        checked = (f"<p class='notalone-guide-checked' style='font-size:90%'>🗓️ {escape(checked_line(platform, lang))} "
                   f"{escape(t(platform.look_for))}</p>")
        return (f"<div data-platform='{escape(platform.id)}'><h4 style='margin:6px 0'>{escape(platform.icon)} "
                f"{escape(t(platform.name))}</h4>{''.join(sections)}{checked}"
                f"<p style='font-size:90%'>{escape(ui('guide_help_line', lang))}</p></div>")


def show_platform_guide(platform: str | None = None, topics: Iterable[str] | str | None = None, *,
                        language: str | None = None, path: str | Path | None = None) -> PlatformGuideView:
    """Where the buttons are: how to block, report, set privacy and turn off location in a real app.

    `platform` is the app shown first (e.g. "zalo"; the student can pick another); `topics` the topics shown
    (e.g. ["block", "report"]; default: all). `path` is another guide file (default: the course's
    widgets/data/platforms.guide.yaml).
    """
    return PlatformGuideView(GuideSelection(load_guide(path), platform, topics), language or current_language())
