"""Unit 9 ("Easy job, high pay"), headless: its scenarios, its job-post data and the lesson without a browser.

- the lesson's main scenario (a task scam: paid likes, a deposit, a job across the border) has a
  path through five decisions, branches, and endings of every outcome; the second scenario (a
  friend borrows your bank account) has all three outcomes too;
- the graded scenario is a spine, and the answer key's choices are the safe ones;
- the labelled job posts: at least 60, half Vietnamese, both labels, unique ids, genuine posts
  that share warning-sign words innocently; the lesson's and the assignment's copies are the same;
- the reference checker's precision and recall are the figures the teacher pages quote;
- the lesson's code cells run in a kernel-less namespace (dummy comm) and keep every choice.
"""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from widgets import load_quiz, load_scenario
from widgets.red_flags import load_rules, words

from support import REPO, run_notebook_cells

UNIT = "unit09-easy-job-high-pay"
LESSON = REPO / "lessons" / UNIT
SOURCE = REPO / "assessments" / "source" / UNIT
GRADED = ["d1-private-group", "d2-id-photo", "d3-deposit", "d4-lend-account", "d5-abroad"]


def longest_path(scenario, node_id="", seen=0) -> int:
    node = scenario.nodes[node_id or scenario.start]
    if node.decision is None:
        return seen
    return max(longest_path(scenario, option.next, seen + 1) for option in node.decision.options)


def outcomes(scenario) -> set[str]:
    return {node.ending.outcome for node in scenario.nodes.values() if node.ending}


