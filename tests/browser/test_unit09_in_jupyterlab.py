"""Unit 9 in a real JupyterLab, driven through Debian's Chromium.

Each language's lesson is opened and run; the main chat ("Easy job, high pay") is played through
all five decisions to an ending, with feedback naming the red flag; the borrowed-account chat is
played to an ending too; both plays are saved; the code lab prints the checker's precision and
recall; the job-post checker takes a scam post typed without accents and shows its warning signs,
and shows none for a genuine post; the help card is there.

Run: ``python -m pytest tests/browser/test_unit09_in_jupyterlab.py -q`` (needs /usr/bin/chromium
and the playwright module; nothing is downloaded).
"""

from __future__ import annotations

import pytest

import lab

pytestmark = pytest.mark.browser

UNIT = "unit09-easy-job-high-pay"
MAX_OPTION_CLICKS = 10
CONTACTS = {"en": ("Quyên (recruiter, Team Sao Vàng)", "Bảo (a classmate)"),
            "vi": ("Quyên (tuyển dụng, Team Sao Vàng)", "Bảo (bạn cùng lớp)")}
MEASURED = {"en": ("precision = 28/31 = 90%", "recall    = 28/32 = 88%"),
            "vi": ("độ chính xác = 28/31 = 90%", "độ phủ       = 28/32 = 88%")}
SCAM_POST = "viec nhe luong cao, dat coc 200k de nhan nhiem vu, ib minh"


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_unit09_lesson_plays_in_jupyterlab(jupyterlab_server, browser_page, tmp_path, lang):
    from playwright.sync_api import expect

    server, page = jupyterlab_server, browser_page
    notebook = f"{UNIT}/{UNIT}.{lang}.ipynb"
    with lab.running_lesson(server, page, tmp_path, notebook, f"unit09-{lang}"):

        chats = page.locator(".notalone-chat")
        expect(chats.nth(1).locator(".notalone-option").first).to_be_visible(timeout=lab.RUN_TIMEOUT)
        job, account = chats.nth(0), chats.nth(1)
        expect(job).to_contain_text(CONTACTS[lang][0])
        expect(account).to_contain_text(CONTACTS[lang][1])

        # The task scam: the first options go through all five decisions (invite, task, deposit, frozen, abroad).
        feedback, clicked = lab.play_to_the_end(page, job, max_clicks=MAX_OPTION_CLICKS)
        assert len(clicked) == 5, f"the job scenario ended after {clicked}"
        label = lab.RED_FLAG_LABEL[lang]
        assert feedback and all(label in text for text in feedback), f"feedback without {label!r}: {feedback!r}"
        expect(job.locator(".notalone-summary")).to_contain_text("111")

        # The borrowed account, played to an ending.
        account.scroll_into_view_if_needed()
        _, clicked = lab.play_to_the_end(page, account, max_clicks=MAX_OPTION_CLICKS)
        assert len(clicked) >= 2, f"the account scenario ended after {clicked}"

        progress = server.root_dir / UNIT / "notalone-progress.json"
        saved = progress.read_text(encoding="utf-8")
        assert "unit09-easy-tasks" in saved and "unit09-borrow-account" in saved

        # The code lab measured the checker on the 64 posts.
        outputs = page.locator(".jp-OutputArea-output")
        for line in MEASURED[lang]:
            expect(outputs.filter(has_text=line).first).to_be_attached()

        # The live checker reads a scam post typed without accents, and leaves a genuine one alone.
        checker = page.locator(".notalone-red-flag-checker").first
        checker.scroll_into_view_if_needed()
        result = checker.locator(".notalone-red-flag-result")
        checker.locator(".notalone-red-flag-input textarea").fill(SCAM_POST)
        checker.locator(".notalone-red-flag-check").click()
        for sign in ("pay-too-good", "pay-to-work", "paid-tasks", "private-chat"):
            expect(result.locator(f".notalone-red-flag-category[data-category='{sign}']")).to_be_visible(
                timeout=lab.STEP_TIMEOUT)
        checker.locator(".notalone-red-flag-input textarea").fill("Bookshop assistant, interview at the shop.")
        checker.locator(".notalone-red-flag-check").click()
        expect(result.locator(".notalone-red-flag-category")).to_have_count(0, timeout=lab.STEP_TIMEOUT)

        expect(page.locator(".notalone-quiz").first).to_be_attached()
        help_card = page.locator(".notalone-help-card:not(.notalone-chat .notalone-help-card)").first
        help_card.scroll_into_view_if_needed()
        expect(help_card).to_contain_text("113")
