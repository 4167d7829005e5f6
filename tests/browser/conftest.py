"""Fixtures for the real-browser tests: a private JupyterLab and Debian's Chromium.

Everything lives in pytest's temp dirs: the served notebooks (a copy of
``lessons/``), Jupyter's config/data/runtime dirs, JupyterLab's settings and
workspaces, IPython's dir, HOME for the server and Chromium's profile.  The
server listens on 127.0.0.1 only, with a random token, and has the news feed
and the update check turned off, so the tests make no network request that
leaves the machine.

Without Chromium or the playwright module the tests are skipped, unless the
CI environment variable is set: then they fail, because CI installs both.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
LESSONS_DIR = REPO_ROOT / "lessons"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Belt and braces: no host name resolves, so nothing but 127.0.0.1 is reachable.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
SERVER_START_TIMEOUT = 60  # seconds


def _missing(reason: str) -> None:
    """Skip on a developer's machine, fail in CI (which installs Chromium)."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


def _require_browser_tools() -> None:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _missing(f"{CHROMIUM} is missing: install Debian's chromium package")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("the playwright Python module is missing: pip install 'not-alone[test]'")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclasses.dataclass
class LabServer:
    """A running JupyterLab: ``url`` is the base URL with ``?token=...``."""

    base_url: str  # e.g. http://127.0.0.1:41234/ (no token)
    token: str
    root_dir: Path  # the served copy of lessons/
    log_path: Path
    url: str = ""  # base URL with the token

    def __post_init__(self) -> None:
        self.url = f"{self.base_url}?token={self.token}"

    def lab_url(self, notebook: str, reset: bool = True) -> str:
        """URL that opens ``notebook`` (relative to root_dir) in JupyterLab.

        ``reset`` gives a clean workspace, so notebooks opened by an earlier
        test are not reopened (and their kernels not restarted).
        """
        query = ("reset&" if reset else "") + f"token={self.token}"
        return f"{self.base_url}lab/tree/{notebook}?{query}"

    def api(self, method: str, path: str) -> object:
        request = urllib.request.Request(
            f"{self.base_url}{path.lstrip('/')}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_sessions(self) -> None:
        """Stop every kernel session, so the next test starts from nothing."""
        for session in self.api("GET", "api/sessions") or []:
            try:
                self.api("DELETE", f"api/sessions/{session['id']}")
            except urllib.error.HTTPError:
                pass

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


def _kill_group(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session")
def jupyterlab_server(tmp_path_factory):
    """Start JupyterLab on a free localhost port, serving a temp copy of lessons/."""
    _require_browser_tools()
    base = tmp_path_factory.mktemp("jupyterlab")
    root_dir = base / "served"
    shutil.copytree(LESSONS_DIR, root_dir)
    home = base / "home"
    config_dir = base / "config"
    data_dir = base / "data"
    runtime_dir = base / "runtime"
    settings_dir = base / "lab-user-settings"
    workspaces_dir = base / "lab-workspaces"
    for d in (home, config_dir, data_dir, runtime_dir, settings_dir, workspaces_dir):
        d.mkdir(parents=True, exist_ok=True)

    port = _free_port()
    token = secrets.token_hex(24)
    _write_json(
        config_dir / "jupyter_server_config.json",
        {
            "ServerApp": {
                "ip": "127.0.0.1",
                "port": port,
                "port_retries": 0,
                "open_browser": False,
                "root_dir": str(root_dir),
                "allow_remote_access": False,
                # CI and these machines run as root; harmless elsewhere.
                "allow_root": hasattr(os, "geteuid") and os.geteuid() == 0,
            },
            "IdentityProvider": {"token": token},
            "LabApp": {
                # No announcements feed, no PyPI update check.
                "news_url": None,
                "check_for_updates_class": "jupyterlab.handlers.announcements.NeverCheckForUpdate",
                # No PyPI search from the extension manager.
                "extension_manager": "readonly",
                "user_settings_dir": str(settings_dir),
                "workspaces_dir": str(workspaces_dir),
                # window.jupyterapp: lets the test run commands and read kernel state.
                "expose_app_in_browser": True,
            },
        },
    )
    # Keep every cell in the DOM (no virtual scrolling), so widgets further
    # down the notebook can be found and scrolled to.
    _write_json(
        settings_dir / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings",
        {"windowingMode": "none"},
    )
    # Never ask about news, no toasts over the notebook, and never offer the extension manager's PyPI search.
    _write_json(
        settings_dir / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings",
        {"fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True},
    )
    _write_json(
        settings_dir / "@jupyterlab" / "extensionmanager-extension" / "plugin.jupyterlab-settings",
        {"enabled": False},
    )

    env = dict(os.environ)
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(config_dir),
        JUPYTER_DATA_DIR=str(data_dir),
        JUPYTER_RUNTIME_DIR=str(runtime_dir),
        IPYTHONDIR=str(home / ".ipython"),
        JUPYTER_PLATFORM_DIRS="1",
        # The kernel imports the engine from this checkout, whatever is installed.
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p),
        PYTHONUNBUFFERED="1",
        # No proxy: everything is on localhost.
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    env.pop("JUPYTER_TOKEN", None)
    log_path = base / "jupyterlab.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser"],
        cwd=root_dir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # own process group: killed whole at the end
    )
    server = LabServer(
        base_url=f"http://127.0.0.1:{port}/", token=token, root_dir=root_dir, log_path=log_path
    )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"JupyterLab exited with code {proc.returncode}; log {log_path}:\n{server.log_tail()}"
                )
            try:
                server.api("GET", "api/status")
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"JupyterLab did not answer within {SERVER_START_TIMEOUT}s; "
                        f"log {log_path}:\n{server.log_tail()}"
                    )
                time.sleep(0.2)
        yield server
    finally:
        _kill_group(proc)
        log.close()


@pytest.fixture(scope="session")
def playwright_session():
    """Playwright, started once: its sync API runs one driver per thread, so every browser fixture shares it."""
    _require_browser_tools()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser_page(playwright_session, tmp_path_factory):
    """A Playwright page in Debian's Chromium, with a throwaway profile."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    pw = playwright_session
    context = pw.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1400, "height": 1000},
        locale="en-US",
        env={**os.environ, "HOME": str(profile)},
    )
    try:
        context.set_default_timeout(30_000)
        page = context.pages[0] if context.pages else context.new_page()
        # "Leave page?" on navigating away from a notebook with outputs: leave.
        page.on("dialog", lambda dialog: dialog.accept())
        page.console_errors = []  # type: ignore[attr-defined]
        page.on(
            "console",
            lambda msg: msg.type == "error" and page.console_errors.append(msg.text),  # type: ignore[attr-defined]
        )
        page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))  # type: ignore[attr-defined]
        yield page
    finally:
        context.close()
