"""How fast the offline JupyterLite site starts, in Debian's Chromium on this machine.

    python bench/lite_startup.py [--site DIR] [--notebook PATH]

Builds the site (or uses --site), serves it with the handler of `python -m http.server` (counting bytes), and prints:
its size; the time from opening a lesson to its first widget with a cold cache (a new browser
profile) and a warm one (the same profile, reopened); and the time from a click on a chat option
to the chat's answer. Requests to any other origin are counted too (there should be none).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import threading
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from lab import NOTEBOOK_READY_JS, RUN_ALL_JS, click_and_settle  # noqa: E402

ARGS = CHROMIUM_ARGS + ["--disable-features=AutofillServerCommunication,MediaRouter,OptimizationHints"]


def first_widget(context, base: str, notebook: str, foreign: list) -> float:
    """Seconds from opening the notebook to its first chat option on screen (Run All Cells, as a student would),
    and the page (its `kernel_ready` is when the Python kernel was idle)."""
    page = context.new_page()
    started = time.perf_counter()
    page.goto(f"{base}lab/index.html?path={notebook}", wait_until="domcontentloaded")
    page.wait_for_function(NOTEBOOK_READY_JS, arg=notebook, timeout=300_000, polling=100)
    page.kernel_ready = time.perf_counter() - started
    page.evaluate(RUN_ALL_JS)
    page.locator(".notalone-chat .notalone-option").first.wait_for(timeout=300_000)
    seconds = time.perf_counter() - started
    page.wait_for_function("() => window.__notaloneRunAll", timeout=300_000)
    return seconds, page


def click_to_answer(page) -> float:
    chat = page.locator(".notalone-chat").first
    option = chat.locator(".notalone-option:enabled").first
    started = time.perf_counter()
    click_and_settle(page, chat, option)
    return time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="an already built site (default: build one in a temporary folder)")
    parser.add_argument("--notebook", default="unit01-online-kidnapping/unit01-online-kidnapping.vi.ipynb")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    scratch = Path(tempfile.mkdtemp(prefix="notalone-lite-bench-"))
    try:
        site = args.site
        if site is None:
            site = scratch / "site"
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "notalone.cli", "lite", "build", str(site), "--root", str(ROOT)], check=True)
            print(f"build: {time.perf_counter() - started:.1f} s")
        files = [p for p in site.rglob("*") if p.is_file()]
        pyodide = sum(p.stat().st_size for p in (site / "static" / "pyodide").iterdir())
        print(f"site size: {sum(p.stat().st_size for p in files) / 2**20:.1f} MB in {len(files)} files "
              f"(Pyodide runtime and wheels: {pyodide / 2**20:.1f} MB)")
        loaded = {"bytes": 0}

        class CountingHandler(http.server.SimpleHTTPRequestHandler):
            """python -m http.server's handler, counting the bytes of files it sends in full (not 304s)."""

            def send_header(self, keyword, value):
                if keyword.lower() == "content-length" and getattr(self, "_status", 0) == 200:
                    loaded["bytes"] += int(value)
                super().send_header(keyword, value)

            def send_response(self, code, message=None):
                self._status = code
                super().send_response(code, message)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(CountingHandler, directory=str(site)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        try:
            foreign: list[str] = []
            profile = scratch / "profile"
            with sync_playwright() as pw:
                for label in ("cold cache", "warm cache"):
                    context = pw.chromium.launch_persistent_context(
                        str(profile), executable_path=str(CHROMIUM), headless=True, args=ARGS,
                        viewport={"width": 1400, "height": 1000}, env={**os.environ, "HOME": str(profile)})
                    context.on("request", lambda r: r.url.startswith(("data:", "blob:", base)) or foreign.append(r.url))
                    loaded["bytes"] = 0
                    seconds, page = first_widget(context, base, args.notebook, foreign)
                    print(f"open lesson -> first widget, {label}: {seconds:.1f} s (kernel ready at {page.kernel_ready:.1f} s; "
                          f"{loaded['bytes'] / 2**20:.1f} MB sent by the server)")
                    if label == "warm cache":
                        clicks = [click_to_answer(page) for _ in range(2)]
                        print(f"click -> answer in the chat: {', '.join(f'{c * 1000:.0f} ms' for c in clicks)}")
                    context.close()
            print(f"requests to other hosts: {len(foreign)}" + (f" (first: {foreign[0]})" if foreign else ""))
        finally:
            server.shutdown()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
