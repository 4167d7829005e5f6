"""The URL inspector view: a text box, an Inspect button, example links, a coloured breakdown and a verdict.

A thin view over widgets.url_inspector.UrlInspector. Programmatic triggers: inspect(url),
submit(url) (pressing Enter in the text box), pick_example(index), set_language(language).
Nothing is ever fetched: links are only read.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import ipywidgets as w

from ..i18n import current_language, ui
from ..rules import rules
from ..url_inspector import Inspection, UrlInspector, load_links
from .common import LocalizedView, card, escape, language_picker

SEVERITY_ICONS = {"danger": "⛔", "warning": "⚠️", "info": "ℹ️", "ok": "✅"}
# Each verdict's icon and card kind (its theme colours: common.card).
VERDICT_STYLE = {"trusted": ("✅", "good"), "unknown": ("❔", "warn"), "suspicious": ("⛔", "bad"), "invalid": ("✏️", "neutral")}
MONO = "font-family:monospace;font-size:105%;"


def marked(text: str) -> str:
    """`text` as HTML with every character that is not plain ASCII highlighted (look-alikes hide there)."""
    parts = []
    for c in text:
        if c.isascii():
            parts.append(escape(c))
        else:
            name = escape(unicodedata.name(c, "?"))
            parts.append(f"<mark class='notalone-url-odd-letter' title='U+{ord(c):04X} {name}'>{escape(c)}</mark>")
    return "".join(parts)


class UrlInspectorView(LocalizedView):
    """Take a link apart without opening it. Programmatic triggers: inspect(), submit() (Enter), pick_example(), set_language()."""

    def __init__(self, model: UrlInspector, language: str):
        self.model = model
        self.language = language
        self._title = w.HTML()
        self._picker = language_picker(language, self.set_language)
        self._intro = w.HTML()
        # continuous_update=False: the value reaches Python when the student presses Enter (or leaves the box).
        self._input = w.Text(layout=w.Layout(width="520px"), continuous_update=False)
        self._input.add_class("notalone-url-input")
        self._input.observe(self._on_submit, names="value")
        self._showing = False  # True while the view itself writes into the text box
        self._button = w.Button(button_style="primary", icon="search")
        self._button.add_class("notalone-url-inspect")
        self._button.on_click(lambda _button: self.inspect(self._input.value))
        self._note = w.HTML()
        self._examples_label = w.HTML()
        self._example_buttons = []
        rows = []
        for index, example in enumerate(model.links.examples):
            button = w.Button(description=example.url, layout=w.Layout(width="auto", max_width="520px"))
            button.add_class("notalone-url-example")
            button.on_click(lambda _button, index=index: self.pick_example(index))
            self._example_buttons.append(button)
            rows.append(w.HBox([button, w.HTML()]))
        self._examples = w.VBox(rows)
        self._result = w.HTML()
        self._result.add_class("notalone-url-result")
        self._limits = w.HTML()
        self._limits.add_class("notalone-url-limits")
        # The result sits right under the text box, so it is on screen when the student presses Enter.
        super().__init__([w.HBox([self._title, self._picker]), self._intro, w.HBox([self._input, self._button]), self._note,
                          self._result, self._limits, self._examples_label, self._examples])
        self.add_class("notalone-url-inspector")
        model.observe(self.refresh)
        self.refresh()

    # Triggers -----------------------------------------------------------------
    def inspect(self, url: str) -> Inspection:
        """Inspect a typed link, as if the student typed `url` and pressed Inspect (or Enter)."""
        self._show_in_box(url)
        return self.model.inspect(url)

    def submit(self, url: str) -> Inspection | None:
        """What pressing Enter in the text box does: inspect `url` (nothing when the box is empty)."""
        self._input.value = url  # with continuous_update=False this is exactly what Enter sends
        return self.model.current  # an unchanged box sends nothing: its link is already the one shown

    def _on_submit(self, change) -> None:
        if not self._showing and change["new"].strip():
            self.model.inspect(change["new"])

    def _show_in_box(self, url: str) -> None:
        self._showing = True
        try:
            self._input.value = url
        finally:
            self._showing = False

    def pick_example(self, index: int) -> Inspection:
        """Inspect example number `index` (0 is the first), as if the student clicked it."""
        return self.model.pick_example(index)

    # Rendering ------------------------------------------------------------------
    def refresh(self) -> None:
        lang, links, current = self.language, self.model.links, self.model.current
        self._picker.description = ui("choose_language", lang)
        self._title.value = f"<b>{escape(self._t(links.title))}</b>"
        self._intro.value = f"<p>{escape(self._t(links.intro))}</p>" if links.intro else ""
        self._intro.layout.display = None if links.intro else "none"
        self._input.placeholder = ui("url_placeholder", lang)
        self._button.description = ui("url_inspect", lang)
        self._note.value = f"<small>🔒 {escape(ui('url_never_opened', lang))}</small>"
        self._examples_label.value = f"<b>{escape(ui('url_examples', lang))}</b>"
        for index, (example, row) in enumerate(zip(links.examples, self._examples.children)):
            context = self._t(example.context) if example.context else ""
            button, label = row.children
            button.tooltip = context or example.url
            button.button_style = "info" if index == self.model.picked else ""
            label.value = f"<small>{escape(context)}</small>" if context else ""
        if current is not None and self.model.picked is not None:
            self._show_in_box(current.url)
        self._limits.value = card(f"<b>{escape(ui('url_limits_title', lang))}</b><br>"
                                  f"{escape(ui('url_limits', lang))}<br>{escape(ui('url_unsure', lang))}", "neutral")
        self._result.value = self._result_html(current) if current else card(escape(ui("url_nothing_yet", lang)))

    def _breakdown_html(self, inspection: Inspection) -> str:
        lang, parts = self.language, inspection.parts
        spans, kinds = [], []
        for kind, text in parts.pieces():
            if kind in ("punctuation", "text"):
                spans.append(f"<span class='notalone-url-part notalone-url-part-{kind}'>{escape(text)}</span>")
                continue
            label = ui(f"url_part_{kind}", lang)
            extra = "text-decoration:line-through;" if kind == "userinfo" else ("font-weight:bold;" if kind == "name" else "")
            spans.append(f"<span class='notalone-url-part notalone-url-part-{kind}' title='{escape(label)}' "
                         f"style='padding:1px 2px;{extra}'>{escape(text)}</span>")
            if kind not in kinds:
                kinds.append(kind)
        legend = " ".join(f"<span class='notalone-url-part notalone-url-part-{k}' style='padding:0 4px;font-size:85%'>"
                          f"{escape(ui(f'url_part_{k}', lang))}</span>" for k in kinds)
        lines = [f"<div class='notalone-url-breakdown' style='{MONO}word-break:break-all;margin:4px 0'>{''.join(spans)}</div>",
                 f"<div>{legend}</div>"]
        if parts.valid and parts.host:
            owner = parts.domain_unicode or ui("url_unknown_owner", lang)
            lines.append(f"<div style='margin-top:4px'>{escape(ui('url_really_opens', lang))}: <code>{marked(parts.host_unicode)}</code>"
                         f" · {escape(ui('url_owner', lang))}: <b class='notalone-url-owner'>{marked(owner)}</b>"
                         + (f" ({escape(self._t(inspection.trusted.name))})" if inspection.trusted and not inspection.target else "") + "</div>")
            if parts.host_unicode != parts.host_ascii:
                lines.append(f"<div>{escape(ui('url_decoded', lang))}: <code>{escape(parts.host_ascii)}</code> → "
                             f"<code class='notalone-url-decoded'>{marked(parts.host_unicode)}</code></div>")
        return "".join(lines)

    def _findings_html(self, inspection: Inspection) -> str:
        items = []
        for finding in inspection.findings:
            rule = rules()[finding.rule]
            kind = ui("no_rule" if rule.kind == "no" else "must_rule", self.language)
            items.append(f"<li class='notalone-url-finding notalone-url-{finding.severity}' data-code='{finding.code}'>"
                         f"{SEVERITY_ICONS[finding.severity]} {escape(finding.explain(self.language))}<br>"
                         f"<small>{escape(ui('rule', self.language))} ({escape(kind)}): {escape(self._t(rule.title))}</small></li>")
        return f"<ul style='margin:4px 0;padding-left:20px'>{''.join(items)}</ul>"

    def _result_html(self, inspection: Inspection) -> str:
        lang = self.language
        blocks = [f"<b>{escape(ui('url_breakdown', lang))}</b>"]
        for hop, step in enumerate(inspection.chain()):
            if hop:
                blocks.append(f"<div style='margin-top:8px'>↪ {escape(ui('url_leads_to', lang))}</div>")
            blocks.append(self._breakdown_html(step))
            blocks.append(f"<div style='margin-top:6px'><b>{escape(ui('url_findings', lang))}</b></div>{self._findings_html(step)}")
        icon, kind = VERDICT_STYLE[inspection.verdict]
        verdict = card(f"<b>{icon} {escape(ui('url_verdict_' + inspection.verdict, lang))}</b><br>"
                       f"{escape(ui('url_advice_' + inspection.verdict, lang))}",
                       kind, f"notalone-url-verdict notalone-url-verdict-{inspection.verdict}")
        return card("".join(blocks)) + verdict


def show_url_inspector(path: str | Path, language: str | None = None) -> UrlInspectorView:
    """The URL inspector over the links in `path` (a *.links.yaml file next to the notebook)."""
    return UrlInspectorView(UrlInspector(load_links(path)), language or current_language())
