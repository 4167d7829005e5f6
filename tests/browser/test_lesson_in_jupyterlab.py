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

import contextlib
import json
import re
import textwrap
import time

import pytest

pytestmark = pytest.mark.browser

UNIT = "unit01-online-kidnapping"
MAX_OPTION_CLICKS = 12
# The UI label for "Red flag" in each language (widgets/locales/<lang>.yaml).
RED_FLAG_LABEL = {"en": "Red flag", "vi": "Dấu hiệu cảnh báo"}

OPEN_TIMEOUT = 60_000  # ms: page load, kernel start
RUN_TIMEOUT = 60_000  # ms: Run All Cells
STEP_TIMEOUT = 15_000  # ms: one option click to the chat's next state

DIAGNOSE_JS = """
() => {
  const count = s => document.querySelectorAll(s).length;
  const selectors = ['.notalone-chat', '.notalone-message', '.notalone-option',
    '.notalone-feedback', '.notalone-summary', '.notalone-quiz', '.notalone-help-card',
    '.jupyter-widgets', '.widget-button', '.jp-OutputArea-output'];
  const counts = Object.fromEntries(selectors.map(s => [s, count(s)]));
  const texts = s => Array.from(document.querySelectorAll(s)).map(e => e.innerText.trim()).filter(Boolean);
  const errors = texts('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    .map(t => t.slice(-1500));
  const widgetProblems = texts('.jp-OutputArea-output')
    .filter(t => /Error displaying widget|Loading widget|model not found/i.test(t)).map(t => t.slice(0, 300));
  let kernel = null;
  try {
    const w = window.jupyterapp.shell.currentWidget;
    kernel = { path: w.context.path, status: w.sessionContext.session.kernel.status };
  } catch (e) { kernel = String(e); }
  return { counts, errors, widgetProblems, kernel };
}
"""

NOTEBOOK_READY_JS = """
(path) => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return false;
  const w = app.shell.currentWidget;
  if (!w || !w.context || w.context.path !== path || !w.context.isReady) return false;
  const sc = w.sessionContext;
  const kernel = sc && sc.session && sc.session.kernel;
  if (!sc.isReady || !kernel || kernel.status !== 'idle' || kernel.connectionStatus !== 'connected') {
    return false;
  }
  if (!window.__notaloneIdle) {
    // Count the kernel's busy->idle turns: one per executed cell or widget event.
    window.__notaloneIdle = { count: 0 };
    kernel.statusChanged.connect((_, status) => {
      if (status === 'idle') window.__notaloneIdle.count += 1;
    });
  }
  return true;
}
"""

RUN_ALL_JS = """
() => {
  window.__notaloneRunAll = null;
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(
    ok => { window.__notaloneRunAll = ok === false ? 'error' : 'done'; },
    err => { window.__notaloneRunAll = 'failed: ' + err; });
  return true;
}
"""

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


@contextlib.contextmanager
def diagnose(page, server, tmp_path, name):
    """On any failure: screenshot, page HTML and a DOM summary in the message."""
    message = None
    try:
        yield
    except Exception as exc:  # AssertionError, Playwright timeouts and errors
        shot = tmp_path / f"{name}.png"
        html = tmp_path / f"{name}.html"
        details = {}
        with contextlib.suppress(Exception):
            page.screenshot(path=str(shot))
        with contextlib.suppress(Exception):
            html.write_text(page.content())
        with contextlib.suppress(Exception):
            details = page.evaluate(DIAGNOSE_JS)
        console = getattr(page, "console_errors", [])[-10:]
        # Playwright appends a long ARIA snapshot of the whole page: the
        # screenshot and the HTML say more.
        error = str(exc).split("\nAria snapshot:")[0][:2000]
        message = (
            f"{type(exc).__name__}: {error}\n"
            f"screenshot: {shot}\npage HTML: {html}\n"
            f"DOM: {json.dumps(details, ensure_ascii=False, indent=1)}\n"
            f"browser console errors: {json.dumps(console, ensure_ascii=False, indent=1)}\n"
            f"server log: {server.log_path}"
        )
    if message is not None:  # outside the except: no "during handling" chain
        pytest.fail(message, pytrace=False)


def fresh_start(server, page):
    """No kernels left from earlier tests, no saved progress, no stale errors."""
    server.shutdown_sessions()
    for progress in server.root_dir.rglob("notalone-progress.json"):
        progress.unlink()
    if hasattr(page, "console_errors"):
        page.console_errors.clear()


def open_notebook(page, server, path):
    """Open ``path`` in a clean JupyterLab workspace and wait for an idle kernel."""
    page.goto(server.lab_url(path), wait_until="domcontentloaded", timeout=OPEN_TIMEOUT)
    deadline = time.monotonic() + OPEN_TIMEOUT / 1000
    while not page.evaluate(NOTEBOOK_READY_JS, path):
        # A notebook without kernelspec metadata asks which kernel: take the default.
        dialog = page.locator(".jp-Dialog .jp-mod-accept")
        if dialog.count() and dialog.first.is_visible():
            dialog.first.click()
        if time.monotonic() > deadline:
            raise AssertionError(f"{path}: the notebook or its kernel was not ready in time")
        page.wait_for_timeout(200)


def run_all_cells(page):
    """Run > Run All Cells, and wait until every cell has run."""
    has_app = page.evaluate("() => Boolean(window.jupyterapp && window.jupyterapp.commands)")
    if has_app:
        page.evaluate(RUN_ALL_JS)
        handle = page.wait_for_function("() => window.__notaloneRunAll", timeout=RUN_TIMEOUT)
        outcome = handle.json_value()
        assert outcome == "done", f"Run All Cells ended with {outcome!r} (a cell raised?)"
    else:  # The menu, as a person would do it.
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        page.wait_for_function(
            "() => !Array.from(document.querySelectorAll('.jp-InputPrompt'))"
            ".some(p => p.textContent.includes('*'))",
            timeout=RUN_TIMEOUT,
        )


def click_and_settle(page, scope, locator):
    """Click an option and wait until the kernel has answered and the chat changed."""
    from playwright.sync_api import expect

    expect(locator).to_be_enabled()
    before = page.evaluate("() => window.__notaloneIdle.count")
    chat_text = scope.inner_text()
    handle = locator.element_handle()
    label = handle.inner_text()
    handle.click()
    page.wait_for_function(
        """([button, label, chat, chatText, before]) =>
          window.__notaloneIdle.count > before && (
            !button.isConnected || button.disabled || button.innerText !== label ||
            chat.innerText !== chatText ||
            Array.from(document.querySelectorAll('.notalone-summary')).some(s => s.checkVisibility()))""",
        arg=[handle, label, scope.element_handle(), chat_text, before],
        timeout=STEP_TIMEOUT,
    )
    return label


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
    notebook = f"{UNIT}/lesson.{lang}.ipynb"
    if not (server.root_dir / notebook).is_file():
        pytest.fail(f"lessons/{notebook} does not exist")
    fresh_start(server, page)

    with diagnose(page, server, tmp_path, f"lesson-{lang}"):
        open_notebook(page, server, notebook)
        run_all_cells(page)

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
