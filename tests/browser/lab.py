"""Helpers for driving JupyterLab in Chromium: open a notebook, run it, click a widget and wait, and
explain failures (screenshot, page HTML, a DOM summary). Every browser test uses them."""


from __future__ import annotations

import contextlib
import json
import re
import time
from pathlib import Path

import pytest


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


LESSONS = Path(__file__).resolve().parents[2] / "lessons"
MAX_OPTION_CLICKS = 12


def play_to_the_end(page, chat, *, pick: str = "first", max_clicks: int = MAX_OPTION_CLICKS):
    """Click the first (or last) enabled option until the chat shows its summary; return (feedback seen, options clicked)."""
    from playwright.sync_api import expect

    summary = chat.locator(".notalone-summary").filter(visible=True)
    options = chat.locator(".notalone-option:enabled").filter(visible=True)
    feedback = chat.locator(".notalone-feedback").filter(visible=True)
    seen, clicked = [], []
    for _ in range(max_clicks):
        expect(options.or_(summary).first).to_be_visible(timeout=STEP_TIMEOUT)
        if summary.count():
            break
        clicked.append(click_and_settle(page, chat, options.first if pick == "first" else options.last))
        expect(feedback.first).to_be_visible(timeout=STEP_TIMEOUT)
        seen += feedback.all_inner_texts()
    expect(summary.first, f"no summary after clicking {clicked}").to_be_visible(timeout=STEP_TIMEOUT)
    return seen, clicked


def sort_labels(path, language, wrong: int | None = None):
    """(item text, category label to pick) for each item of a sorting file; item `wrong` gets a wrong category."""
    from widgets.i18n import localize
    from widgets.sorter import load_sort

    sort = load_sort(path)
    picks = []
    for index, item in enumerate(sort.items):
        category = sort.category(item.category)
        if index == wrong:
            category = next(c for c in sort.categories if c.id != item.category)
        picks.append((localize(item.text, language), f"{category.icon} {localize(category.label, language)}".strip()))
    return picks


def sort_everything(page, sorter, picks, progress_text):
    """Pick a category in every dropdown, waiting each time for the kernel to count it."""
    from playwright.sync_api import expect

    rows = sorter.locator(".notalone-sorter-item")
    expect(rows).to_have_count(len(picks))
    for number, (text, label) in enumerate(picks, 1):
        row = rows.nth(number - 1)
        expect(row).to_contain_text(text)
        row.scroll_into_view_if_needed()
        row.locator("select").select_option(label=label)
        if number < len(picks):
            expect(sorter).to_contain_text(progress_text(number, len(picks)), timeout=STEP_TIMEOUT)
    check = sorter.locator("button.notalone-sorter-check")
    expect(check).to_be_enabled(timeout=STEP_TIMEOUT)
    check.click()


@contextlib.contextmanager
def running_lesson(server, page, tmp_path, notebook: str, name: str):
    """Open `notebook` (a path under lessons/) in a fresh JupyterLab tab and run every cell; failures inside
    the block are explained with a screenshot and a DOM summary."""
    assert (server.root_dir / notebook).is_file(), f"lessons/{notebook} does not exist"
    fresh_start(server, page)
    with diagnose(page, server, tmp_path, name):
        open_notebook(page, server, notebook)
        run_all_cells(page)
        yield
