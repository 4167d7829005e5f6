"""Unit 10 in a real JupyterLab, driven through Debian's Chromium.

Each language's lesson is opened and run; the chat ("The new friend") is played to an ending with
feedback naming the red flag, and played again along the safe path to the ending where the student
tells another adult; the hashing cells print SHA-256 digests and Hamming distances; the self-check
and the help card are there.

Run: ``python -m pytest tests/browser/test_unit10_in_jupyterlab.py -q`` (needs /usr/bin/chromium
and the playwright module; nothing is downloaded).
"""

from __future__ import annotations

import json
import re

import pytest

import lab

pytestmark = pytest.mark.browser

UNIT = "unit10-your-image-your-rights"
CONTACT = {"en": "Tùng (met in a game)", "vi": "Tùng (quen trong game)"}
MATCH = {"en": "matches a reported picture", "vi": "khớp với ảnh bị báo cáo"}
SAFE_PATH = ["say-no", "keep-evidence", "block-and-report", "tell-aunt", "tell-another"]


def option_texts(language: str) -> dict[str, str]:
    """Option id -> its text in `language`, from the scenario file."""
    from widgets import load_scenario

    scenario = load_scenario(lab.LESSONS / UNIT / "new-friend.scenario.yaml")
    return {option.id: option.text[language] for node in scenario.nodes.values() if node.decision
            for option in node.decision.options}


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_unit10_lesson_plays_in_jupyterlab(jupyterlab_server, browser_page, tmp_path, lang):
    from playwright.sync_api import expect

    server, page = jupyterlab_server, browser_page
    with lab.running_lesson(server, page, tmp_path, f"{UNIT}/{UNIT}.{lang}.ipynb", f"unit10-{lang}"):
        chat = page.locator(".notalone-chat").first
        expect(chat.locator(".notalone-option").first).to_be_visible(timeout=lab.RUN_TIMEOUT)
        expect(chat).to_contain_text(CONTACT[lang])

        # Any path reaches an ending, with feedback that names the red flag, and the help numbers.
        feedback, clicked = lab.play_to_the_end(page, chat)
        assert len(clicked) >= 3, f"the chat ended after {clicked}"
        label = lab.RED_FLAG_LABEL[lang]
        assert feedback and all(label in text for text in feedback), f"feedback without {label!r}: {feedback!r}"
        expect(chat.locator(".notalone-summary")).to_contain_text("111")

        # Play again along the safe path: the first adult does not help, the student tells another.
        again = chat.locator("button.notalone-play-again").first
        again.scroll_into_view_if_needed()
        lab.click_and_settle(page, chat, again)
        texts = option_texts(lang)
        for option in SAFE_PATH:
            button = chat.locator(".notalone-option:enabled", has_text=texts[option]).first
            button.scroll_into_view_if_needed()
            lab.click_and_settle(page, chat, button)
        expect(chat.locator(".notalone-summary").first).to_be_visible(timeout=lab.STEP_TIMEOUT)
        saved = json.loads((server.root_dir / UNIT / "notalone-progress.json").read_text(encoding="utf-8"))
        record = saved["scenarios"]["unit10-new-friend"]
        assert [c["option"] for c in record["choices"]] == SAFE_PATH and record["earlier_attempts"]

        # The hashing cells ran: four SHA-256 digests, and the copies match while the other picture does not.
        outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
        digests = set(re.findall(r"\b[0-9a-f]{64}\b", "\n".join(outputs)))
        assert len(digests) == 3, f"expected 3 different SHA-256 digests (original twice), got {digests}"
        assert sum(text.count(MATCH[lang]) for text in outputs) == 2

        help_card = page.locator(".notalone-help-card:not(.notalone-chat .notalone-help-card)").last
        help_card.scroll_into_view_if_needed()
        expect(help_card).to_contain_text("111")
        expect(page.locator(".notalone-quiz").first).to_be_attached()
