"""Unit 3 in a real JupyterLab, driven through Debian's Chromium.

The English lesson is opened and run: the sorting activity takes a category from every
dropdown, "Check my sorting" shows which are right with their explanations, the chat takes a
click and shows feedback, and the Python cells print the photos' EXIF (camera and GPS).

Run: ``python -m pytest tests/browser -q`` (needs /usr/bin/chromium and the playwright module).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from test_lesson_in_jupyterlab import (RUN_TIMEOUT, STEP_TIMEOUT, click_and_settle, diagnose, fresh_start, open_notebook,
                                       run_all_cells)

pytestmark = pytest.mark.browser

UNIT = "unit03-no-sharing"
LESSONS = Path(__file__).resolve().parents[2] / "lessons"


def sort_labels(path, language, wrong: int | None = None):
    """(item text, category label to pick) for each item of a sorting file; item `wrong` gets a wrong category."""
    from widgets.i18n import localize
    from widgets.sorter import load_sort

    sort = load_sort(path)
    picks = []
    for index, item in enumerate(sort.items):
        category = sort.category(item.category)
        if index == wrong:
            category = next(c for c in sort.categories if c.id != item.category)
        picks.append((localize(item.text, language), f"{category.icon} {localize(category.label, language)}".strip()))
    return picks


def sort_everything(page, sorter, picks, progress_text):
    """Pick a category in every dropdown, waiting each time for the kernel to count it."""
    from playwright.sync_api import expect

    rows = sorter.locator(".notalone-sorter-item")
    expect(rows).to_have_count(len(picks))
    for number, (text, label) in enumerate(picks, 1):
        row = rows.nth(number - 1)
        expect(row).to_contain_text(text)
        row.scroll_into_view_if_needed()
        row.locator("select").select_option(label=label)
        if number < len(picks):
            expect(sorter).to_contain_text(progress_text(number, len(picks)), timeout=STEP_TIMEOUT)
    check = sorter.locator("button.notalone-sorter-check")
    expect(check).to_be_enabled(timeout=STEP_TIMEOUT)
    check.click()


def test_unit03_lesson_plays_in_jupyterlab(jupyterlab_server, browser_page, tmp_path):
    from playwright.sync_api import expect

    server, page = jupyterlab_server, browser_page
    notebook = f"{UNIT}/lesson.en.ipynb"
    assert (server.root_dir / notebook).is_file(), f"lessons/{notebook} does not exist"
    fresh_start(server, page)

    with diagnose(page, server, tmp_path, "unit03-en"):
        open_notebook(page, server, notebook)
        run_all_cells(page)

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
