"""The quiz view: one block per question over a QuizAttempt. Triggers: select(), submit(), retry(), set_language()."""

from __future__ import annotations

import ipywidgets as w

from ..i18n import localize, ui
from ..quiz import Question, QuizAttempt
from .common import LocalizedView, badge, card, decoration, escape, language_picker


class QuestionView(w.VBox):
    def __init__(self, quiz_view: "QuizView", question: Question):
        self.quiz_view, self.question = quiz_view, question
        self._syncing = False
        self._options = quiz_view.model.options_in_order(question.id)
        self._prompt = w.HTML()
        if question.kind == "single":
            self._choice = w.RadioButtons(options=[], value=None, layout=w.Layout(width="auto"))
            self._choice.observe(self._on_radio, names="value")
            self._checks = []
        else:
            self._checks = [w.Checkbox(value=False, indent=False, layout=w.Layout(width="auto")) for _ in question.options]
            for box in self._checks:
                box.observe(self._on_check, names="value")
            self._choice = w.VBox(self._checks)
        self._choice.add_class("notalone-quiz-choices")
        self._submit = w.Button(button_style="primary")
        self._submit.add_class("notalone-quiz-submit")
        self._submit.on_click(lambda _b: self.quiz_view.submit(question.id))
        self._retry = w.Button()
        self._retry.add_class("notalone-quiz-retry")
        self._retry.on_click(lambda _b: self.quiz_view.retry(question.id))
        self._result = w.HTML()
        self._result.add_class("notalone-quiz-result")
        super().__init__([self._prompt, self._choice, w.HBox([self._submit, self._retry]), self._result],
                         layout=w.Layout(border="1px solid var(--jp-border-color2)", padding="6px", margin="4px 0"))
        self.add_class("notalone-question")

    def _on_radio(self, change) -> None:
        if not self._syncing and change["new"] is not None:
            self.quiz_view.select(self.question.id, change["new"])

    def _on_check(self, _change) -> None:
        if not self._syncing:
            ticked = [o.id for o, box in zip(self._options, self._checks) if box.value]
            self.quiz_view.select(self.question.id, *ticked)

    def refresh(self) -> None:
        model, lang, question = self.quiz_view.model, self.quiz_view.language, self.question
        t = lambda text: localize(text, lang)  # noqa: E731
        hint = ui("quiz_choose_one" if question.kind == "single" else "quiz_choose_many", lang)
        prompt = t(question.prompt)
        # Many prompts already end with the hint ("... Choose all that apply."): say it once.
        hint_html = "" if prompt.rstrip().casefold().endswith(hint.casefold()) else f"<br><small>{escape(hint)}</small>"
        self._prompt.value = f"<b>{escape(prompt)}</b>{hint_html}"
        submitted, selected = model.is_submitted(question.id), model.selected(question.id)
        self._syncing = True
        try:
            if question.kind == "single":
                self._choice.options = [(t(o.text), o.id) for o in self._options]
                self._choice.value = next(iter(selected), None)
                self._choice.disabled = submitted
            else:
                for option, box in zip(self._options, self._checks):
                    box.description, box.value, box.disabled = t(option.text), option.id in selected, submitted
        finally:
            self._syncing = False
        self._submit.description = ui("quiz_submit", lang)
        self._submit.disabled = submitted or not selected
        self._retry.description = ui("quiz_try_again", lang)
        self._retry.layout.display = None if submitted and model.reveals_answers else "none"
        self._result.value = self._result_html(submitted, lang) if submitted else ""

    def _result_html(self, submitted: bool, lang: str) -> str:
        model, question = self.quiz_view.model, self.question
        if not model.reveals_answers:
            return card(f"{decoration('💾')} {escape(ui('quiz_saved', lang))}", "neutral")
        correct = model.is_correct(question.id)
        chosen = model.answer(question.id)
        lines = "".join(self._option_line(option, option.id in chosen, lang) for option in question.options)
        verdict = ui("quiz_correct" if correct else "quiz_incorrect", lang)
        mark = badge("✓", "good") if correct else badge("↻", "warn")
        return card(f"<b>{mark}{escape(verdict)}</b><ul>{lines}</ul>", "good" if correct else "warn")

    @staticmethod
    def _option_line(option, chosen: bool, lang: str) -> str:
        """One option in the result: whether it is right (in words), whether the student chose it, and why."""
        text = localize(option.text, lang)
        status = badge("✓", "good") + escape(ui("quiz_option_right", lang)) if option.correct else \
            badge("✗", "bad") + escape(ui("quiz_option_wrong", lang))
        mine = f" ({escape(ui('quiz_your_answer', lang))})" if chosen else ""
        shown = f"<b>{escape(text)}</b>{mine}" if chosen else escape(text)
        # An option that ends in a full stop (or ? !) needs no colon before its explanation.
        separator = " " if not mine and text.rstrip()[-1:] in ".?!…:;" else ": "
        return f"<li><i>{status}</i> · {shown}{separator}{escape(localize(option.explanation, lang))}</li>"


class QuizView(LocalizedView):
    """A quiz rendered from data. Programmatic triggers: select(), submit(), retry(), set_language()."""

    def __init__(self, model: QuizAttempt, language: str):
        self.model, self.language = model, language
        self._title = w.HTML()
        self._picker = language_picker(language, self.set_language)
        self._questions = [QuestionView(self, question) for question in model.quiz.questions]
        self._score = w.HTML()
        super().__init__([w.HBox([self._title, self._picker]), *self._questions, self._score])
        self.add_class("notalone-quiz")
        model.observe(self.refresh)
        self.refresh()

    def select(self, question_id: str, *option_ids: str) -> None:
        self.model.select(question_id, *option_ids)

    def submit(self, question_id: str) -> bool | None:
        return self.model.submit(question_id)

    def retry(self, question_id: str) -> None:
        self.model.retry(question_id)

    def refresh(self) -> None:
        self._picker.description = ui("choose_language", self.language)
        self._title.value = f"<b>{escape(localize(self.model.quiz.title, self.language))}</b>"
        for view in self._questions:
            view.refresh()
        quiz = self.model.quiz
        if self.model.reveals_answers and all(self.model.is_submitted(q.id) for q in quiz.questions):
            self._score.value = f"<b>{escape(ui('quiz_score', self.language, correct=self.model.score, total=len(quiz.questions)))}</b>"
        else:
            self._score.value = ""
