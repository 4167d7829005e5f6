"""Unit 7 ("Share with family"), headless: the shape of its scenarios and the lesson run without a browser.

- the lesson's main scenario has at least five decision points, branches, and endings of every
  outcome, and a path through five decisions;
- the graded scenario is a spine: every option of d1..d4 leads to the next graded decision;
- the lesson's code cells run in a kernel-less namespace (dummy comm), and the choices made in
  both chats and the quiz all end up in one notalone-progress.json (no widget overwrites
  another's choices).
"""

from __future__ import annotations

import json
import shutil

import pytest

from widgets import load_quiz, load_scenario

from support import REPO, run_notebook_cells

LESSON = REPO / "lessons" / "unit07-share-with-family"
SOURCE = REPO / "assessments" / "source" / "unit07-share-with-family"


def longest_path(scenario, node_id="", seen=0) -> int:
    node = scenario.nodes[node_id or scenario.start]
    if node.decision is None:
        return seen
    return max(longest_path(scenario, option.next, seen + 1) for option in node.decision.options)


def test_the_lesson_scenario_branches_to_several_endings():
    scenario = load_scenario(LESSON / "friend-secret.scenario.yaml")
    assert len(scenario.decision_nodes) >= 5
    assert longest_path(scenario) >= 5
    outcomes = {node.ending.outcome for node in scenario.nodes.values() if node.ending}
    assert outcomes == {"safe", "helped", "at-risk"}
    targets = {option.next for node in scenario.nodes.values() if node.decision for option in node.decision.options}
    branching = [node_id for node_id in scenario.decision_nodes
                 if len({option.next for option in scenario.nodes[node_id].decision.options}) > 1]
    assert len(branching) >= 3 and len(targets) >= 8
    assert scenario.content_warning and "must-share" in {scenario.nodes[n].decision.rule for n in scenario.decision_nodes}


def test_the_practice_conversation_has_four_steps_for_everyone():
    scenario = load_scenario(LESSON / "talk-to-mum.scenario.yaml")
    spine = ["moment", "opening", "reaction", "next-steps"]
    assert scenario.decision_nodes == spine
    for here, following in zip(spine, spine[1:]):
        assert {option.next for option in scenario.nodes[here].decision.options} == {following}


def test_the_graded_scenario_is_a_spine():
    scenario = load_scenario(SOURCE / "unit07-check.scenario.yaml")
    graded = ["d1-threat", "d2-tell-dad", "d3-friend-secret", "d4-who-to-tell", "d5-fake-police"]
    assert scenario.start == graded[0]
    for here, following in zip(graded, graded[1:]):
        assert {option.next for option in scenario.nodes[here].decision.options} == {following}
    assert all(any(o.safe for o in scenario.nodes[n].decision.options) for n in graded)
    key = json.loads((SOURCE / "notalone-answer-key.json").read_text(encoding="utf-8"))
    choices = [(c["node"], c["option"]) for c in key["scenarios"][scenario.id]["choices"]]
    assert [node for node, _ in choices] == graded
    assert all(scenario.nodes[node].decision.option(option).safe for node, option in choices)
    quiz = load_quiz(SOURCE / "unit07-check.quiz.yaml")
    assert set(key["quizzes"][quiz.id]["answers"]) == {question.id for question in quiz.questions}


@pytest.mark.parametrize("language", ["en", "vi"])
def test_the_lesson_runs_and_keeps_every_choice(dummy_comm, tmp_path, monkeypatch, language):
    folder = tmp_path / "unit07"
    shutil.copytree(LESSON, folder, ignore=shutil.ignore_patterns("notalone-progress*.json"))
    monkeypatch.chdir(folder)
    _, namespace = run_notebook_cells(folder / f"{LESSON.name}.{language}.ipynb")
    friend, practice, quiz = namespace["friend"], namespace["practice"], namespace["quiz"]
    for option in ("listen-first", "name-signs", "tell-adult", "ask-for-time"):
        friend.choose(option)
    assert friend.model.ending == "end-parent"
    for option in ("ask-for-time", "name-the-fear", "stay-calm", "act-together"):
        practice.choose(option)
    assert practice.model.ending == "end-together"
    quiz.select("why-share", "breaks-isolation")
    assert quiz.submit("why-share") is True
    saved = json.loads((folder / "notalone-progress.json").read_text(encoding="utf-8"))
    assert len(saved["scenarios"]["unit07-friend-secret"]["choices"]) == 4
    assert len(saved["scenarios"]["unit07-talk-to-mum"]["choices"]) == 4
    assert saved["quizzes"]["unit07-self-check"]["answers"] == {"why-share": ["breaks-isolation"]}
