"""Unit 10 ("Your image, your rights"), headless: the stories, the hashing lesson and the graded code.

- the lesson's scenario branches to endings of every outcome; its safe path never pays, keeps
  evidence, blocks and reports, and tells another adult when the first one does not help;
- the graded scenario is a spine, and the answer key picks safe options and right answers;
- the lesson runs in a kernel-less namespace (dummy comm) in both languages and keeps every choice,
  and its pictures show what the lesson says: SHA-256 changes, the perceptual hash does not;
- the assignment's reference dhash/hamming give small distances for resized and re-saved copies and
  large ones for other pictures (the figures the teacher guide quotes).
"""

from __future__ import annotations

import hashlib
import json
import shutil

import nbformat
import pytest

from widgets import load_quiz, load_scenario

from support import REPO, run_notebook_cells

UNIT = "unit10-your-image-your-rights"
LESSON = REPO / "lessons" / UNIT
SOURCE = REPO / "assessments" / "source" / UNIT
GRADED = ["d1-upload", "d2-threat", "d3-secret", "d4-block-report", "d5-first-adult"]


def longest_path(scenario, node_id="", seen=0) -> int:
    node = scenario.nodes[node_id or scenario.start]
    if node.decision is None:
        return seen
    return max(longest_path(scenario, option.next, seen + 1) for option in node.decision.options)


def safe_path(scenario) -> list[tuple[str, str]]:
    """The (node, option) choices of a student who always picks the first safe option."""
    path, node_id = [], scenario.start
    while scenario.nodes[node_id].decision is not None:
        option = next(o for o in scenario.nodes[node_id].decision.options if o.safe)
        path.append((node_id, option.id))
        node_id = option.next
    return path + [(node_id, "")]


def test_the_lesson_scenario_branches_to_every_outcome():
    scenario = load_scenario(LESSON / "new-friend.scenario.yaml")
    assert longest_path(scenario) >= 5
    outcomes = {node.ending.outcome for node in scenario.nodes.values() if node.ending}
    assert outcomes == {"safe", "helped", "at-risk"}
    rules = {scenario.nodes[n].decision.rule for n in scenario.decision_nodes}
    assert {"no-sharing", "must-block-report", "must-share"} <= rules
    assert scenario.content_warning and all("111" in text for text in scenario.content_warning.values())


def test_the_safe_path_never_pays_keeps_evidence_blocks_reports_and_tells_another_adult():
    scenario = load_scenario(LESSON / "new-friend.scenario.yaml")
    path = safe_path(scenario)
    chosen = [option for _, option in path if option]
    assert chosen == ["say-no", "keep-evidence", "block-and-report", "tell-aunt", "tell-another"]
    assert scenario.nodes[path[-1][0]].ending.outcome == "safe"
    # Paying is never safe, wherever it is offered.
    for node_id in scenario.decision_nodes:
        for option in scenario.nodes[node_id].decision.options:
            if "pay" in option.id or "borrow" in option.id:
                assert not option.safe, f"{node_id}/{option.id}"
    # The first adult does not help, and the story says so; the safe answer is another adult or 111.
    aunt = scenario.nodes["aunt"]
    assert any("ignore" in message.text["en"] for message in aunt.messages)
    assert "111" in aunt.decision.option("tell-another").text["en"]


def test_the_graded_scenario_is_a_spine_and_the_key_is_safe():
    scenario = load_scenario(SOURCE / "unit10-check.scenario.yaml")
    assert scenario.start == GRADED[0] and scenario.decision_nodes == GRADED
    for here, following in zip(GRADED, GRADED[1:]):
        assert {option.next for option in scenario.nodes[here].decision.options} == {following}
    key = json.loads((SOURCE / "notalone-answer-key.json").read_text(encoding="utf-8"))
    choices = [(c["node"], c["option"]) for c in key["scenarios"][scenario.id]["choices"]]
    assert [node for node, _ in choices] == GRADED
    assert all(scenario.nodes[node].decision.option(option).safe for node, option in choices)
    assert all(sum(o.safe for o in scenario.nodes[n].decision.options) == 1 for n in GRADED)
    quiz = load_quiz(SOURCE / "unit10-check.quiz.yaml")
    answers = key["quizzes"][quiz.id]["answers"]
    assert set(answers) == {question.id for question in quiz.questions}
    for question in quiz.questions:
        assert set(answers[question.id]) == set(question.key), question.id


def run_lesson(folder, language) -> dict:
    return run_notebook_cells(folder / f"{UNIT}.{language}.ipynb")[1]


