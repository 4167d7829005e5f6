"""The quiz model, without ipywidgets."""

import pytest

from widgets.progress import ProgressStore
from widgets.quiz import QuizAttempt, load_quiz

from support import FIXTURES


@pytest.fixture
def quiz():
    return load_quiz(FIXTURES / "tiny.quiz.yaml")


def test_single_and_multiple_choice_are_marked(quiz):
    attempt = QuizAttempt(quiz)
    attempt.select("secret", "yes")
    assert attempt.submit("secret") is True
    attempt.select("musts", "verify")
    assert attempt.submit("musts") is False  # one of two right answers is not enough
    assert attempt.score == 1


def test_single_choice_takes_one_option(quiz):
    with pytest.raises(ValueError, match="single choice"):
        QuizAttempt(quiz).select("secret", "yes", "no")


def test_unknown_ids_are_named(quiz):
    attempt = QuizAttempt(quiz)
    with pytest.raises(ValueError, match="'maybe' not an option of 'secret'"):
        attempt.select("secret", "maybe")
    with pytest.raises(KeyError, match="expected one of: secret, musts"):
        attempt.answer("nope")


def test_submitted_answers_survive_a_rerun_and_retry_keeps_history(quiz, in_tmp):
    attempt = QuizAttempt(quiz, ProgressStore.for_directory())
    attempt.select("musts", "verify", "share")
    attempt.submit("musts")
    again = QuizAttempt(quiz, ProgressStore.for_directory())
    assert again.answer("musts") == {"verify", "share"} and again.is_correct("musts")
    again.retry("musts")
    assert again.answer("musts") == frozenset()
    assert QuizAttempt(quiz, ProgressStore.for_directory()).answer("musts") == frozenset()


def test_a_graded_quiz_records_answers_without_judging_them(tmp_path):
    path = tmp_path / "graded.quiz.yaml"
    text = (FIXTURES / "tiny.quiz.yaml").read_text()
    text = "reveal: in-feedback\n" + "\n".join(line for line in text.splitlines()
                                               if "correct:" not in line and "explanation:" not in line)
    path.write_text(text)
    attempt = QuizAttempt(load_quiz(path))
    attempt.select("secret", "no")
    assert attempt.submit("secret") is None
    assert attempt.answer("secret") == {"no"}
    with pytest.raises(PermissionError):
        attempt.retry("secret")
    with pytest.raises(PermissionError, match="already answered"):
        attempt.select("secret", "yes")
