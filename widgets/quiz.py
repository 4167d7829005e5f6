"""Quizzes: the data (Quiz) and the pure model of one student's answers (QuizAttempt)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .content import Document, load_content
from .errors import Problem
from .progress import MemoryStore, ProgressStore
from .rules import rules


@dataclass(frozen=True)
class QuizOption:
    id: str
    text: dict
    correct: bool | None
    explanation: dict | None


@dataclass(frozen=True)
class Question:
    id: str
    kind: str  # single | multiple
    prompt: dict
    options: tuple[QuizOption, ...]
    rule: str | None

    @property
    def key(self) -> frozenset[str]:
        return frozenset(o.id for o in self.options if o.correct)


@dataclass(frozen=True)
class Quiz:
    id: str
    title: dict
    reveal: str  # immediately | in-feedback
    questions: tuple[Question, ...]
    source: str

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(f"{question_id!r} is not a question of quiz {self.id!r}; expected one of: "
                       f"{', '.join(q.id for q in self.questions)}")


def quiz_problems(document: Document) -> list[Problem]:
    """Problems a schema cannot see: duplicate ids, answer keys that do not fit the reveal mode."""
    data = document.data
    reveal = data.get("reveal", "immediately")
    problems, seen_questions = [], set()
    for q_index, question in enumerate(data["questions"]):
        where = ("questions", q_index)
        if question["id"] in seen_questions:
            problems.append(document.problem(where + ("id",), f"question id {question['id']!r} is used twice"))
        seen_questions.add(question["id"])
        if "rule" in question and question["rule"] not in rules():
            problems.append(document.problem(where + ("rule",), f"unknown rule {question['rule']!r}; expected one of: {', '.join(rules())}"))
        option_ids = [o["id"] for o in question["options"]]
        for duplicate in sorted({i for i in option_ids if option_ids.count(i) > 1}):
            problems.append(document.problem(where + ("options",), f"option id {duplicate!r} is used twice"))
        if reveal == "in-feedback":
            for o_index, option in enumerate(question["options"]):
                if "correct" in option:
                    problems.append(document.problem(where + ("options", o_index, "correct"),
                                                     "a quiz with reveal: in-feedback must not contain the answer key (it is released to students); put it in hidden tests"))
            continue
        for o_index, option in enumerate(question["options"]):
            for field in ("correct", "explanation"):
                if field not in option:
                    problems.append(document.problem(where + ("options", o_index),
                                                     f"'{field}' is required when the quiz reveals answers immediately"))
        correct = sum(bool(o.get("correct")) for o in question["options"])
        if question["kind"] == "single" and correct != 1:
            problems.append(document.problem(where + ("options",), f"a single-choice question needs exactly one correct option, found {correct}"))
        if question["kind"] == "multiple" and correct < 1:
            problems.append(document.problem(where + ("options",), "a multiple-choice question needs at least one correct option"))
    return problems


def load_quiz(path: str | Path) -> Quiz:
    """Read and check a quiz file; raise ContentError naming the file, field and line of every problem."""
    document = load_content(path, "quiz", quiz_problems)
    data = document.data
    questions = tuple(
        Question(q["id"], q["kind"], q["prompt"],
                 tuple(QuizOption(o["id"], o["text"], o.get("correct"), o.get("explanation")) for o in q["options"]),
                 q.get("rule"))
        for q in data["questions"])
    return Quiz(data["id"], data["title"], data.get("reveal", "immediately"), questions, document.name)


class QuizAttempt:
    """One student's answers. Submitted answers are saved at once; with reveal 'in-feedback' they are final."""

    def __init__(self, quiz: Quiz, store: ProgressStore | None = None):
        self.quiz = quiz
        self.store = store if store is not None else MemoryStore()
        self._listeners: list[Callable[[], None]] = []
        saved = self.store.quiz_answers(quiz.id)
        known = {q.id: {o.id for o in q.options} for q in quiz.questions}
        self._submitted = {q: frozenset(a) for q, a in saved.items() if q in known and set(a) <= known[q]}
        self._selected: dict[str, frozenset[str]] = dict(self._submitted)

    @property
    def reveals_answers(self) -> bool:
        return self.quiz.reveal == "immediately"

    def select(self, question_id: str, *option_ids: str) -> None:
        """Tick these options (replacing the current selection) for one question."""
        question = self.quiz.question(question_id)
        if question_id in self._submitted:
            raise PermissionError(f"question {question_id!r} is already answered" +
                                  ("; call retry() first" if self.reveals_answers else " and graded answers are final"))
        valid = {o.id for o in question.options}
        unknown = [o for o in option_ids if o not in valid]
        if unknown:
            raise ValueError(f"{', '.join(map(repr, unknown))} not an option of {question_id!r}; expected: {', '.join(sorted(valid))}")
        if question.kind == "single" and len(option_ids) > 1:
            raise ValueError(f"{question_id!r} is single choice: pick one option")
        self._selected[question_id] = frozenset(option_ids)
        self._changed()

    def submit(self, question_id: str) -> bool | None:
        """Lock in the selection. Returns whether it is correct, or None when the quiz does not reveal answers."""
        question = self.quiz.question(question_id)
        selection = self._selected.get(question_id, frozenset())
        if not selection:
            raise ValueError(f"nothing is selected for {question_id!r}")
        self._submitted[question_id] = selection
        self.store.save_quiz_answers(self.quiz.id, self._submitted)
        self._changed()
        return selection == question.key if self.reveals_answers else None

    def retry(self, question_id: str) -> None:
        """Answer again (self-checks only). The earlier answer stays in the progress file."""
        if not self.reveals_answers:
            raise PermissionError(f"quiz {self.quiz.id!r} is graded: answers are final")
        self.store.retract_quiz_answer(self.quiz.id, question_id)
        self._submitted.pop(question_id, None)
        self._changed()

    def selected(self, question_id: str) -> frozenset[str]:
        return self._selected.get(question_id, frozenset())

    def answer(self, question_id: str) -> frozenset[str]:
        """The submitted answer (empty when not answered): what grade cells check."""
        self.quiz.question(question_id)
        return self._submitted.get(question_id, frozenset())

    def is_submitted(self, question_id: str) -> bool:
        return question_id in self._submitted

    def is_correct(self, question_id: str) -> bool:
        question = self.quiz.question(question_id)
        if not self.reveals_answers:
            raise PermissionError(f"quiz {self.quiz.id!r} has no answer key; the hidden tests grade it")
        return self._submitted.get(question_id) == question.key

    @property
    def score(self) -> int:
        return sum(self.is_correct(q.id) for q in self.quiz.questions)

    def observe(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    def _changed(self) -> None:
        for callback in self._listeners:
            callback()
