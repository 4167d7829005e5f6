"""Unit 1 in a real JupyterLab, driven through Debian's Chromium.

First a tiny notebook checks that ipywidgets render and take clicks in this
JupyterLab at all; then each language's lesson notebook is opened, run, and
played: the chat shows messages, an option click shows feedback with the red
flag and the rule (in the notebook's language), more clicks reach the
summary, and the quiz and the help card (with 111 and 113) are on the page.

Run: ``python -m pytest tests/browser -q`` (needs /usr/bin/chromium and the
playwright module; nothing is downloaded).
"""

from __future__ import annotations

import json
import re
import textwrap

import pytest

from lab import (MAX_OPTION_CLICKS, RED_FLAG_LABEL, RUN_TIMEOUT, STEP_TIMEOUT, click_and_settle, diagnose, fresh_start, open_notebook, run_all_cells, running_lesson)

pytestmark = pytest.mark.browser

UNIT = "unit01-online-kidnapping"

SMOKE_NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "id": "smoke-widget",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": textwrap.dedent(
                """\
                import ipywidgets as w
                button = w.Button(description="Pick me")
                button.add_class("notalone-option")
                result = w.Label(value="not clicked")
                result.add_class("smoke-result")
                button.on_click(lambda _: setattr(result, "value", "clicked"))
                w.VBox([button, result])
                """
            ),
        }
    ],
    "metadata": {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


def test_widgets_render_and_click_in_jupyterlab(jupyterlab_server, browser_page, tmp_path):
    """The harness itself: an ipywidgets Button renders and its click reaches the kernel."""
    from playwright.sync_api import expect

    server, page = jupyterlab_server, browser_page
    fresh_start(server, page)
    smoke_dir = server.root_dir / "_browser_smoke"
    smoke_dir.mkdir(exist_ok=True)
    (smoke_dir / "smoke.ipynb").write_text(json.dumps(SMOKE_NOTEBOOK))
    with diagnose(page, server, tmp_path, "smoke"):
        open_notebook(page, server, "_browser_smoke/smoke.ipynb")
        run_all_cells(page)
        button = page.locator(".notalone-option")
        expect(button).to_have_text("Pick me", timeout=RUN_TIMEOUT)
        click_and_settle(page, page.locator(".jp-Notebook").first, button)
        expect(page.locator(".smoke-result")).to_have_text("clicked")


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_lesson_plays_in_jupyterlab(jupyterlab_server, browser_page, tmp_path, lang):
    from playwright.sync_api import expect

    server, page = jupyterlab_server, browser_page
    notebook = f"{UNIT}/{UNIT}.{lang}.ipynb"
    with running_lesson(server, page, tmp_path, notebook, f"lesson-{lang}"):

        chat = page.locator(".notalone-chat").first
        expect(chat.locator(".notalone-message").first).to_be_visible(timeout=RUN_TIMEOUT)

        # The engine may keep hidden placeholders (an empty summary, an empty
        # feedback box): only what is shown counts.
        summary = page.locator(".notalone-summary").filter(visible=True)
        options = chat.locator(".notalone-option:enabled").filter(visible=True)
        feedback = page.locator(".notalone-feedback").filter(visible=True)
        feedback_texts: list[str] = []
        clicked: list[str] = []
        for _ in range(MAX_OPTION_CLICKS):
            expect(options.or_(summary).first).to_be_visible(timeout=STEP_TIMEOUT)
            if summary.count():
                break
            clicked.append(click_and_settle(page, chat, options.first))
            if len(clicked) == 1:
                expect(feedback.first).to_be_visible(timeout=STEP_TIMEOUT)
                expect(feedback.first).to_have_text(re.compile(r"\S"))
            feedback_texts += feedback.all_inner_texts()

        expect(summary.first, f"no summary after clicking {clicked}").to_be_visible(timeout=STEP_TIMEOUT)
        feedback_texts += feedback.all_inner_texts()
        label = RED_FLAG_LABEL[lang]
        assert any(label in text for text in feedback_texts), (
            f"no .notalone-feedback contained {label!r}; feedback seen: {feedback_texts!r}"
        )

        quiz = page.locator(".notalone-quiz").first
        quiz.scroll_into_view_if_needed()
        expect(quiz).to_be_visible()

        # The lesson's own help card; the chat's summary may show a compact one too.
        help_cards = page.locator(".notalone-help-card")
        standalone = page.locator(".notalone-help-card:not(.notalone-chat .notalone-help-card)")
        help_card = (standalone if standalone.count() else help_cards).first
        help_card.scroll_into_view_if_needed()
        expect(help_card).to_be_visible()
        expect(help_card).to_contain_text("111")
        expect(help_card).to_contain_text("113")
