"""Unit 5 in a real JupyterLab, driven through Debian's Chromium, in Vietnamese.

The Vietnamese lesson is opened and run: the "what comes first?" sorting activity takes a
category from every dropdown and shows its results, the app guide shows Zalo's block and report
steps and switches to another app, the chat plays through the safe path
(screenshot, block, report, tell) to its summary with the help card, and the evidence log's
cells print the entries and detect the changed and the missing screenshot.

Run: ``python -m pytest tests/browser -q`` (needs /usr/bin/chromium and the playwright module).
"""

from __future__ import annotations

import re

import pytest

from lab import (LESSONS, sort_everything, sort_labels, RUN_TIMEOUT, STEP_TIMEOUT, click_and_settle, running_lesson)

pytestmark = pytest.mark.browser

UNIT = "unit05-block-and-report"
# The safe path through lucky-spin.scenario.yaml, by the Vietnamese text of each option.
SAFE_PATH = ["Thôi không trả lời, và chụp màn hình", "Chặn tài khoản và báo cáo", "Cho bố xem ảnh chụp màn hình"]


def test_unit05_lesson_plays_in_jupyterlab_in_vietnamese(jupyterlab_server, browser_page, tmp_path):
    from playwright.sync_api import expect

    server, page = jupyterlab_server, browser_page
    notebook = f"{UNIT}/{UNIT}.vi.ipynb"
    with running_lesson(server, page, tmp_path, notebook, "unit05-vi"):

        sorter = page.locator(".notalone-sorter").first
        expect(sorter).to_be_visible(timeout=RUN_TIMEOUT)
        expect(sorter).to_contain_text("Bị đe dọa trên mạng: việc gì làm trước?")
        picks = sort_labels(LESSONS / UNIT / "what-comes-first.sort.yaml", "vi")
        sort_everything(page, sorter, picks, lambda placed, total: f"Đã xếp {placed}/{total}")
        expect(sorter.locator(".notalone-sorter-score")).to_contain_text(f"Xếp đúng {len(picks)}/{len(picks)} mục",
                                                                         timeout=STEP_TIMEOUT)
        expect(sorter.locator(".notalone-sorter-score")).to_contain_text("Đúng hết rồi")
        expect(sorter.locator(".notalone-sorter-right")).to_have_count(len(picks))

        # The app guide: Zalo's block and report steps, then another app from the dropdown.
        guide = page.locator(".notalone-platform-guide").first
        guide.scroll_into_view_if_needed()
        expect(guide).to_contain_text("Nút nằm ở đâu")
        steps = guide.locator(".notalone-guide-steps")
        expect(steps).to_contain_text("Báo xấu")
        expect(steps).to_contain_text("2025-11")
        expect(steps.locator(".notalone-guide-topic")).to_have_count(2)
        guide.locator(".notalone-guide-platform select").select_option(label="📷 Instagram")
        expect(steps).to_contain_text("Instagram", timeout=STEP_TIMEOUT)
        expect(steps).to_contain_text("Tên mục có thể hơi khác")
        guide.screenshot(path=str(tmp_path / "platform-guide-vi.png"))

        chat = page.locator(".notalone-chat").first
        chat.scroll_into_view_if_needed()
        expect(chat).to_contain_text("LuckySpin_Gifts")
        # First decision: reply (risky) so the chat goes on to the threat, then the safe path.
        first = chat.locator(".notalone-option:enabled").filter(has_text=re.compile(r"^Trả lời")).first
        click_and_settle(page, chat, first)
        feedback = page.locator(".notalone-feedback").filter(visible=True).first
        expect(feedback).to_contain_text("Dấu hiệu cảnh báo", timeout=STEP_TIMEOUT)
        for text in SAFE_PATH:
            option = chat.locator(".notalone-option:enabled").filter(has_text=text).first
            click_and_settle(page, chat, option)
        summary = page.locator(".notalone-summary").filter(visible=True).first
        expect(summary).to_contain_text("Chụp màn hình, chặn, báo cáo, kể lại", timeout=STEP_TIMEOUT)
        expect(summary).to_contain_text("113")

        outputs = page.locator(".jp-OutputArea-output")
        expect(outputs.filter(has_text="Bị thay đổi hoặc bị mất: []").first).to_be_visible()
        expect(outputs.filter(has_text="['screenshot-2.png', 'screenshot-3.png']").first).to_be_visible()
        expect(outputs.filter(has_text="Giải thưởng giả: đòi 50.000 đồng").first).to_contain_text('"sha256"')
