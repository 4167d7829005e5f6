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


def withheld_copy(tmp_path, name="tiny.quiz.yaml", kind="quiz"):
    import yaml

    from widgets.answers import withhold_answers

    data = yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))
    if kind == "quiz":
        data["reveal"] = "in-feedback"
    path = tmp_path / name
    path.write_text(yaml.safe_dump(withhold_answers(kind, data), allow_unicode=True), encoding="utf-8")
    return path


def test_a_released_graded_quiz_holds_no_key_and_only_acknowledges(tmp_path, capsys):
    quiz = load_quiz(withheld_copy(tmp_path))
    assert quiz.answers_withheld and not quiz.has_key
    assert all(o.correct is None and o.explanation is None for q in quiz.questions for o in q.options)
    attempt = QuizAttempt(quiz)
    with pytest.raises(AssertionError, match="Question 1: not answered yet"):
        attempt.check_answer("secret")
    attempt.select("secret", "no")
    attempt.submit("secret")
    attempt.check_answer("secret")  # a wrong answer, but the release cannot know: it only says the answer is saved
    assert "your answer is saved" in capsys.readouterr().out


def test_the_authors_graded_quiz_checks_the_answer_with_its_key(tmp_path):
    text = "reveal: in-feedback\n" + (FIXTURES / "tiny.quiz.yaml").read_text(encoding="utf-8")
    path = tmp_path / "keyed.quiz.yaml"
    path.write_text(text, encoding="utf-8")
    attempt = QuizAttempt(load_quiz(path))
    attempt.select("secret", "no")
    attempt.submit("secret")
    with pytest.raises(AssertionError, match="not right.*Secrecy cuts you off"):
        attempt.check_answer("secret")


def test_graded_options_are_shuffled_per_student_and_stay_put_for_each(tmp_path, monkeypatch):
    import widgets.progress
    from widgets.progress import ProgressStore

    text = "reveal: in-feedback\n" + (FIXTURES / "tiny.quiz.yaml").read_text(encoding="utf-8")
    path = tmp_path / "keyed.quiz.yaml"
    path.write_text(text, encoding="utf-8")
    quiz = load_quiz(path)
    orders = set()
    for student in range(12):
        folder = tmp_path / f"student-{student}"
        monkeypatch.setattr(widgets.progress, "_SESSION_SEED", f"kernel-{student}")  # each student's own kernel
        attempt = QuizAttempt(quiz, ProgressStore.for_directory(folder))
        first = [o.id for o in attempt.options_in_order("musts")]
        attempt.select("secret", "yes")
        attempt.submit("secret")  # the first save keeps the seed in the file
        monkeypatch.setattr(widgets.progress, "_SESSION_SEED", "a-new-kernel-after-a-restart")
        again = [o.id for o in QuizAttempt(quiz, ProgressStore.for_directory(folder)).options_in_order("musts")]
        assert first == again, "a student's order never changes (it is kept in the progress file)"
        orders.add(tuple(first))
    assert len(orders) > 1, "different students see different orders"
    self_check = load_quiz(FIXTURES / "tiny.quiz.yaml")
    assert [o.id for o in QuizAttempt(self_check).options_in_order("musts")] == ["verify", "share", "reply"]
