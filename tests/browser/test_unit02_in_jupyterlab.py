"""Unit 2 in a real JupyterLab, driven through Debian's Chromium, in English.

The English lesson is opened and run: the URL inspector takes a click on an example link (the
short link resolves, from the local table, to a look-alike of the police site), a typed link
(the @ trick) and a link submitted with Enter (a number that opens as an IP address), and shows the coloured breakdown, the findings with their rule and the verdict;
the Python "try it" cells print the split link and the decoded punycode; the "police" video call
plays through the safe path to its summary with the help card.

Run: ``python -m pytest tests/browser -q`` (needs /usr/bin/chromium and the playwright module).
"""

from __future__ import annotations

import pytest

from lab import (RUN_TIMEOUT, STEP_TIMEOUT, click_and_settle, running_lesson)

pytestmark = pytest.mark.browser

UNIT = "unit02-no-links-calls-meetings"
# The safe path through fake-police-call.scenario.yaml, by the English text of each option.
SAFE_PATH = ["Read it with the link inspector first", "Let it ring. Call Mum", "Go to the ward police with Mum"]


def test_unit02_lesson_plays_in_jupyterlab(jupyterlab_server, browser_page, tmp_path):
    from playwright.sync_api import expect

    server, page = jupyterlab_server, browser_page
    notebook = f"{UNIT}/{UNIT}.en.ipynb"
    with running_lesson(server, page, tmp_path, notebook, "unit02-en"):

        inspector = page.locator(".notalone-url-inspector").first
        expect(inspector).to_be_visible(timeout=RUN_TIMEOUT)
        result = inspector.locator(".notalone-url-result")
        expect(result).to_contain_text("Type or paste a link")

        # Click an example: the short link is resolved locally and leads to a fake police site.
        inspector.locator(".notalone-url-example").filter(has_text="https://sh.example/bca24").first.click()
        expect(result).to_contain_text("This short link leads to", timeout=STEP_TIMEOUT)
        expect(result).to_contain_text("bocongan-gov.example")
        expect(result.locator(".notalone-url-verdict-suspicious")).to_contain_text("Suspicious: do not open")
        expect(result.locator(".notalone-url-finding[data-code='extra-words']")).to_contain_text("Verify information")

        # Type a link and press Inspect: the part before @ is not the site.
        field = inspector.locator(".notalone-url-input input")
        field.fill("https://chinhphu.vn@tin-tuc.example/ho-so")
        inspector.locator(".notalone-url-inspect").click()
        expect(result.locator(".notalone-url-breakdown .notalone-url-part-userinfo")).to_have_text("chinhphu.vn",
                                                                                        timeout=STEP_TIMEOUT)
        expect(result.locator(".notalone-url-owner").first).to_have_text("tin-tuc.example")
        expect(result).to_contain_text("Everything before @ (chinhphu.vn) is NOT the website")

        # Type a link and press Enter: a number browsers open as an IP address. The result sits
        # right under the text box, above the examples, and the limits note says what to do.
        field.fill("http://3232235777/dang-nhap")
        field.press("Enter")
        expect(result.locator(".notalone-url-finding[data-code='ip-disguised']")).to_contain_text("192.168.1.1", timeout=STEP_TIMEOUT)
        field_box, result_box = field.bounding_box(), result.bounding_box()
        example_box = inspector.locator(".notalone-url-example").first.bounding_box()
        assert field_box["y"] < result_box["y"] < example_box["y"]
        assert result_box["y"] - (field_box["y"] + field_box["height"]) < 80, "the result starts right under the text box"
        expect(inspector.locator(".notalone-url-limits")).to_contain_text("does not mean")

        # The "try it" cells ran.
        outputs = page.locator(".jp-OutputArea-output")
        expect(outputs.filter(has_text="owner: tra-cuu.example").first).to_be_visible()
        expect(outputs.filter(has_text="is CYRILLIC SMALL LETTER A").first).to_be_visible()

        # The chat: the safe path ends well, with the help card.
        chat = page.locator(".notalone-chat").first
        chat.scroll_into_view_if_needed()
        expect(chat).to_contain_text("POLICE NOTICE")
        for text in SAFE_PATH:
            option = chat.locator(".notalone-option:enabled").filter(has_text=text).first
            click_and_settle(page, chat, option)
            expect(page.locator(".notalone-feedback").filter(visible=True).first).to_contain_text("Red flag", timeout=STEP_TIMEOUT)
        summary = page.locator(".notalone-summary").filter(visible=True).first
        expect(summary).to_contain_text("You checked it the right way", timeout=STEP_TIMEOUT)
        expect(summary).to_contain_text("You chose safely at 3 of 3 decision points.")
        expect(summary.locator(".notalone-help-card")).to_contain_text("113")
