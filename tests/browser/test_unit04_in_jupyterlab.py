"""Unit 4 in a real JupyterLab, driven through Debian's Chromium.

Each language's lesson is opened and run: the chat "Just between us" is played to an ending
(feedback names the red flag in the notebook's language), the code lab printed its
measurements, and the message checker takes a message typed without accents and shows the
secrecy red flag, its explanation and the rule.

Run: ``python -m pytest tests/browser/test_unit04_in_jupyterlab.py -q`` (needs /usr/bin/chromium
and the playwright module; nothing is downloaded).
"""

from __future__ import annotations

import pytest

import lab

pytestmark = pytest.mark.browser

UNIT = "unit04-no-secrets"
MAX_OPTION_CLICKS = 8
EXPECTED = {
    "en": {"measure": "456 of 481 messages flagged exactly right", "secrecy": "Secrecy", "rule": "No following requests to keep secrets",
           "found": "Red flags found: 2", "none": "No red-flag words found"},
    "vi": {"measure": "Đoán đúng hoàn toàn 456/481 tin nhắn", "secrecy": "Đòi giữ bí mật", "rule": "Không làm theo yêu cầu giữ bí mật",
           "found": "Số dấu hiệu cảnh báo tìm thấy: 2", "none": "Không thấy từ nào đáng ngờ"},
}


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_unit04_lesson_plays_in_jupyterlab(jupyterlab_server, browser_page, tmp_path, lang):
    from playwright.sync_api import expect

    server, page = jupyterlab_server, browser_page
    notebook = f"{UNIT}/{UNIT}.{lang}.ipynb"
    words = EXPECTED[lang]

    with lab.running_lesson(server, page, tmp_path, notebook, f"unit04-{lang}"):

        chat = page.locator(".notalone-chat").first
        expect(chat.locator(".notalone-message").first).to_be_visible(timeout=lab.RUN_TIMEOUT)
        feedback, clicked = lab.play_to_the_end(page, chat, pick="last", max_clicks=MAX_OPTION_CLICKS)
        assert len(clicked) >= 5, f"the chat ended after {clicked}"
        label = lab.RED_FLAG_LABEL[lang]
        assert feedback and all(label in text for text in feedback), f"feedback without {label!r}: {feedback!r}"
        expect(chat.locator(".notalone-summary")).to_contain_text("111")

        outputs = page.locator(".jp-OutputArea-output")
        expect(outputs.filter(has_text=words["measure"]).first).to_be_attached()

        checker = page.locator(".notalone-red-flag-checker").first
        checker.scroll_into_view_if_needed()
        result = checker.locator(".notalone-red-flag-result")
        # Students type Vietnamese here: the interface font, not a monospace one that misplaces diacritics.
        font = checker.locator(".notalone-red-flag-input textarea").evaluate("e => getComputedStyle(e).fontFamily")
        ui_font = page.evaluate("getComputedStyle(document.body).getPropertyValue('--jp-ui-font-family')")
        assert "mono" not in font.lower() and font.replace(" ", "") == ui_font.replace(" ", ""), (font, ui_font)
        checker.locator(".notalone-red-flag-input textarea").fill("dung noi voi bo me nha, cho anh xin so dien thoai")
        checker.locator(".notalone-red-flag-check").click()
        expect(result).to_contain_text(words["found"], timeout=lab.STEP_TIMEOUT)
        expect(result.locator(".notalone-red-flag-category[data-category='secrecy']")).to_contain_text(words["secrecy"])
        expect(result).to_contain_text(words["rule"])
        checker.locator(".notalone-red-flag-input textarea").fill("gg!")
        checker.locator(".notalone-red-flag-check").click()
        expect(result).to_contain_text(words["none"], timeout=lab.STEP_TIMEOUT)

        help_card = page.locator(".notalone-help-card:not(.notalone-chat .notalone-help-card)").first
        help_card.scroll_into_view_if_needed()
        expect(help_card).to_contain_text("113")
