"""The chat view: renders a ScenarioRun and turns clicks into model calls."""

from __future__ import annotations

import ipywidgets as w

from ..i18n import ui
from ..rules import rules
from ..scenario import ScenarioRun
from .common import LocalizedView, badge, bubble, card, decoration, escape, language_picker, support_html
from .help_card import help_card_html

OUTCOME_ICONS = {"safe": "🛡️", "helped": "🤝", "at-risk": "💬"}


class ChatView(LocalizedView):
    """A branching chat with a fictional contact. Programmatic triggers: choose(), restart(), set_language().

    It reads in order: the story so far ends with the student's reply, the feedback on that reply comes next,
    then the contact's new messages and the next options. After a choice or a restart the new content is
    announced (an aria-live region), scrolled into view, and the focus moves to the first new option."""

    def __init__(self, model: ScenarioRun, language: str):
        self.model = model
        self.language = language
        self._header = w.HTML()
        self._picker = language_picker(language, self.set_language)
        self._transcript = w.HTML()
        self._transcript.add_class("notalone-transcript")
        self._feedback = w.HTML()
        self._feedback.add_class("notalone-feedback")
        self._latest = w.HTML()
        self._latest.add_class("notalone-latest")
        self._prompt = w.HTML()
        self._options = w.VBox()
        self._options.add_class("notalone-options")
        self._summary = w.VBox()
        self._summary.add_class("notalone-summary")
        self._status = w.HTML()
        super().__init__([w.HBox([self._header, self._picker]), self._transcript, self._feedback, self._latest, self._prompt,
                          self._options, self._summary, self._status])
        self.add_class("notalone-chat")
        model.observe(self._on_model_change)
        self.refresh()

    # Triggers ---------------------------------------------------------------
    def choose(self, option_id: str) -> None:
        self.model.choose(option_id)

    def restart(self) -> None:
        self.model.restart()

    # Rendering -----------------------------------------------------------------
    def _on_model_change(self) -> None:
        self.refresh()
        self._follow()

    def _node_html(self, node) -> list[str]:
        """The narrator's time line and the messages of one node."""
        scenario, lang = self.model.scenario, self.language
        parts = [bubble(self._t(node.when), sender="narrator")] if node.when else []
        for message in node.messages:
            label = {"contact": self._t(scenario.contact_name), "student": ui("you", lang), "narrator": ""}[message.sender]
            parts.append(bubble(self._t(message.text), sender=message.sender, label=label))
        return parts

    def refresh(self) -> None:
        model, scenario, lang = self.model, self.model.scenario, self.language
        self._picker.description = ui("choose_language", lang)
        platform = f" · {escape(self._t(scenario.platform))}" if scenario.platform else ""
        self._header.value = (f"<b>{escape(self._t(scenario.title))}</b><br>{decoration(scenario.avatar)} "
                              f"{escape(self._t(scenario.contact_name))}{platform}")
        parts = []
        if scenario.content_warning:
            parts.append(card(f"{decoration('⚠️')} {escape(self._t(scenario.content_warning))}", "warn", "notalone-warning"))
        choices = dict(model.decisions)
        # With feedback to show, the current node's messages come after it (in _latest), not before.
        history = model.visited[:-1] if model.feedback else model.visited
        for node_id in history:
            node = scenario.nodes[node_id]
            parts += self._node_html(node)
            if node_id in choices:
                parts.append(bubble(self._t(node.decision.option(choices[node_id]).text), sender="student", label=ui("you", lang)))
        self._transcript.value = "".join(parts)
        self._feedback.value = self._feedback_html()
        self._feedback.layout.display = None if model.feedback else "none"
        self._latest.value = "".join(self._node_html(model.node)) if model.feedback else ""
        self._latest.layout.display = None if model.feedback else "none"
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
            self._status.value = f"<small>{decoration('💾')} {escape(ui('progress_saved', lang, file=model.store.path.name))}</small>"

    def _follow(self) -> None:
        """Announce what is new, scroll it into view and focus the first new option (or Play again at the end)."""
        model, lang = self.model, self.language
        texts = [self._t(message.text) for message in model.node.messages]
        if model.node.when:
            texts.insert(0, self._t(model.node.when))
        if model.feedback is not None:
            verdict = "" if model.graded else ui("safe_choice" if model.feedback.safe else "unsafe_choice", lang)
            feedback = ui("graded_choice_saved", lang) if model.graded else self._t(model.feedback.option.feedback)
            texts = [verdict, feedback] + texts
        if model.node.decision:
            texts.append(self._t(model.node.decision.prompt))
            focus, label = ".notalone-option", self._t(model.options_in_order()[0].text)
        elif model.finished and not model.store.read_only and not model.graded:
            focus, label = ".notalone-play-again", ui("play_again", lang)
        else:
            focus, label = "", ""
        if model.finished:
            texts.append(self._t(model.node.ending.title))
        start = ".notalone-transcript .notalone-from-student" if model.feedback is not None else ""  # the reply, then what follows
        self._support.value = support_html(lang, say=" ".join(t for t in texts if t), focus=focus, label=label, start=start)

    def _option_button(self, option) -> w.Button:
        text = self._t(option.text)
        button = w.Button(description=text, tooltip=text, layout=w.Layout(width="auto", max_width="720px", height="auto"))
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
            return card(f"{decoration('💾')} {escape(ui('graded_choice_saved', lang))}", "neutral", "notalone-feedback-card")
        if feedback.safe:
            verdict, kind = f"{badge('✓', 'good')}{escape(ui('safe_choice', lang))}", "good"
        else:
            verdict, kind = f"{badge('!', 'warn')}{escape(ui('unsafe_choice', lang))}", "warn"
        return card(f"<b>{verdict}</b><br>"
                    f"<b>{decoration('🚩')} {escape(ui('red_flag', lang))}:</b> {escape(self._t(feedback.decision.red_flag))}<br>"
                    f"{self._rule_html(feedback.decision.rule)}<br>{escape(self._t(feedback.option.feedback))}",
                    kind, "notalone-feedback-card")

    def _verdict_cell(self, safe: bool) -> str:
        words = ui("safe_choice" if safe else "unsafe_choice", self.language)
        return f"{badge('✓', 'good') if safe else badge('!', 'warn')}{escape(words)}"

    def _summary_children(self) -> list:
        model, lang = self.model, self.language
        ending = model.node.ending
        if model.graded:
            return self._graded_summary_children(ending)
        rows = "".join(
            f"<tr><td>{escape(self._t(row.decision.prompt))}</td><td>{escape(self._t(row.option.text))}</td>"
            f"<td>{self._verdict_cell(row.option.safe)}</td><td>{escape(self._t(rules()[row.decision.rule].title))}</td></tr>"
            for row in model.summary())
        total = len(model.decisions)
        count = ui("summary_safe_count_one" if total == 1 else "summary_safe_count", lang, safe=model.safe_count, total=total)
        html = (card(f"<h4>{decoration(OUTCOME_ICONS[ending.outcome])} {escape(ui('ending_' + ending.outcome.replace('-', '_'), lang))}: "
                     f"{escape(self._t(ending.title))}</h4><p>{escape(self._t(ending.text))}</p>"
                     f"<h4>{escape(ui('summary_title', lang))}</h4><p>{escape(count)}</p>"
                     f"<table><tr><th scope='col'>{escape(ui('summary_decision', lang))}</th>"
                     f"<th scope='col'>{escape(ui('summary_your_choice', lang))}</th><th scope='col'>{escape(ui('summary_verdict', lang))}</th>"
                     f"<th scope='col'>{escape(ui('rule', lang))}</th></tr>{rows}</table>")
                + help_card_html(lang, compact=True))
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
        html = (card(f"<h4>{escape(self._t(ending.title))}</h4><p>{escape(self._t(ending.text))}</p>"
                     f"<h4>{escape(ui('summary_title', lang))}</h4><p>{escape(ui('graded_choice_saved', lang))}</p>"
                     f"<table><tr><th scope='col'>{escape(ui('summary_decision', lang))}</th>"
                     f"<th scope='col'>{escape(ui('summary_your_choice', lang))}</th></tr>{rows}</table>")
                + help_card_html(lang, compact=True))
        return [w.HTML(html), w.HTML(f"<small>{escape(ui('locked_notice', lang))}</small>")]
