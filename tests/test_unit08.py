"""Unit 8 (capstone): the week-long scenario, the peer-teaching starter and the graded check."""

import json
import re

from widgets import load_scenario
from widgets.content import read_document
from widgets.progress import ProgressStore
from widgets.quiz import load_quiz
from widgets.scenario import ScenarioRun

from support import REPO
from test_unit04 import paths

LESSON = REPO / "lessons" / "unit08-capstone"
SOURCE = REPO / "assessments" / "source" / "unit08-capstone"
ALL_RULES = {"no-strangers", "no-sharing", "no-secrets", "must-block-report", "must-verify", "must-share"}


def test_the_capstone_runs_over_several_days_and_uses_every_rule():
    scenario = load_scenario(LESSON / "the-parcel.scenario.yaml")
    assert scenario.content_warning
    assert "stop at any time" in scenario.content_warning["en"] and "111" in scenario.content_warning["en"]
    assert "bất cứ lúc nào" in scenario.content_warning["vi"] and "111" in scenario.content_warning["vi"]
    assert len(scenario.decision_nodes) >= 8
    every_path = list(paths(scenario))
    assert min(map(len, every_path)) >= 7, "every student meets at least seven decisions"
    assert max(map(len, every_path)) >= 8
    assert {scenario.nodes[n].decision.rule for n in scenario.decision_nodes} == ALL_RULES
    days = [scenario.nodes[n].when["en"] for n in scenario.decision_nodes]
    weekdays = {day for when in days for day in re.findall(r"Monday|Tuesday|Wednesday|Thursday|Friday", when)}
    assert all(days) and len(weekdays) >= 4
    outcomes = {node.ending.outcome for node in scenario.nodes.values() if node.ending}
    assert outcomes == {"safe", "helped", "at-risk"}
    text = json.dumps({n: [m.text["en"] for m in scenario.nodes[n].messages] for n in scenario.nodes}).lower()
    for tactic in ("zalo", ".example/", "code", "selfie", "don't tell your parents", "alone", "location", "your school", "111"):
        assert tactic in text, tactic


def test_getting_help_at_midnight_changes_what_happens_next():
    """A real branch in the ungraded capstone: waking the parents or calling 111 leads somewhere else."""
    scenario = load_scenario(LESSON / "the-parcel.scenario.yaml")
    midnight = scenario.nodes["d6-midnight"].decision
    after = {option.id: option.next for option in midnight.options}
    help_nodes = {after["wake-parents"], after["call-111"]}
    assert help_nodes.isdisjoint({after["go-out"], after["stay-silent"]}) and after["go-out"] != after["stay-silent"]
    assert all(option.safe == (option.id in ("wake-parents", "call-111")) for option in midnight.options)
    for node_id in help_nodes:
        text = " ".join(m.text["en"] for m in scenario.nodes[node_id].messages)
        assert "Mum" in text, "the family knows in the help branch"
    assert "111" in " ".join(m.text["en"] for m in scenario.nodes[after["call-111"]].messages)
    # Every path through a help choice meets every rule and ends safe, never at risk.
    for path in paths(scenario):
        if help_nodes & set(path):
            assert {scenario.nodes[n].decision.rule for n in path} == ALL_RULES
    from widgets.progress import MemoryStore
    run = ScenarioRun(scenario, MemoryStore())
    for choice in ("ask-family-first", "no-link-show-mum", "keep-private", "tell-keep", "show-parents-check", "call-111",
                   "screenshot-block-report", "warn-linh"):
        run.choose(choice)
    assert run.finished and scenario.nodes[run.current].ending.outcome == "safe"


def test_the_peer_starter_is_valid_has_todos_in_comments_only_and_needs_work():
    path = LESSON / "my-scenario.scenario.yaml"
    scenario = load_scenario(path)
    assert scenario.id == "my-scenario" and len(scenario.decision_nodes) == 2
    strings = [text for _, text in read_document(path).strings()]
    assert not any("TODO" in text for text in strings), "TODO marks belong in comments (notalone check warns on text)"
    assert any("✏️" in text for text in strings)
    assert path.read_text(encoding="utf-8").count("# TODO") >= 4


def test_the_peer_cell_prints_the_engines_located_errors(tmp_path, monkeypatch, capsys):
    notebook = json.loads((LESSON / f"{LESSON.name}.en.ipynb").read_text(encoding="utf-8"))
    cells = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    setup = next(c for c in cells if "use_language" in c)
    check = next(c for c in cells if 'load_scenario("my-scenario.scenario.yaml")' in c)
    starter = (LESSON / "my-scenario.scenario.yaml").read_text(encoding="utf-8")
    broken = starter.replace('  vi: "✏️ Tên tình huống của em"\n', "", 1)
    (tmp_path / "my-scenario.scenario.yaml").write_text(broken, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(setup, namespace)
    exec(check, namespace)
    out = capsys.readouterr().out
    assert namespace["mine"] is None
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if text.startswith("title:"))
    assert f"my-scenario.scenario.yaml:{line}: title: missing the 'vi' translation" in out
    (tmp_path / "my-scenario.scenario.yaml").write_text(starter, encoding="utf-8")
    exec(check, namespace)
    out = capsys.readouterr().out
    assert "2 decision points" in out and "⬜ at least 3 decision points" in out


def test_the_graded_scenario_is_a_spine_with_one_decision_per_tactic():
    scenario = load_scenario(SOURCE / "unit08-check.scenario.yaml")
    spine = ["d1-link", "d2-details", "d3-secret", "d4-police-call", "d5-go-alone", "d6-money"]
    for here, after in zip(spine, spine[1:]):
        assert {option.next for option in scenario.nodes[here].decision.options} == {after}
    assert {scenario.nodes[n].decision.rule for n in spine} == ALL_RULES - {"must-share"}
    key = ProgressStore(SOURCE / "notalone-answer-key.json", read_only=True)
    run = ScenarioRun(scenario, key, graded=True)
    assert run.finished and all(run.chose_safely(node_id) for node_id in spine)
    assert load_quiz(SOURCE / "unit08-check.quiz.yaml").has_key, "the author's quiz keeps its key (the release removes it)"


def test_the_model_peer_scenario_in_the_source_passes_the_graded_checks(tmp_path):
    notebook = json.loads((SOURCE / "unit08-capstone.ipynb").read_text(encoding="utf-8"))
    cell = next(c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "my-scenario")
    namespace = {}
    exec("".join(cell["source"]).replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", ""), namespace)
    (tmp_path / "model.scenario.yaml").write_text(namespace["MY_SCENARIO"], encoding="utf-8")
    model = load_scenario(tmp_path / "model.scenario.yaml")
    assert model.id != "my-scenario" and len(model.decision_nodes) >= 3
    assert not any("✏️" in text for _, text in read_document(tmp_path / "model.scenario.yaml").strings())
