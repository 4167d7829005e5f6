"""The closing pledge in a real JupyterLab, driven through Debian's Chromium, and its card printed to PDF.

- each language's pledge notebook is opened and run; the student types the six rules in their own
  words and a name into the text boxes, presses "Print / save card" too early (the missing rules are
  named) and again when done: the card file appears next to the notebook, and the words are saved;
- the card, in each language and with the longest words the pledge accepts, prints on exactly one
  A4 page (Chromium's page.pdf, the card's own @page rules), and holds the words, the rules and 111.

Run: ``python -m pytest tests/browser/test_pledge_in_jupyterlab.py -q`` (needs /usr/bin/chromium
and the playwright module; nothing is downloaded).
"""

from __future__ import annotations

import json
import re

import pytest

import lab

pytestmark = pytest.mark.browser

PDF_PAGE = re.compile(rb"/Type\s*/Page[^s]")
WORDS = {
    "en": ["I won't join calls or meet people I only know online.", "My photos and address stay mine, even if someone is nice.",
           "If someone says 'keep it secret', I tell my sister.", "Scary message? Screenshot, block, report, at once.",
           "I check with Mum before I believe a 'police' call.", "I talk to my family about my online life."],
    "vi": ["Em không gọi video hay gặp người chỉ quen trên mạng.", "Ảnh và địa chỉ của em là của em, dù ai hỏi ngọt.",
           "Ai bảo 'giữ bí mật' là em kể ngay với chị gái.", "Tin nhắn đáng sợ? Chụp màn hình, chặn, báo cáo ngay.",
           "Em hỏi bố mẹ trước khi tin một cuộc gọi 'công an'.", "Em kể với gia đình chuyện trên mạng của em."],
}
PRINT = {"en": "Print / save card", "vi": "In / lưu thẻ"}
NOT_READY = {"en": "Before the card can be printed", "vi": "Trước khi in thẻ"}


def settle(page, before: int) -> None:
    """Wait until the kernel has handled the widget event that followed `before` idle turns."""
    page.wait_for_function("(before) => window.__notaloneIdle.count > before", arg=before, timeout=lab.STEP_TIMEOUT)


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_the_pledge_is_filled_in_and_printed_in_jupyterlab(jupyterlab_server, browser_page, tmp_path, lang):
    from playwright.sync_api import expect

    server, page = jupyterlab_server, browser_page
    card = server.root_dir / "pledge" / f"my-pledge.{lang}.html"
    card.unlink(missing_ok=True)
    with lab.running_lesson(server, page, tmp_path, f"pledge/pledge.{lang}.ipynb", f"pledge-{lang}"):
        pledge = page.locator(".notalone-pledge").first
        boxes = pledge.locator(".notalone-pledge-words textarea")
        expect(boxes).to_have_count(6, timeout=lab.RUN_TIMEOUT)
        button = pledge.locator("button.notalone-pledge-print")
        expect(button).to_have_text(re.compile(re.escape(PRINT[lang])))

        # One rule written, then Print: the card is refused and the missing rules are named.
        boxes.nth(0).fill(WORDS[lang][0])
        before = page.evaluate("() => window.__notaloneIdle.count")
        boxes.nth(0).blur()
        settle(page, before)
        before = page.evaluate("() => window.__notaloneIdle.count")
        button.click()
        settle(page, before)
        expect(pledge.locator(".notalone-pledge-problems")).to_contain_text(NOT_READY[lang], timeout=lab.STEP_TIMEOUT)
        assert not card.exists()

        # The other five and a name, then Print again.
        for index in range(1, 6):
            boxes.nth(index).fill(WORDS[lang][index])
            before = page.evaluate("() => window.__notaloneIdle.count")
            boxes.nth(index).blur()
            settle(page, before)
        name = pledge.locator(".notalone-pledge-name input")
        name.fill("Lan")
        before = page.evaluate("() => window.__notaloneIdle.count")
        name.press("Enter")
        settle(page, before)
        before = page.evaluate("() => window.__notaloneIdle.count")
        button.click()
        settle(page, before)
        expect(pledge.locator(".notalone-pledge-ready")).to_contain_text(card.name, timeout=lab.STEP_TIMEOUT)
        assert card.is_file()
        page_text = card.read_text(encoding="utf-8")
        assert "Lan" in page_text and "111" in page_text
        saved = json.loads((server.root_dir / "pledge" / "notalone-progress.json").read_text(encoding="utf-8"))
        assert list(saved["pledges"]["closing-pledge"]["wording"].values()) == WORDS[lang]
        assert saved["pledges"]["closing-pledge"]["name"] == "Lan"


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_the_card_prints_on_exactly_one_page(browser_page, tmp_path, lang):
    """The longest accepted words, a long name: Chromium's print to PDF (A4) gives exactly one page."""
    from playwright.sync_api import expect

    from widgets.pledge import MAX_CHARACTERS, MAX_NAME, Pledge
    from widgets.progress import ProgressStore

    pledge = Pledge(ProgressStore(tmp_path / "notalone-progress.json"))
    longest = ("Nếu có người lạ nhắn tin hay gọi điện, em sẽ dừng lại, không làm theo, và kể ngay với bố mẹ, thầy cô. "
               if lang == "vi" else "If a stranger messages me or calls me, I will stop, not do what they ask, and tell my parents or a teacher. ")
    for rule in Pledge.rules():
        pledge.write(rule.id, (longest * 3)[:MAX_CHARACTERS].strip())
    pledge.set_name("Nguyễn Thị Thanh Hương Lan Anh Minh Châu"[:MAX_NAME])
    path = pledge.write_card(tmp_path, lang)
    page = browser_page.context.new_page()
    try:
        page.goto(path.resolve().as_uri())
        expect(page.locator("h1")).to_be_visible()
        expect(page.locator("main")).to_contain_text("111")
        expect(page.locator("td.words")).to_have_count(6)
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
        (tmp_path / f"my-pledge.{lang}.pdf").write_bytes(pdf)
        pages = len(PDF_PAGE.findall(pdf))
        assert pages == 1, f"my-pledge.{lang}.html prints on {pages} pages (see {tmp_path / f'my-pledge.{lang}.pdf'})"
    finally:
        page.close()