@pytest.mark.parametrize("language", ["en", "vi"])
def test_the_lesson_runs_and_keeps_every_choice(dummy_comm, tmp_path, monkeypatch, language):
    folder = tmp_path / "unit10"
    shutil.copytree(LESSON, folder, ignore=shutil.ignore_patterns("notalone-progress*.json"))
    monkeypatch.chdir(folder)
    namespace = run_lesson(folder, language)
    chat, quiz = namespace["chat"], namespace["quiz"]
    assert chat.language == language and quiz.language == language
    for option in ("send-selfie", "keep-evidence", "block-and-report", "tell-aunt", "tell-another"):
        chat.choose(option)
    assert chat.model.ending == "end-safe"
    quiz.select("real-or-edited", "same-steps")
    assert quiz.submit("real-or-edited") is True
    saved = json.loads((folder / "notalone-progress.json").read_text(encoding="utf-8"))
    assert len(saved["scenarios"]["unit10-new-friend"]["choices"]) == 5
    assert saved["quizzes"]["unit10-self-check"]["answers"] == {"real-or-edited": ["same-steps"]}


def test_the_lesson_pictures_show_what_the_lesson_says(dummy_comm, tmp_path, monkeypatch):
    """SHA-256 of the copies differs completely; Unit 3's average hash barely moves; another picture is far."""
    folder = tmp_path / "unit10"
    shutil.copytree(LESSON, folder, ignore=shutil.ignore_patterns("notalone-progress*.json"))
    monkeypatch.chdir(folder)
    ns = run_lesson(folder, "en")
    sha = lambda data: hashlib.sha256(data).hexdigest()  # noqa: E731
    original = sha(ns["file_bytes"](ns["original"]))
    assert original == sha(ns["file_bytes"](ns["original"]))
    assert original != sha(ns["file_bytes"](ns["smaller"])) and original != sha(ns["file_bytes"](ns["jpeg"], "JPEG"))
    known = ns["average_hash"](ns["original"])
    assert ns["distance"](known, ns["average_hash"](ns["smaller"])) <= 2
    assert ns["distance"](known, ns["average_hash"](ns["jpeg"])) <= 2
    assert ns["distance"](known, ns["average_hash"](ns["other"])) > 10
    assert not [p.name for p in folder.iterdir() if p.suffix in (".png", ".jpg", ".jpeg")]  # the pictures stay in memory


def reference_solution() -> dict:
    """The assignment's setup and solution cells, run: make_picture, resized, recompressed, dhash, hamming."""
    notebook = nbformat.read(SOURCE / f"{UNIT}.ipynb", as_version=4)
    cells = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in notebook.cells if "nbgrader" in cell.metadata}
    namespace: dict = {}
    exec(cells["python-setup"], namespace)
    exec(cells["hash-solution"].replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", ""), namespace)
    return namespace


def distances(ns) -> dict[str, list[int]]:
    picture, dhash, hamming = ns["make_picture"], ns["dhash"], ns["hamming"]
    seeds = range(1, 8)
    result = {"resized to 128 px": [], "resized to 400 px": [], "JPEG quality 30": [], "resized + JPEG 40": [], "different picture": []}
    for seed in seeds:
        original = dhash(picture(seed))
        result["resized to 128 px"].append(hamming(original, dhash(ns["resized"](picture(seed), 128))))
        result["resized to 400 px"].append(hamming(original, dhash(ns["resized"](picture(seed), 400))))
        result["JPEG quality 30"].append(hamming(original, dhash(ns["recompressed"](picture(seed), 30))))
        result["resized + JPEG 40"].append(hamming(original, dhash(ns["recompressed"](ns["resized"](picture(seed), 160), 40))))
        result["different picture"] += [hamming(original, dhash(picture(other))) for other in seeds if other != seed]
    return result


def test_the_reference_dhash_matches_copies_and_not_other_pictures():
    ns = reference_solution()
    measured = distances(ns)
    for copy in ("resized to 128 px", "resized to 400 px", "JPEG quality 30", "resized + JPEG 40"):
        assert max(measured[copy]) <= 5, (copy, measured[copy])
    assert min(measured["different picture"]) >= 15, measured["different picture"]
    # ... while every copy's file bytes, and so its SHA-256, differ.
    original = ns["make_picture"](1)
    digest = hashlib.sha256(ns["file_bytes"](original)).hexdigest()
    for copy in (ns["resized"](original, 128), ns["recompressed"](original, 30)):
        assert hashlib.sha256(ns["file_bytes"](copy, "JPEG")).hexdigest() != digest
    with pytest.raises(ValueError):
        ns["hamming"]("01", "011")


if __name__ == "__main__":  # the figures for the teacher guide: python tests/test_unit10.py
    for name, values in distances(reference_solution()).items():
        print(f"{name:18} min {min(values):2}  max {max(values):2}  ({len(values)} pairs)")
