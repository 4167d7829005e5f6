"""Quizzes: the data (Quiz) and the pure model of one student's answers (QuizAttempt)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .answers import WITHHELD, shuffled
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
    answers_withheld: bool = False

    @property
    def has_key(self) -> bool:
        return not self.answers_withheld and all(o.correct is not None for q in self.questions for o in q.options)

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(f"{question_id!r} is not a question of quiz {self.id!r}; expected one of: "
                       f"{', '.join(q.id for q in self.questions)}")


def quiz_problems(document: Document) -> list[Problem]:
    """Problems a schema cannot see: duplicate ids, answer keys that do not fit the reveal mode.

    A graded quiz (reveal: in-feedback) keeps its key in the author's file; the release step removes it."""
    data = document.data
    reveal = data.get("reveal", "immediately")
    # A quiz that shows no verdicts and holds no key at all (the anonymous knowledge check) has nothing to check;
    # one with any key must have all of it.
    keyless = reveal == "in-feedback" and not any("correct" in o for q in data["questions"] for o in q["options"])
    withheld = data.get("answers") == WITHHELD or keyless
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
        if withheld:
            for o_index, option in enumerate(question["options"]):
                for field in ("correct", "explanation"):
                    if field in option:
                        problems.append(document.problem(where + ("options", o_index, field),
                                                         "this quiz holds no key (answers: withheld or none given), so it must not hold part of one"))
            continue
        for o_index, option in enumerate(question["options"]):
            for field in ("correct", "explanation"):
                if field not in option:
                    problems.append(document.problem(where + ("options", o_index),
                                                     f"'{field}' is required (the answer key; a graded quiz's release leaves it out)"))
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
    return Quiz(data["id"], data["title"], data.get("reveal", "immediately"), questions, document.name,
                data.get("answers") == WITHHELD)


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

    def check_answer(self, question_id: str) -> None:
        """What a grade cell runs: an AssertionError when the question is unanswered, or (when the file holds
        the key, as in the teacher's source) when the answer is wrong. In a released graded quiz it only
        confirms that the answer is saved: points are decided by the grader."""
        from .i18n import localize, ui

        question = self.quiz.question(question_id)
        number = self.quiz.questions.index(question) + 1
        answer = self.answer(question_id)
        if not answer:
            raise AssertionError(ui("check_unanswered", "en", number=number) + "\n" + ui("check_unanswered", "vi", number=number))
        if not self.quiz.has_key:
            print(ui("check_answer_saved", "en", number=number) + "\n" + ui("check_answer_saved", "vi", number=number))
            return
        if answer != question.key:
            lines = []
            for lang in ("en", "vi"):
                why = " ".join(localize(o.explanation, lang) for o in question.options if o.correct and o.explanation)
                lines.append(f"{ui('check_wrong_answer', lang, number=number)} {why}".strip())
            raise AssertionError("\n".join(lines))

    def options_in_order(self, question_id: str) -> list[QuizOption]:
        """The options in the order this student sees them: shuffled per student and per question in a
        graded quiz (fixed by the seed in the progress file), as written in a self-check."""
        question = self.quiz.question(question_id)
        graded = not self.reveals_answers and (self.quiz.answers_withheld or self.quiz.has_key)
        if not graded:  # self-checks, and the anonymous knowledge check (no key anywhere)
            return list(question.options)
        order = shuffled([o.id for o in question.options], self.store.shuffle_seed(), f"{self.quiz.id}/{question_id}")
        by_id = {o.id: o for o in question.options}
        return [by_id[option_id] for option_id in order]

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