def posts(folder=LESSON / "data") -> list[dict]:
    with open(folder / "job-posts.csv", encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def warning_signs(text: str) -> list[str]:
    """The lesson's reference matcher: signs with a keyword among the words of `text`, as whole words."""
    padded = " " + " ".join(words(text)) + " "
    table = load_rules(LESSON / "data" / "job-signs.red-flags.yaml").keyword_table()
    return sorted(sign for sign, keywords in table.items() if any(f" {k} " in padded for k in keywords))


def measure(threshold: int) -> tuple[int, int, int]:
    """(caught, false alarms, missed) of the lesson's checker: warn at `threshold` different signs."""
    results = [(len(warning_signs(p["text"])) >= threshold, p["label"] == "scam") for p in posts()]
    return (sum(w and s for w, s in results), sum(w and not s for w, s in results), sum(s and not w for w, s in results))


def test_the_task_scam_scenario_branches_to_every_outcome():
    scenario = load_scenario(LESSON / "easy-tasks.scenario.yaml")
    assert scenario.decision_nodes == ["invite", "group", "paid", "frozen", "abroad"]
    assert longest_path(scenario) == 5
    assert outcomes(scenario) == {"safe", "helped", "at-risk"}
    branching = [n for n in scenario.decision_nodes if len({o.next for o in scenario.nodes[n].decision.options}) > 1]
    assert len(branching) == 5 and scenario.content_warning
    rules = {scenario.nodes[n].decision.rule for n in scenario.decision_nodes}
    assert {"no-strangers", "must-verify", "no-secrets", "must-share"} <= rules


def test_the_borrowed_account_scenario_has_every_outcome():
    scenario = load_scenario(LESSON / "borrow-account.scenario.yaml")
    assert scenario.decision_nodes == ["ask", "sim", "money"]
    assert outcomes(scenario) == {"safe", "helped", "at-risk"}
    assert scenario.nodes["ask"].decision.rule == "no-sharing" and scenario.content_warning


def test_the_graded_scenario_is_a_spine_and_the_key_is_safe():
    scenario = load_scenario(SOURCE / "unit09-check.scenario.yaml")
    assert scenario.start == GRADED[0]
    for here, following in zip(GRADED, GRADED[1:] + ["end"]):
        assert {option.next for option in scenario.nodes[here].decision.options} == {following}
    key = json.loads((SOURCE / "notalone-answer-key.json").read_text(encoding="utf-8"))
    choices = [(c["node"], c["option"]) for c in key["scenarios"][scenario.id]["choices"]]
    assert [node for node, _ in choices] == GRADED
    assert all(scenario.nodes[node].decision.option(option).safe for node, option in choices)
    quiz = load_quiz(SOURCE / "unit09-check.quiz.yaml")
    assert quiz.reveal == "in-feedback"
    assert set(key["quizzes"][quiz.id]["answers"]) == {question.id for question in quiz.questions}


def test_the_job_posts_are_a_fair_labelled_set():
    rows = posts()
    assert len(rows) >= 60 and len({row["id"] for row in rows}) == len(rows)
    assert sum(row["language"] == "vi" for row in rows) * 2 == len(rows)
    assert {row["label"] for row in rows} == {"scam", "genuine"}
    assert sum(row["label"] == "scam" for row in rows) * 2 == len(rows)
    assert all(row["id"].startswith(row["language"] + "-") and row["text"].strip() for row in rows)
    # Genuine posts share warning-sign words innocently: one sign alone is common among them.
    innocent = [row for row in rows if row["label"] == "genuine" and warning_signs(row["text"])]
    assert len(innocent) >= 10
    assert {row["language"] for row in innocent} == {"en", "vi"}


def test_the_assignment_uses_the_lesson_data():
    for name in ("job-posts.csv", "job-signs.red-flags.yaml"):
        assert (SOURCE / name).read_bytes() == (LESSON / "data" / name).read_bytes(), f"{name}: copies differ"


PAGES = {"en": ("teacher-guide/unit09-easy-job-high-pay.md", "precision {p}, recall {r}",
                "catches {tp} of the {scams} scams, raises {fp} false alarms and misses {fn}"),
         "vi": ("teacher-guide/vi/unit09-easy-job-high-pay.md", "độ chính xác {p}, độ phủ {r}",
                "bắt được {tp} trong {scams} tin lừa đảo, báo nhầm {fp} tin và bỏ sót {fn} tin")}


@pytest.mark.parametrize("language", sorted(PAGES))
def test_the_teacher_pages_quote_the_measured_precision_and_recall(language):
    page, measured, counts = PAGES[language]
    text = " ".join((REPO / page).read_text(encoding="utf-8").split())
    for threshold in (1, 2, 3):
        tp, fp, fn = measure(threshold)
        phrase = measured.format(p=f"{tp / (tp + fp):.0%}", r=f"{tp / (tp + fn):.0%}")
        assert phrase in text, f"{page} does not say {phrase!r} for {threshold} sign(s)"
    tp, fp, fn = measure(2)
    phrase = counts.format(tp=tp, scams=tp + fn, fp=fp, fn=fn)
    assert phrase in text, f"{page} does not say {phrase!r}"


@pytest.mark.parametrize("language", ["en", "vi"])
def test_the_lesson_runs_and_keeps_every_choice(dummy_comm, tmp_path, monkeypatch, language):
    folder = tmp_path / "unit09"
    shutil.copytree(LESSON, folder, ignore=shutil.ignore_patterns("notalone-progress*.json"))
    monkeypatch.chdir(folder)
    _, namespace = run_notebook_cells(folder / f"{UNIT}.{language}.ipynb")
    assert (namespace["tp"], namespace["fp"], namespace["fn"]) == measure(2)
    job, account, quiz = namespace["job"], namespace["account"], namespace["quiz"]
    for option in ("peek", "do-task", "top-up", "top-up-again", "tell-parents"):
        job.choose(option)
    assert job.model.ending == "end-home"
    for option in ("say-no-why", "no-and-adult"):
        account.choose(option)
    assert account.model.ending == "end-safe"
    quiz.select("pay-to-work", "bait")
    assert quiz.submit("pay-to-work") is True
    saved = json.loads((folder / "notalone-progress.json").read_text(encoding="utf-8"))
    assert len(saved["scenarios"]["unit09-easy-tasks"]["choices"]) == 5
    assert len(saved["scenarios"]["unit09-borrow-account"]["choices"]) == 2
    assert saved["quizzes"]["unit09-self-check"]["answers"] == {"pay-to-work": ["bait"]}
