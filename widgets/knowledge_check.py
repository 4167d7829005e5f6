"""Anonymous before-and-after knowledge checks: the same quiz, answered once before the course and once after.

The quiz file uses `reveal: in-feedback` (no answer key inside, so the first check teaches
nothing). Each phase is saved under its own id in the usual progress file, which holds no
name: `<quiz id>-before` and `<quiz id>-after`. The teacher's side (class totals, the
answer key, the report) is notalone/knowledge_check.py.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from .errors import ContentError, Problem
from .i18n import current_language
from .progress import ProgressStore
from .quiz import Quiz, QuizAttempt, load_quiz

PHASES = ("before", "after")


def phase_quiz_id(quiz_id: str, phase: str) -> str:
    """The id one phase's answers are saved under, e.g. 'knowledge-check-before'."""
    if phase not in PHASES:
        raise ValueError(f"unknown phase {phase!r}; expected one of: {', '.join(PHASES)}")
    return f"{quiz_id}-{phase}"


def load_knowledge_check(path: str | Path, phase: str) -> Quiz:
    """The quiz in `path`, for one phase ('before' or 'after'). It must not reveal answers."""
    quiz = load_quiz(path)
    if quiz.reveal != "in-feedback":
        raise ContentError([Problem(quiz.source, "reveal", "a knowledge check must use reveal: in-feedback, so the first "
                                                           "check does not teach the answers; keep the key in assessments/knowledge-check-key.json")])
    return dataclasses.replace(quiz, id=phase_quiz_id(quiz.id, phase))


def show_knowledge_check(path: str | Path, phase: str, *, language: str | None = None, store: ProgressStore | None = None):
    """A quiz view of the knowledge check for one phase; answers are saved (without any name) next to the notebook."""
    from .views.quiz import QuizView

    attempt = QuizAttempt(load_knowledge_check(path, phase), store if store is not None else ProgressStore.for_directory())
    view = QuizView(attempt, language or current_language())
    view.add_class("notalone-knowledge-check")
    return view
