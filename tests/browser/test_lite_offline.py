"""The offline JupyterLite site (`notalone lite build`) in Debian's Chromium.

The site is built from the cache (~/.cache/notalone-lite, filled from PyPI and npm on first use) and
served with `python -m http.server`. Every request to another origin is recorded and fails the test.
It opens on the table of contents, runs Unit 1 in Vietnamese and plays the chat to the end; the
choices survive a page reload (browser storage); the notebook downloaded with File ▸ Download is a
complete hand-in: grading reads the same choices from it as from the progress file the kernel wrote.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import CHROMIUM, CHROMIUM_ARGS, REPO_ROOT, _free_port, _require_browser_tools
from lab import MAX_OPTION_CLICKS, NOTEBOOK_READY_JS, OPEN_TIMEOUT, RUN_ALL_JS, RUN_TIMEOUT, STEP_TIMEOUT, click_and_settle, diagnose

pytestmark = pytest.mark.browser

UNIT = "unit01-online-kidnapping"
NOTEBOOK = f"{UNIT}/{UNIT}.vi.ipynb"
LITE_ARGS = CHROMIUM_ARGS + ["--disable-features=AutofillServerCommunication,MediaRouter,OptimizationHints",
                             "--disable-client-side-phishing-detection", "--disable-default-apps", "--no-pings"]
RECORD_LINE = "Đã lưu cả trong notebook này"


@pytest.fixture(scope="module")
def lite_site(tmp_path_factory):
    """The built site, served by `python -m http.server` on 127.0.0.1; yields its base URL and folder."""
    _require_browser_tools()
    out = tmp_path_factory.mktemp("lite") / "site"
    build = subprocess.run([sys.executable, "-m", "notalone.cli", "lite", "build", str(out), "--root", str(REPO_ROOT)],
                           capture_output=True, text=True, timeout=900)
    assert build.returncode == 0, f"notalone lite build failed:\n{build.stdout}\n{build.stderr}"
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(out)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base, timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield base, out
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def lite_browser(lite_site, playwright_session, tmp_path):
    """A fresh Chromium profile; every request to another origin is recorded in `page.foreign`."""
    base, _ = lite_site
    profile = tmp_path / "profile"
    pw = playwright_session
    context = pw.chromium.launch_persistent_context(
        str(profile), executable_path=str(CHROMIUM), headless=True, args=LITE_ARGS, accept_downloads=True,
        viewport={"width": 1400, "height": 1000}, locale="vi-VN", env={**os.environ, "HOME": str(profile)})
    foreign: list[str] = []
    context.on("request", lambda request: request.url.startswith(("data:", "blob:", base)) or foreign.append(request.url))
    page = context.pages[0] if context.pages else context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.foreign = foreign
    try:
        yield page
    finally:
        context.close()


def open_lite_notebook(page, base: str, path: str) -> None:
    page.goto(f"{base}lab/index.html?path={path}", wait_until="domcontentloaded", timeout=OPEN_TIMEOUT)
    page.wait_for_function(NOTEBOOK_READY_JS, arg=path, timeout=120_000, polling=250)


def run_all(page) -> None:
    page.evaluate(RUN_ALL_JS)
    outcome = page.wait_for_function("() => window.__notaloneRunAll", timeout=RUN_TIMEOUT * 2).json_value()
    assert outcome == "done", f"Run All Cells ended with {outcome!r}"


def play_chat(page, chat) -> list[str]:
    """Click the first option until the chat's summary shows; each click must move the chat on."""
    from playwright.sync_api import expect

    summary = chat.locator(".notalone-summary").filter(visible=True)
    options = chat.locator(".notalone-option:enabled").filter(visible=True)
    clicked = []
    for _ in range(MAX_OPTION_CLICKS):
        expect(options.or_(summary).first).to_be_visible(timeout=STEP_TIMEOUT)
        if summary.count():
            break
        clicked.append(click_and_settle(page, chat, options.first))  # waits until the kernel answered and the chat changed
    expect(summary.first, f"no summary after clicking {clicked}").to_be_visible(timeout=STEP_TIMEOUT)
    assert clicked, "the chat took no click"
    return clicked


def browser_file(page, path: str) -> str:
    """A file as the site's browser storage holds it (what the kernel wrote through DriveFS)."""
    model = page.evaluate("async (path) => { const m = await window.jupyterapp.serviceManager.contents.get(path, {content: true});"
                          " return {format: m.format, content: typeof m.content === 'string' ? m.content : JSON.stringify(m.content)}; }", path)
    return base64.b64decode(model["content"]).decode("utf-8") if model["format"] == "base64" else model["content"]


