"""The closing pledge, headless: the model (rules, validation, progress, the card) and its view (dummy comm).

The card itself is printed by Chromium in tests/browser/test_pledge_in_jupyterlab.py.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from notalone.course import load_manifest, navigation_markdown
from widgets.i18n import localize
from widgets.pledge import MAX_CHARACTERS, MAX_NAME, MIN_CHARACTERS, Pledge, PledgeIncomplete
from widgets.progress import ProgressStore
from widgets.rules import rules

from support import REPO, run_notebook_cells

WORDS = {
    "no-strangers": "I won't click links or join video calls from people I only know online.",
    "no-sharing": "My photos and my address stay mine: I say no, even to someone nice.",
    "no-secrets": "If someone online says 'don't tell anyone', I tell my sister.",
    "must-block-report": "Scary message? Screenshot, block, report, straight away.",
    "must-verify": "I check with Mum or a teacher before I believe a 'police' call.",
    "must-share": "I talk to my family about what happens online, good and bad.",
}


def filled(store=None) -> Pledge:
    pledge = Pledge(store)
    for rule_id, text in WORDS.items():
        pledge.write(rule_id, text)
    return pledge


def test_the_pledge_has_the_six_campaign_rules_in_order():
    assert [rule.id for rule in Pledge.rules()] == list(rules())
    assert [rule.kind for rule in Pledge.rules()] == ["no", "no", "no", "must", "must", "must"]


@pytest.mark.parametrize("language", ["en", "vi"])
def test_every_missing_rule_is_named_in_a_clear_message(language):
    pledge = Pledge()
    pledge.write("no-sharing", WORDS["no-sharing"])
    problems = pledge.problems()
    assert [p.where for p in problems] == [r for r in rules() if r != "no-sharing"]
    messages = [p.message(language) for p in problems]
    for problem, message in zip(problems, messages):
        assert localize(rules()[problem.where].title, language) in message
    with pytest.raises(PledgeIncomplete) as error:
        pledge.card_html(language)
    assert all(message in str(error.value) for message in messages)
    assert pledge.written == 1 and not pledge.complete


def test_too_short_too_long_invisible_characters_and_a_long_name_are_refused():
    pledge = filled()
    pledge.write("no-secrets", "ok")
    pledge.write("must-verify", "x" * (MAX_CHARACTERS + 1))
    pledge.write("must-share", "I tell my mum\u202e everything")
    pledge.set_name("N" * (MAX_NAME + 1))
    found = {(p.where, p.key) for p in pledge.problems()}
    assert found == {("no-secrets", "pledge_too_short"), ("must-verify", "pledge_too_long"),
                     ("must-share", "pledge_control_characters"), ("name", "pledge_name_too_long")}
    assert str(MIN_CHARACTERS) in pledge.problems()[0].message("en")
    with pytest.raises(KeyError, match="not a campaign rule"):
        pledge.write("no-such-rule", "words")
    with pytest.raises(TypeError):
        pledge.write("no-sharing", 42)


def test_the_words_are_saved_with_the_other_activities_and_come_back(tmp_path):
    progress = tmp_path / "notalone-progress.json"
    other = ProgressStore(progress)
    other.save_quiz_answers("some-quiz", {"q": ["a"]})
    pledge = filled(ProgressStore(progress))
    pledge.set_name("  Lan  ")
    saved = json.loads(progress.read_text(encoding="utf-8"))
    assert saved["quizzes"]["some-quiz"]["answers"] == {"q": ["a"]}  # nothing else is overwritten
    assert saved["pledges"]["closing-pledge"]["wording"] == WORDS
    again = Pledge(ProgressStore(progress))
    assert again.wording("must-share") == WORDS["must-share"] and again.tidy_name == "Lan" and again.complete
    again.write("must-share", "   ")  # clearing a rule removes it
    assert "must-share" not in json.loads(progress.read_text(encoding="utf-8"))["pledges"]["closing-pledge"]["wording"]


@pytest.mark.parametrize("language", ["en", "vi"])
def test_the_card_has_the_words_the_rules_and_where_to_get_help(tmp_path, language):
    pledge = filled(ProgressStore(tmp_path / "notalone-progress.json"))
    pledge.set_name("Lan <b>& friends</b>")
    pledge.write("no-secrets", "I tell my sister <script>alert(1)</script> everything\n  at once.")
    path = pledge.write_card(tmp_path, language)
    assert path.name == f"my-pledge.{language}.html"
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and f'lang="{language}"' in page
    assert "Content-Security-Policy" in page and "<script" not in page
    assert "Lan &lt;b&gt;&amp; friends&lt;/b&gt;" in page
    assert "I tell my sister &lt;script&gt;alert(1)&lt;/script&gt; everything at once." in page
    for rule in rules().values():
        assert localize(rule.title, language) in page
    for rule_id, text in WORDS.items():
        if rule_id != "no-secrets":
            assert text.replace("'", "&#39;") in page or text in page
    assert "111" in page and "113" in page
    assert re.search(r"@page\s*\{\s*size:\s*A4", page)
    saved = json.loads((tmp_path / "notalone-progress.json").read_text(encoding="utf-8"))
    assert saved["pledges"]["closing-pledge"]["cards"] == [path.name]


def test_the_card_without_a_name_says_who_wrote_it_anyway(tmp_path):
    page = filled().card_html("en")
    assert "Written by a student of this course" in page


def test_the_view_saves_what_is_typed_and_prints_when_ready(dummy_comm, tmp_path):
    from widgets.views.pledge import show_pledge

    view = show_pledge("en", folder=tmp_path)
    box = view._boxes["no-sharing"]
    box.value = WORDS["no-sharing"]  # what typing does
    saved = json.loads((tmp_path / "notalone-progress.json").read_text(encoding="utf-8"))
    assert saved["pledges"]["closing-pledge"]["wording"] == {"no-sharing": WORDS["no-sharing"]}
    assert view.print_card() is None  # not ready: the reasons are shown
    assert "Before the card can be printed" in view._status.value
    assert localize(rules()["must-share"].title, "en") in view._status.value
    assert not (tmp_path / "my-pledge.en.html").exists()
    for rule_id, text in WORDS.items():
        view.write(rule_id, text)
    view._name.value = "Minh"
    view.set_language("vi")
    assert "Lời cam kết" in view._title.value
    path = view.print_card()
    assert path == tmp_path / "my-pledge.vi.html" and path.exists()
    assert "my-pledge.vi.html" in view._status.value
    reopened = show_pledge("en", folder=tmp_path)  # a fresh kernel shows the saved words
    assert reopened._boxes["must-share"].value == WORDS["must-share"] and reopened._name.value == "Minh"


def test_the_pledge_is_listed_after_the_units_and_in_the_navigation():
    units, problems = load_manifest(REPO)
    assert not problems
    kinds = [unit.kind for unit in units]
    assert kinds[-1] == "closing" and units[-1].id == "pledge"
    assert kinds.index("closing") > max(i for i, kind in enumerate(kinds) if kind == "unit")
    navigation = navigation_markdown(REPO)
    assert "[My pledge](pledge/pledge.en.ipynb)" in navigation and "[Lời cam kết của em](pledge/pledge.vi.ipynb)" in navigation
    assert (REPO / "lessons" / "README.md").read_text(encoding="utf-8") == navigation


@pytest.mark.parametrize("language", ["en", "vi"])
def test_the_pledge_notebook_runs_and_ends_with_the_help_card(dummy_comm, tmp_path, monkeypatch, language):
    folder = tmp_path / "pledge"
    shutil.copytree(REPO / "lessons" / "pledge", folder, ignore=shutil.ignore_patterns("notalone-progress*.json", "my-pledge*"))
    monkeypatch.chdir(folder)
    notebook, namespace = run_notebook_cells(folder / f"pledge.{language}.ipynb")
    assert notebook.cells[-1].source.strip().endswith(f"show_help_card(language=\"{language}\")")
    view = namespace["pledge"]
    assert view.language == language
    for rule_id, text in WORDS.items():
        view.write(rule_id, text)
    assert view.print_card().resolve() == (folder / f"my-pledge.{language}.html").resolve()
