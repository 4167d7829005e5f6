"""The chat view: renders a ScenarioRun and turns clicks into model calls."""

from __future__ import annotations

import ipywidgets as w

from ..i18n import ui
from ..rules import rules
from ..scenario import ScenarioRun
from .common import CARD, LocalizedView, bubble, escape, language_picker
from .help_card import help_card_html

OUTCOME_ICONS = {"safe": "🛡️", "helped": "🤝", "at-risk": "💬"}


class ChatView(LocalizedView):
    """A branching chat with a fictional contact. Programmatic triggers: choose(), restart(), set_language()."""

    def __init__(self, model: ScenarioRun, language: str):
        self.model = model
        self.language = language
        self._header = w.HTML()
        self._picker = language_picker(language, self.set_language)
        self._transcript = w.HTML()
        self._transcript.add_class("notalone-transcript")
        self._feedback = w.HTML()
        self._feedback.add_class("notalone-feedback")
        self._prompt = w.HTML()
        self._options = w.VBox()
        self._summary = w.VBox()
        self._summary.add_class("notalone-summary")
        self._status = w.HTML()
        super().__init__([w.HBox([self._header, self._picker]), self._transcript, self._feedback, self._prompt,
                          self._options, self._summary, self._status])
        self.add_class("notalone-chat")
        model.observe(self.refresh)
        self.refresh()

    # Triggers ---------------------------------------------------------------
    def choose(self, option_id: str) -> None:
        self.model.choose(option_id)

    def restart(self) -> None:
        self.model.restart()

    # Rendering -----------------------------------------------------------------
    def refresh(self) -> None:
        model, scenario, lang = self.model, self.model.scenario, self.language
        self._picker.description = ui("choose_language", lang)
        platform = f" · {escape(self._t(scenario.platform))}" if scenario.platform else ""
        self._header.value = (f"<b>{escape(self._t(scenario.title))}</b><br>{scenario.avatar} "
                              f"{escape(self._t(scenario.contact_name))}{platform}")
        parts = []
        if scenario.content_warning:
            parts.append(f"<div class='notalone-warning' style='{CARD}background:#fff6e0'>⚠️ {escape(self._t(scenario.content_warning))}</div>")
        choices = dict(model.decisions)
        for node_id in model.visited:
            node = scenario.nodes[node_id]
            if node.when:
                parts.append(bubble(self._t(node.when), sender="narrator"))
            for message in node.messages:
                label = {"contact": self._t(scenario.contact_name), "student": ui("you", lang), "narrator": ""}[message.sender]
                parts.append(bubble(self._t(message.text), sender=message.sender, label=label))
            if node_id in choices:
                parts.append(bubble(self._t(node.decision.option(choices[node_id]).text), sender="student", label=ui("you", lang)))
        self._transcript.value = "".join(parts)
        self._feedback.value = self._feedback_html()
        self._feedback.layout.display = None if model.feedback else "none"
        node = model.node
        if node.decision:
            self._prompt.value = f"<b>{escape(self._t(node.decision.prompt))}</b>"
            self._options.children = [self._option_button(option) for option in model.options_in_order()]
        else:
            self._prompt.value = ""
            self._options.children = []
        self._summary.children = self._summary_children() if model.finished else []
        self._summary.layout.display = None if model.finished else "none"
        if model.store.read_only:
            self._status.value = f"<small>{escape(ui('answer_key_notice', lang))}</small>"
        else:
            self._status.value = f"<small>💾 {escape(ui('progress_saved', lang, file=model.store.path.name))}</small>"

    def _option_button(self, option) -> w.Button:
        button = w.Button(description=self._t(option.text), tooltip=self._t(option.text),
                          layout=w.Layout(width="auto", max_width="720px", height="auto"))
        button.add_class("notalone-option")
        button.disabled = self.model.store.read_only
        button.on_click(lambda _button, option_id=option.id: self.choose(option_id))
        return button

    def _rule_html(self, rule_id: str) -> str:
        rule = rules()[rule_id]
        kind = ui("no_rule" if rule.kind == "no" else "must_rule", self.language)
        return f"<b>{escape(ui('rule', self.language))} ({escape(kind)}):</b> {escape(self._t(rule.title))}"

    def _feedback_html(self) -> str:
        feedback = self.model.feedback
        if feedback is None:
            return ""
        lang = self.language
        if self.model.graded:
            # Graded: a neutral acknowledgement; which choices were safe, and why, comes in the feedback after grading.
            return f"<div style='{CARD}background:#eef2f7'>💾 {escape(ui('graded_choice_saved', lang))}</div>"
        verdict = f"✅ {ui('safe_choice', lang)}" if feedback.safe else f"⚠️ {ui('unsafe_choice', lang)}"
        background = "#e8f6ec" if feedback.safe else "#fff1e6"
        return (f"<div style='{CARD}background:{background}'><b>{escape(verdict)}</b><br>"
                f"<b>🚩 {escape(ui('red_flag', lang))}:</b> {escape(self._t(feedback.decision.red_flag))}<br>"
                f"{self._rule_html(feedback.decision.rule)}<br>{escape(self._t(feedback.option.feedback))}</div>")

    def _summary_children(self) -> list:
        model, lang = self.model, self.language
        ending = model.node.ending
        if model.graded:
            return self._graded_summary_children(ending)
        rows = "".join(
            f"<tr><td>{escape(self._t(row.decision.prompt))}</td><td>{escape(self._t(row.option.text))}</td>"
            f"<td>{'✅' if row.option.safe else '⚠️'}</td><td>{escape(self._t(rules()[row.decision.rule].title))}</td></tr>"
            for row in model.summary())
        html = (f"<div style='{CARD}'><h4>{OUTCOME_ICONS[ending.outcome]} {escape(ui('ending_' + ending.outcome.replace('-', '_'), lang))}: "
                f"{escape(self._t(ending.title))}</h4><p>{escape(self._t(ending.text))}</p>"
                f"<h4>{escape(ui('summary_title', lang))}</h4>"
                f"<p>{escape(ui('summary_safe_count', lang, safe=model.safe_count, total=len(model.decisions)))}</p>"
                f"<table><tr><th>{escape(ui('summary_decision', lang))}</th><th>{escape(ui('summary_your_choice', lang))}</th>"
                f"<th></th><th>{escape(ui('rule', lang))}</th></tr>{rows}</table></div>"
                f"{help_card_html(lang, compact=True)}")
        children = [w.HTML(html)]
        if not model.store.read_only:
            again = w.Button(description=ui("play_again", lang), icon="refresh")
            again.add_class("notalone-play-again")
            again.on_click(lambda _button: self.restart())
            children.append(again)
        return children

    def _graded_summary_children(self, ending) -> list:
        """The end of a graded chat: the ending, the student's choices without verdicts, and the help card."""
        lang = self.language
        rows = "".join(f"<tr><td>{escape(self._t(row.decision.prompt))}</td><td>{escape(self._t(row.option.text))}</td></tr>"
                       for row in self.model.summary())
        html = (f"<div style='{CARD}'><h4>{escape(self._t(ending.title))}</h4><p>{escape(self._t(ending.text))}</p>"
                f"<h4>{escape(ui('summary_title', lang))}</h4><p>{escape(ui('graded_choice_saved', lang))}</p>"
                f"<table><tr><th>{escape(ui('summary_decision', lang))}</th><th>{escape(ui('summary_your_choice', lang))}</th></tr>"
                f"{rows}</table></div>{help_card_html(lang, compact=True)}")
        return [w.HTML(html), w.HTML(f"<small>{escape(ui('locked_notice', lang))}</small>")]