def test_unit01_vi_offline_persists_and_hands_in_one_file(lite_site, lite_browser, tmp_path):
    base, out = lite_site
    page = lite_browser
    with diagnose(page, _NoServerLog(), tmp_path, "lite-unit01-vi"):
        _play_reload_and_download(page, base, tmp_path)


class _NoServerLog:
    log_path = "(python -m http.server: no log kept)"


def _play_reload_and_download(page, base, tmp_path):
    from playwright.sync_api import expect

    from notalone import handin, scoring

    # It opens on the table of contents, with every lesson in both languages.
    page.goto(base, wait_until="domcontentloaded", timeout=OPEN_TIMEOUT)
    contents = page.locator(".jp-RenderedMarkdown").filter(has_text="Tiếng Việt")
    expect(contents).to_be_visible(timeout=60_000)
    expect(contents.locator(f'a[href$="{UNIT}.vi.ipynb"]')).to_have_count(1)
    expect(contents.locator(f'a[href$="{UNIT}.en.ipynb"]')).to_have_count(1)

    # Unit 1 in Vietnamese: run it and play the chat to the end.
    open_lite_notebook(page, base, NOTEBOOK)
    run_all(page)
    chat = page.locator(".notalone-chat").first
    expect(chat).to_be_visible(timeout=STEP_TIMEOUT)
    clicked = play_chat(page, chat)
    record_line = page.locator(".jp-OutputArea-output").filter(has_text=RECORD_LINE)
    expect(record_line.first).to_contain_text(f"{len(clicked)} câu trả lời", timeout=STEP_TIMEOUT)
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=STEP_TIMEOUT)
    kernel_file = json.loads(browser_file(page, f"{UNIT}/notalone-progress.json"))

    # The choices survive a reload: a new kernel shows the chat where the student left it.
    page.reload(wait_until="domcontentloaded")
    page.wait_for_function(NOTEBOOK_READY_JS, arg=NOTEBOOK, timeout=120_000, polling=250)
    assert json.loads(browser_file(page, f"{UNIT}/notalone-progress.json")) == kernel_file
    run_all(page)
    expect(page.locator(".notalone-chat .notalone-summary").first).to_be_visible(timeout=STEP_TIMEOUT)

    # File ▸ Download gives one file that carries the choices.
    with page.expect_download(timeout=STEP_TIMEOUT) as download_info:
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:download')")
    downloaded = tmp_path / "lan01_unit01.ipynb"
    download_info.value.save_as(downloaded)
    assert page.foreign == [], f"requests to other hosts: {page.foreign[:20]}"

    embedded = handin.embedded_progress(downloaded)
    assert embedded == kernel_file, "the downloaded notebook does not carry the choices the kernel saved"
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / downloaded.name).write_bytes(downloaded.read_bytes())
    assert handin.stage_embedded_progress(staged) == []
    from_notebook, problem = scoring.read_progress(staged)
    assert problem is None
    key = scoring.load_key(REPO_ROOT / "lessons" / UNIT / "dream-scholarship.scenario.yaml")
    chosen = scoring.first_play_through(from_notebook, key)
    assert chosen and chosen == scoring.first_play_through(kernel_file, key)
    assert len(chosen) == len(clicked)


def test_jupyterlab_saved_notebook_is_the_same_one_file_hand_in(jupyterlab_server, browser_page, tmp_path):
    """The JupyterLab path: after a play-through, the saved notebook carries the same choices as the
    progress file next to it, so teachers collect one file whichever way students worked."""
    from playwright.sync_api import expect

    from lab import running_lesson
    from notalone import handin

    server, page = jupyterlab_server, browser_page
    saved = server.root_dir / NOTEBOOK
    original = saved.read_bytes()
    try:
        with running_lesson(server, page, tmp_path, NOTEBOOK, "lab-unit01-vi-handin"):
            clicked = play_chat(page, page.locator(".notalone-chat").first)
            record_line = page.locator(".jp-OutputArea-output").filter(has_text=RECORD_LINE)
            expect(record_line.first).to_contain_text(f"{len(clicked)} câu trả lời", timeout=STEP_TIMEOUT)
            page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
            page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=STEP_TIMEOUT)
        progress = json.loads((saved.parent / "notalone-progress.json").read_text(encoding="utf-8"))
        assert handin.embedded_progress(saved) == progress
    finally:
        saved.write_bytes(original)
