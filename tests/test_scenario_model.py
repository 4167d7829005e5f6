"""The scenario model, played without ipywidgets or a browser."""

import json

import pytest

from widgets.progress import ANSWER_KEY_FILE, PROGRESS_FILE, MemoryStore, ProgressStore
from widgets.scenario import ScenarioRun, load_scenario

from support import FIXTURES


@pytest.fixture
def tiny():
    return load_scenario(FIXTURES / "tiny.scenario.yaml")


def test_a_choice_gives_feedback_naming_the_red_flag_and_rule(tiny):
    run = ScenarioRun(tiny)
    feedback = run.choose("move")
    assert not feedback.safe
    assert feedback.decision.red_flag["en"] == "A stranger wants to move the chat."
    assert feedback.decision.rule == "no-strangers"
    assert run.current == "later" and not run.finished


def test_playing_to_an_ending_gives_a_summary(tiny):
    run = ScenarioRun(tiny)
    run.choose("stay")
    run.choose("keep")
    assert run.finished and run.ending == "risk-end"
    assert [(row.node_id, row.option.id, row.option.safe) for row in run.summary()] == [
        ("hello", "stay", True), ("later", "keep", False)]
    assert run.safe_count == 1
    assert run.chose_safely("hello") and not run.chose_safely("later")


def test_different_choices_reach_different_endings(tiny):
    run = ScenarioRun(tiny)
    run.choose("stay")
    run.choose("tell")
    assert run.ending == "safe-end"


def test_bad_choices_are_refused_with_the_valid_options(tiny):
    run = ScenarioRun(tiny)
    with pytest.raises(ValueError, match="expected one of: stay, move"):
        run.choose("fly")
    run.choose("stay")
    run.choose("tell")
    with pytest.raises(ValueError, match="has ended"):
        run.choose("stay")


def test_grading_helpers_name_unknown_decision_points(tiny):
    run = ScenarioRun(tiny)
    assert run.choice_at("later") is None and not run.chose_safely("later")
    with pytest.raises(KeyError, match="expected one of: hello, later"):
        run.chose_safely("safe-end")


def test_choices_survive_a_rerun_of_the_cell(tiny, in_tmp):
    run = ScenarioRun(tiny, ProgressStore.for_directory())
    run.choose("move")
    again = ScenarioRun(tiny, ProgressStore.for_directory())
    assert again.decisions == [("hello", "move")] and again.current == "later"
    saved = json.loads((in_tmp / PROGRESS_FILE).read_text())
    assert saved["scenarios"]["tiny"]["choices"] == [{"node": "hello", "option": "move"}]


def test_restart_keeps_the_earlier_attempt(tiny, in_tmp):
    run = ScenarioRun(tiny, ProgressStore.for_directory())
    run.choose("move")
    run.restart()
    assert run.decisions == [] and run.current == "hello"
    saved = json.loads((in_tmp / PROGRESS_FILE).read_text())
    assert saved["scenarios"]["tiny"]["earlier_attempts"] == [[{"node": "hello", "option": "move"}]]


def test_a_graded_scenario_cannot_be_restarted(tiny):
    run = ScenarioRun(tiny, graded=True)
    run.choose("move")
    with pytest.raises(PermissionError, match="first play-through counts"):
        run.restart()


def test_saved_choices_that_no_longer_fit_are_archived_not_lost(tiny, in_tmp):
    ProgressStore.for_directory().save_choices("tiny", [("hello", "stay"), ("later", "vanished")])
    with pytest.warns(UserWarning, match="no longer fits"):
        run = ScenarioRun(tiny, ProgressStore.for_directory())
    assert run.decisions == [("hello", "stay")]
    saved = json.loads((in_tmp / PROGRESS_FILE).read_text())["scenarios"]["tiny"]
    assert saved["earlier_attempts"][-1][-1] == {"node": "later", "option": "vanished"}


def test_an_unreadable_progress_file_is_kept_aside(tiny, in_tmp):
    (in_tmp / PROGRESS_FILE).write_text("{not json")
    with pytest.warns(UserWarning, match="could not be read"):
        run = ScenarioRun(tiny, ProgressStore.for_directory())
    run.choose("stay")
    kept = list(in_tmp.glob("notalone-progress.unreadable-*.json"))
    assert len(kept) == 1 and kept[0].read_text() == "{not json"


def test_the_answer_key_is_used_read_only_when_there_is_no_progress(tiny, in_tmp):
    ProgressStore(in_tmp / ANSWER_KEY_FILE).save_choices("tiny", [("hello", "stay"), ("later", "tell")])
    run = ScenarioRun(tiny, ProgressStore.for_directory())
    assert run.ending == "safe-end" and run.store.read_only
    with pytest.raises(PermissionError, match="read-only"):
        run.restart()
    (in_tmp / PROGRESS_FILE).write_text(json.dumps({"format": "notalone-progress/1", "scenarios": {}, "quizzes": {}}))
    assert ScenarioRun(tiny, ProgressStore.for_directory()).decisions == []


def test_observers_hear_every_change(tiny):
    run = ScenarioRun(tiny, MemoryStore())
    calls = []
    run.observe(lambda: calls.append(run.current))
    run.choose("stay")
    run.restart()
    assert calls == ["later", "hello"]


def test_two_widgets_in_one_notebook_keep_each_others_progress(tiny, in_tmp):
    """Each widget has its own store over the same file: a save must not erase the other's entries."""
    from widgets.quiz import QuizAttempt, load_quiz

    chat = ScenarioRun(tiny, ProgressStore.for_directory())
    quiz = QuizAttempt(load_quiz(FIXTURES / "tiny.quiz.yaml"), ProgressStore.for_directory())
    chat.choose("stay")
    quiz.select("secret", "yes")
    quiz.submit("secret")
    chat.choose("tell")
    saved = json.loads((in_tmp / PROGRESS_FILE).read_text())
    assert saved["scenarios"]["tiny"]["choices"] == [{"node": "hello", "option": "stay"}, {"node": "later", "option": "tell"}]
    assert saved["quizzes"]["tiny-quiz"]["answers"] == {"secret": ["yes"]}


def test_a_released_graded_chat_holds_no_answer_and_only_acknowledges(tmp_path, capsys):
    import yaml

    from widgets.answers import leaked_answers, withhold_answers

    data = yaml.safe_load((FIXTURES / "tiny.scenario.yaml").read_text(encoding="utf-8"))
    public = withhold_answers("scenario", data)
    assert leaked_answers("scenario", data) and not leaked_answers("scenario", public)
    path = tmp_path / "released.scenario.yaml"
    path.write_text(yaml.safe_dump(public, allow_unicode=True), encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.answers_withheld
    run = ScenarioRun(scenario, graded=True)
    first = scenario.decision_nodes[0]
    with pytest.raises(AssertionError, match="Decision 1: not reached yet"):
        run.check_decision(first)
    run.choose(run.options_in_order()[0].id)
    run.check_decision(first)
    assert "your choice is saved" in capsys.readouterr().out
    with pytest.raises(PermissionError, match="not in the released file"):
        run.chose_safely(first)
    assert run.safe_count is None


def test_the_authors_graded_chat_checks_the_choice_with_its_key():
    scenario = load_scenario(FIXTURES / "tiny.scenario.yaml")
    first = scenario.decision_nodes[0]
    unsafe = next(o for o in scenario.nodes[first].decision.options if not o.safe)
    run = ScenarioRun(scenario, graded=True)
    run.choose(unsafe.id)
    with pytest.raises(AssertionError, match="Decision 1: this was not the safe choice"):
        run.check_decision(first)
