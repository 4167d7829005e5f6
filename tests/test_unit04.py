"""Unit 4 (no keeping secrets): the lesson's scenario, the graded scenario and the lesson notebooks' code lab."""

import json
import re

import pytest

from widgets import ContentError, load_quiz, load_scenario
from widgets.progress import ProgressStore
from widgets.scenario import ScenarioRun

from support import REPO

LESSON = REPO / "lessons" / "unit04-no-secrets"
SOURCE = REPO / "assessments" / "source" / "unit04-no-secrets"


def paths(scenario, node_id=None, trail=()):
    """Every path from the start to an ending, as the list of decision nodes met on the way."""
    node_id = node_id or scenario.start
    node = scenario.nodes[node_id]
    if node.ending:
        return [list(trail)]
    found = []
    for target in dict.fromkeys(option.next for option in node.decision.options):
        found += paths(scenario, target, trail + (node_id,))
    return found


def test_the_lesson_scenario_escalates_from_secrecy_to_guilt_to_fear():
    scenario = load_scenario(LESSON / "just-between-us.scenario.yaml")
    assert scenario.content_warning and all(scenario.content_warning.values())
    assert len(scenario.decision_nodes) >= 5 and max(map(len, paths(scenario))) >= 5
    order = ["secret-collab", "guilt", "isolation", "photo", "fear"]
    assert max(paths(scenario), key=len)[:5] == order
    rules = {node_id: scenario.nodes[node_id].decision.rule for node_id in order}
    assert rules["secret-collab"] == rules["guilt"] == "no-secrets" and rules["fear"] == "must-share"
    outcomes = {node.ending.outcome for node in scenario.nodes.values() if node.ending}
    assert outcomes == {"safe", "helped", "at-risk"}
    assert all(scenario.nodes[node_id].when for node_id in scenario.decision_nodes)
    texts = json.dumps([node.messages[-1].text for node in scenario.nodes.values()], ensure_ascii=False).lower()
    assert "hurt" in texts and "trouble" in texts  # guilt, then fear


def test_every_risky_choice_says_it_is_not_too_late_or_names_the_way_out():
    scenario = load_scenario(LESSON / "just-between-us.scenario.yaml")
    for node_id in scenario.decision_nodes:
        for option in scenario.nodes[node_id].decision.options:
            if not option.safe:
                text = option.feedback["en"].lower()
                assert re.search(r"not too late|still|can|help|any moment|nothing wrong", text), (node_id, option.id)
    for node in scenario.nodes.values():
        if node.ending and node.ending.outcome == "at-risk":
            assert "111" in node.ending.text["en"] and "111" in node.ending.text["vi"]


def test_the_graded_scenario_is_a_spine_every_student_walks():
    scenario = load_scenario(SOURCE / "unit04-check.scenario.yaml")
    spine = ["d1-keep-secret", "d2-guilt", "d3-isolation", "d4-fake-surprise", "d5-threat"]
    for here, after in zip(spine, spine[1:]):
        assert {option.next for option in scenario.nodes[here].decision.options} == {after}
    assert all(len(path) >= 5 and path[:5] == spine for path in paths(scenario))
    key = ProgressStore(SOURCE / "notalone-answer-key.json", read_only=True)
    run = ScenarioRun(scenario, key, graded=True)
    assert run.finished and all(run.chose_safely(node_id) for node_id in spine)


def test_the_graded_quiz_keeps_its_key_for_the_grader_and_its_release_holds_none(tmp_path):
    import shutil

    from notalone.withhold import release_leaks, withhold_folder

    quiz = load_quiz(SOURCE / "unit04-check.quiz.yaml")
    assert quiz.reveal == "in-feedback" and quiz.has_key
    shutil.copy(SOURCE / "unit04-check.quiz.yaml", tmp_path)
    withhold_folder(tmp_path)
    text = (tmp_path / "unit04-check.quiz.yaml").read_text(encoding="utf-8")
    assert not re.search(r"^\s*(correct|explanation)\s*:", text, re.M) and not release_leaks(tmp_path)
    assert load_quiz(tmp_path / "unit04-check.quiz.yaml").answers_withheld


@pytest.mark.parametrize("language", ["en", "vi"])
def test_the_code_lab_runs_and_measures_the_detector(language, monkeypatch, capsys):
    """The lesson's code-lab cells, run as the kernel would, print the numbers the text talks about."""
    notebook = json.loads((LESSON / f"{LESSON.name}.{language}.ipynb").read_text(encoding="utf-8"))
    monkeypatch.chdir(LESSON)
    namespace = {}
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        widgets_shown = ("play_scenario(", "show_quiz(", "show_rules(", "show_help_card(", "show_red_flag_checker(")
        if cell["cell_type"] == "code" and not any(call in source for call in widgets_shown):
            exec(compile(source, f"{LESSON.name}.{language}.ipynb", "exec"), namespace)
    out = capsys.readouterr().out
    assert "dung noi voi bo me nhe!\ndung noi voi bo me nhe!" in out
    from widgets.red_flags import evaluate, load_messages, load_rules
    result = evaluate(load_messages(LESSON / "data" / "messages.csv"), load_rules(LESSON / "data" / "keywords.red-flags.yaml"))
    risky, total = result.risky, result.total
    for part, whole in ((result.exact, total), (risky.tp, risky.tp + risky.fn), (risky.fp, risky.fp + risky.tn)):
        assert re.search(rf"\b{part}(/| of ){whole}\b", out), (part, whole)
    assert all(f"{message.id} " in out for message, _ in result.false_alarms) and result.false_alarms


def test_a_rules_file_with_a_duplicate_is_rejected_where_students_edit_it(tmp_path):
    """Students edit data/keywords.red-flags.yaml in the lesson: a keyword that only differs by accents is caught."""
    text = (LESSON / "data" / "keywords.red-flags.yaml").read_text(encoding="utf-8").replace('"đừng nói",', '"đừng nói", "dung noi",', 1)
    (tmp_path / "keywords.red-flags.yaml").write_text(text, encoding="utf-8")
    from widgets.red_flags import load_rules
    with pytest.raises(ContentError, match="'dung noi' is the same as keyword 'đừng nói'"):
        load_rules(tmp_path / "keywords.red-flags.yaml")
