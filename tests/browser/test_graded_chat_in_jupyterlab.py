"""A released graded assignment in a real JupyterLab (Debian's Chromium): the chat and the quiz give no
verdict while the student plays, the options come in the student's own order, and the help card
closes the chat.

The release is made by nbgrader with the course's configuration (so the chat and quiz files hold no
answers), then served next to the lessons.
"""

from __future__ import annotations

import json
import shutil

import pytest

import lab
from nbgrader_harness import copy_course, nbgrader

pytestmark = pytest.mark.browser

ASSIGNMENT = "unit01-online-kidnapping"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
VERDICTS = ("✅", "⚠️", "Safe choice", "Risky choice", "not the safe choice", "Red flag", "You chose safely")


def run_all_until_the_first_unanswered_check(page):
    """Run All stops at the first decision cell (nothing is chosen yet): the chat and the quiz are shown by then."""
    page.evaluate(lab.RUN_ALL_JS)
    outcome = page.wait_for_function("() => window.__notaloneRunAll", timeout=lab.RUN_TIMEOUT).json_value()
    assert outcome in ("done", "error"), outcome


def test_a_graded_chat_gives_no_verdict_while_playing(jupyterlab_server, browser_page, tmp_path):
    from playwright.sync_api import expect

    server, page = jupyterlab_server, browser_page
    course = copy_course(tmp_path / "course")
    nbgrader(course, "db", "assignment", "add", ASSIGNMENT)
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    served = server.root_dir / "released" / ASSIGNMENT
    shutil.rmtree(served, ignore_errors=True)
    shutil.copytree(course / "release" / ASSIGNMENT, served)
    for path in served.iterdir():
        path.chmod(0o644)
    assert "safe:" not in (served / "unit01-check.scenario.yaml").read_text(encoding="utf-8")

    lab.fresh_start(server, page)
    with lab.diagnose(page, server, tmp_path, "graded-chat"):
        lab.open_notebook(page, server, f"released/{ASSIGNMENT}/{NOTEBOOK}")
        run_all_until_the_first_unanswered_check(page)
        chat = page.locator(".notalone-chat").first
        expect(chat.locator(".notalone-option").first).to_be_visible(timeout=lab.RUN_TIMEOUT)
        first_order = chat.locator(".notalone-option").all_inner_texts()

        feedback, clicked = lab.play_to_the_end(page, chat, max_clicks=8)
        assert len(clicked) == 5, f"five graded decisions, clicked {clicked}"
        assert feedback and all("saved" in text for text in feedback), feedback
        summary = chat.locator(".notalone-summary")
        expect(summary).to_contain_text("111")
        shown = "\n".join(feedback) + summary.inner_text()
        assert not any(word in shown for word in VERDICTS), f"a verdict reached the student: {shown[-800:]}"
        page.screenshot(path=str(tmp_path / "graded-chat-end.png"), full_page=False)

        progress = json.loads((served / "notalone-progress.json").read_text(encoding="utf-8"))
        assert [c["option"] for c in progress["scenarios"]["unit01-check"]["choices"]]
        seed = progress["seed"]
        from widgets.answers import shuffled
        from widgets.scenario import load_scenario

        scenario = load_scenario(served / "unit01-check.scenario.yaml")
        decision = scenario.nodes[scenario.start].decision
        expected = [o for option_id in shuffled([o.id for o in decision.options], seed, f"unit01-check/{scenario.start}")
                    for o in decision.options if o.id == option_id]
        assert first_order == [o.text["en"] for o in expected], "the student saw the order their seed gives"
