"""Unit 6 in a real JupyterLab, driven through Debian's Chromium, in Vietnamese.

The Vietnamese lesson is opened and run: the "cousin with a new number" chat plays through the
safe path to its summary, the URL inspector (reused from Unit 2) takes a click on the payment link
and shows, in Vietnamese, that it imitates the bank, and the Python cells show the password
estimate and the private breach check (only the 5-character prefix is "sent").

Run: ``python -m pytest tests/browser -q`` (needs /usr/bin/chromium and the playwright module).
"""

from __future__ import annotations

import pytest

from lab import (RUN_TIMEOUT, STEP_TIMEOUT, click_and_settle, running_lesson)

pytestmark = pytest.mark.browser

UNIT = "unit06-verify"
# The safe path through cousin-new-number.scenario.yaml, by the Vietnamese text of each option.
SAFE_PATH = ["Gọi vào số cũ của anh Tuấn", "Không đưa.", "rồi cúp máy và gọi số cũ", "Không mở. Soi link", "Kể hết với bố"]


def test_unit06_lesson_plays_in_jupyterlab_in_vietnamese(jupyterlab_server, browser_page, tmp_path):
    from playwright.sync_api import expect

    server, page = jupyterlab_server, browser_page
    notebook = f"{UNIT}/{UNIT}.vi.ipynb"
    with running_lesson(server, page, tmp_path, notebook, "unit06-vi"):

        chat = page.locator(".notalone-chat").first
        expect(chat.locator(".notalone-message").first).to_be_visible(timeout=RUN_TIMEOUT)
        expect(chat).to_contain_text("Số mới của anh đó")
        for text in SAFE_PATH:
            option = chat.locator(".notalone-option:enabled").filter(has_text=text).first
            click_and_settle(page, chat, option)
            expect(page.locator(".notalone-feedback").filter(visible=True).first).to_contain_text(
                "Dấu hiệu cảnh báo", timeout=STEP_TIMEOUT)
        summary = page.locator(".notalone-summary").filter(visible=True).first
        expect(summary).to_contain_text("Cùng nhau xác minh", timeout=STEP_TIMEOUT)
        expect(summary).to_contain_text("Bạn đã chọn an toàn ở 5/5 tình huống.")

        inspector = page.locator(".notalone-url-inspector").first
        inspector.scroll_into_view_if_needed()
        inspector.locator(".notalone-url-example").filter(has_text="https://sh.example/tuan-ck").first.click()
        result = inspector.locator(".notalone-url-result")
        expect(result.locator(".notalone-url-verdict-suspicious")).to_contain_text("Đáng ngờ: đừng mở", timeout=STEP_TIMEOUT)
        expect(result).to_contain_text("vietcombank-chuyen-tien.example")
        expect(result).to_contain_text("Phải xác minh thông tin")

        outputs = page.locator(".jp-OutputArea-output")
        expect(outputs.filter(has_text="Gửi lên máy chủ").first).to_contain_text("8B473")
        expect(outputs.filter(has_text="'matkhau123' xuất hiện 5210 lần").first).to_be_visible()
        expect(outputs.filter(has_text="Hoa2009").first).to_contain_text("41.7 bit")
