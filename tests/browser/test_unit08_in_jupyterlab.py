"""Unit 8 and the knowledge check in a real JupyterLab, driven through Debian's Chromium.

The capstone lesson is opened and run: the week-long chat is played to an ending through at
least eight decisions, the evaluation cells printed precision and recall and the confusion
table, the peer-teaching cell loaded the starter scenario and plays it. Then the anonymous
"before" knowledge check is answered: the answer is saved without revealing the right one.

Run: ``python -m pytest tests/browser/test_unit08_in_jupyterlab.py -q`` (needs /usr/bin/chromium
and the playwright module; nothing is downloaded).
"""

from __future__ import annotations

import json

import pytest

import lab

pytestmark = pytest.mark.browser

UNIT = "unit08-capstone"


def test_unit08_lesson_plays_in_jupyterlab(jupyterlab_server, browser_page, tmp_path):
    from playwright.sync_api import expect

    server, page = jupyterlab_server, browser_page
    notebook = f"{UNIT}/{UNIT}.en.ipynb"
    with lab.running_lesson(server, page, tmp_path, notebook, "unit08-en"):

        chats = page.locator(".notalone-chat")
        expect(chats.nth(1).locator(".notalone-option").first).to_be_visible(timeout=lab.RUN_TIMEOUT)
        capstone, mine = chats.nth(0), chats.nth(1)
        expect(capstone).to_contain_text("Monday, 4:30 pm")
        feedback, clicked = lab.play_to_the_end(page, capstone, max_clicks=12, pick="last")
        assert len(clicked) >= 8, f"the capstone ended after {clicked}"
        assert all("Red flag" in text for text in feedback)

        outputs = page.locator(".jp-OutputArea-output")
        expect(outputs.filter(has_text="precision = 14/16 = 88%").first).to_be_attached()
        expect(outputs.filter(has_text="really harmless").first).to_be_attached()
        expect(outputs.filter(has_text="'my-scenario' loads: 2 decision points").first).to_be_attached()

        # The student's own scenario plays in the lesson (kept in memory, not in the progress file).
        mine.scroll_into_view_if_needed()
        lab.click_and_settle(page, mine, mine.locator(".notalone-option:enabled").first)
        expect(mine.locator(".notalone-feedback").filter(visible=True).first).to_contain_text("Red flag")
        saved = json.loads((server.root_dir / UNIT / "notalone-progress.json").read_text(encoding="utf-8"))
        assert "unit08-the-parcel" in saved["scenarios"] and "my-scenario" not in saved["scenarios"]


def test_the_before_check_saves_answers_without_revealing_them(jupyterlab_server, browser_page, tmp_path):
    from playwright.sync_api import expect

    server, page = jupyterlab_server, browser_page
    notebook = "knowledge-check/before.vi.ipynb"
    with lab.running_lesson(server, page, tmp_path, notebook, "knowledge-check-before-vi"):
        question = page.locator(".notalone-quiz .notalone-question").first
        expect(question).to_be_visible(timeout=lab.RUN_TIMEOUT)
        question.locator(".notalone-quiz-choices input[type='radio']").nth(1).check()
        submit = question.locator(".notalone-quiz-submit")
        expect(submit).to_be_enabled(timeout=lab.STEP_TIMEOUT)
        submit.click()
        result = question.locator(".notalone-quiz-result")
        expect(result).to_contain_text("Đã lưu câu trả lời", timeout=lab.STEP_TIMEOUT)
        expect(result).not_to_contain_text("Chính xác")
        expect(question.locator(".notalone-quiz-choices input[type='radio']").first).to_be_disabled()
        saved = json.loads((server.root_dir / "knowledge-check" / "notalone-progress.json").read_text(encoding="utf-8"))
        assert saved["quizzes"]["knowledge-check-before"]["answers"] == {"video-call": ["game-chat-only"]}
