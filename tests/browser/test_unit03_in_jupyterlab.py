"""Unit 3 in a real JupyterLab, driven through Debian's Chromium.

The English lesson is opened and run: the sorting activity takes a category from every
dropdown, "Check my sorting" shows which are right with their explanations, the chat takes a
click and shows feedback, and the Python cells print the photos' EXIF (camera and GPS).

Run: ``python -m pytest tests/browser -q`` (needs /usr/bin/chromium and the playwright module).
"""

from __future__ import annotations

import re

import pytest

from lab import (LESSONS, sort_everything, sort_labels, RUN_TIMEOUT, STEP_TIMEOUT, click_and_settle, running_lesson)

pytestmark = pytest.mark.browser

UNIT = "unit03-no-sharing"
def test_unit03_lesson_plays_in_jupyterlab(jupyterlab_server, browser_page, tmp_path):
    from playwright.sync_api import expect

    server, page = jupyterlab_server, browser_page
    notebook = f"{UNIT}/{UNIT}.en.ipynb"
    with running_lesson(server, page, tmp_path, notebook, "unit03-en"):

        sorter = page.locator(".notalone-sorter").first
        expect(sorter).to_be_visible(timeout=RUN_TIMEOUT)
        expect(sorter).to_contain_text("Share it or keep it?")
        picks = sort_labels(LESSONS / UNIT / "share-or-not.sort.yaml", "en", wrong=0)
        sort_everything(page, sorter, picks, lambda placed, total: f"{placed} of {total} placed")

        score = sorter.locator(".notalone-sorter-score")
        expect(score).to_contain_text(f"{len(picks) - 1} of {len(picks)} in the right category", timeout=STEP_TIMEOUT)
        expect(sorter.locator(".notalone-sorter-wrong")).to_have_count(1)
        expect(sorter.locator(".notalone-sorter-wrong")).to_contain_text("Your tastes say nothing about where to find you")
        expect(sorter.locator(".notalone-sorter-right")).to_have_count(len(picks) - 1)
        expect(sorter.locator("button.notalone-sorter-reset")).to_be_visible()

        chat = page.locator(".notalone-chat").first
        chat.scroll_into_view_if_needed()
        expect(chat).to_contain_text("StarShine Models")
        option = chat.locator(".notalone-option:enabled").filter(visible=True).first
        click_and_settle(page, chat, option)
        feedback = page.locator(".notalone-feedback").filter(visible=True).first
        expect(feedback).to_contain_text("Red flag", timeout=STEP_TIMEOUT)
        expect(feedback).to_contain_text("No sharing personal information or sensitive photos")

        outputs = page.locator(".jp-OutputArea-output")
        expect(outputs.filter(has_text="sample-photo-1.jpg").first).to_contain_text("Demo Camera")
        expect(outputs.filter(has_text="sample-photo-1.jpg").first).to_contain_text(re.compile(r"21\.0147, 105\.8434"))
        expect(outputs.filter(has_text="EXIF entries left in the copy: 0").first).to_be_visible()

        help_card = page.locator(".notalone-help-card:not(.notalone-chat .notalone-help-card)").first
        help_card.scroll_into_view_if_needed()
        expect(help_card).to_contain_text("111")
