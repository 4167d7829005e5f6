"""Unit 7 in a real JupyterLab, driven through Debian's Chromium.

Each language's lesson is opened and run; its main chat ("A secret too heavy to keep") is
played to an ending, with feedback naming the red flag; the practice chat ("telling Mum") is
played to an ending too; the lesson links the family handout, and the link opens it. The handouts themselves are
printed to PDF by the same Chromium and must fit on one page.

Run: ``python -m pytest tests/browser/test_unit07_in_jupyterlab.py -q`` (needs /usr/bin/chromium
and the playwright module; nothing is downloaded).
"""

from __future__ import annotations

import re

import pytest

import lab
from support import REPO

pytestmark = pytest.mark.browser

UNIT = "unit07-share-with-family"
MAX_OPTION_CLICKS = 10
CONTACTS = {"en": ("Vy (your best friend)", "Mum"), "vi": ("Vy (bạn thân của bạn)", "Mẹ")}
PDF_PAGE = re.compile(rb"/Type\s*/Page[^s]")


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_unit07_lesson_plays_in_jupyterlab(jupyterlab_server, browser_page, tmp_path, lang):
    from playwright.sync_api import expect

    server, page = jupyterlab_server, browser_page
    notebook = f"{UNIT}/{UNIT}.{lang}.ipynb"
    with lab.running_lesson(server, page, tmp_path, notebook, f"unit07-{lang}"):

        chats = page.locator(".notalone-chat")
        expect(chats.nth(1).locator(".notalone-option").first).to_be_visible(timeout=lab.RUN_TIMEOUT)
        friend, practice = chats.nth(0), chats.nth(1)
        expect(friend).to_contain_text(CONTACTS[lang][0])
        expect(practice).to_contain_text(CONTACTS[lang][1])

        # The main scenario: a friend's dangerous secret, played to an ending.
        feedback, clicked = lab.play_to_the_end(page, friend, max_clicks=MAX_OPTION_CLICKS)
        assert len(clicked) >= 4, f"the friend scenario ended after {clicked}"
        label = lab.RED_FLAG_LABEL[lang]
        assert feedback and all(label in text for text in feedback), f"feedback without {label!r}: {feedback!r}"
        expect(friend.locator(".notalone-summary")).to_contain_text("111")

        # The practice conversation with Mum, played to an ending.
        practice.scroll_into_view_if_needed()
        _, clicked = lab.play_to_the_end(page, practice, max_clicks=MAX_OPTION_CLICKS)
        assert len(clicked) == 4, f"the practice has four steps, clicked {clicked}"

        # The saved progress holds both plays.
        progress = server.root_dir / UNIT / "notalone-progress.json"
        saved = progress.read_text(encoding="utf-8")
        assert "unit07-friend-secret" in saved and "unit07-talk-to-mum" in saved

        # The family handout is linked, and the self-check and help card are there.
        link = page.locator(f".jp-RenderedMarkdown a[href*='handout.{lang}.html']").first
        link.scroll_into_view_if_needed()
        expect(link).to_be_visible()
        expect(page.locator(".notalone-quiz").first).to_be_attached()
        help_card = page.locator(".notalone-help-card:not(.notalone-chat .notalone-help-card)").first
        help_card.scroll_into_view_if_needed()
        expect(help_card).to_contain_text("113")

        # Clicking the link opens the handout in JupyterLab's HTML viewer.
        link.scroll_into_view_if_needed()
        link.click()
        expect(page.locator(".lm-TabBar-tab", has_text=f"handout.{lang}.html").first).to_be_visible(
            timeout=lab.STEP_TIMEOUT)


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_the_family_handout_prints_on_one_page(browser_page, tmp_path, lang):
    """Chromium's print to PDF (A4, the handout's own @page rules) gives exactly one page."""
    from playwright.sync_api import expect

    handout = REPO / "lessons" / UNIT / f"handout.{lang}.html"
    page = browser_page.context.new_page()
    try:
        page.goto(handout.resolve().as_uri())
        expect(page.locator("h1")).to_be_visible()
        expect(page.locator("main")).to_contain_text("111")
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
        (tmp_path / f"handout.{lang}.pdf").write_bytes(pdf)
        pages = len(PDF_PAGE.findall(pdf))
        assert pages == 1, f"handout.{lang}.html prints on {pages} pages (see {tmp_path / f'handout.{lang}.pdf'})"
    finally:
        page.close()
