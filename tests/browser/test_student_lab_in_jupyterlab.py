"""The students' JupyterLab (what scripts/start.sh starts), in Debian's Chromium.

The server here is configured like the start command: scripts/student-jupyter/ first on JUPYTER_CONFIG_PATH
(the pre-save hook that drops widget views; nbgrader's teacher plugins off) and scripts/jupyterlab-overrides.json
as JupyterLab's settings overrides (code in Noto Sans Mono). It checks that:
- a lesson that was run, saved, closed and reopened shows no "Error displaying widget" / "model not found";
- a widget cell run on its own on a fresh kernel works, in the lesson's language;
- Vietnamese letters in a code cell's output are drawn by Noto Sans Mono, and emoji by a colour emoji font
  (the fonts Chromium really used, from the DevTools protocol's CSS.getPlatformFontsForNode);
- nbgrader's formgrader, course list and "Create Assignment" are gone, the assignment list stays;
- JupyterLab's Vietnamese language pack is installed (the server's translations API).
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
from pathlib import Path

import nbformat
import pytest

from lab import RUN_TIMEOUT, STEP_TIMEOUT, diagnose, fresh_start, open_notebook, run_all_cells
from notalone.student_lab import use_course_fonts

pytestmark = pytest.mark.browser

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
STUDENT_CONFIG = REPO / "scripts" / "student-jupyter"
OVERRIDES = REPO / "scripts" / "jupyterlab-overrides.json"
WIDGET_PROBLEM = ("Error displaying widget", "model not found", "Loading widget")
VIETNAMESE = "Tiếng Việt: ắ ằ ẳ ẵ ặ ấ ầ ẩ ẫ ậ ế ề ể ễ ệ ố ồ ổ ỗ ộ ớ ờ ở ỡ ợ ứ ừ ử ữ ự ỳ ỷ ỹ ỵ Đ đ ư ơ"
EMOJI = "🆘📞🙂👍"  # emoji-presentation characters (🛡 without U+FE0F would be a text symbol)


def _browser_conftest():
    """tests/browser/conftest.py's helpers (LabServer, _free_port, ...), loaded under a name of their own."""
    spec = importlib.util.spec_from_file_location("browser_conftest_helpers", HERE / "conftest.py")
    module = sys.modules.setdefault(spec.name, importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def student_lab(tmp_path_factory):
    """JupyterLab started as scripts/start.sh starts it for students, on a temp copy of lessons/."""
    helpers = _browser_conftest()
    helpers._require_browser_tools()
    base = tmp_path_factory.mktemp("student-lab")
    root_dir = base / "served"
    shutil.copytree(REPO / "lessons", root_dir, ignore=shutil.ignore_patterns("notalone-progress*"))
    dirs = {name: base / name for name in ("home", "config", "data", "runtime", "settings", "user-settings", "workspaces")}
    for folder in dirs.values():
        folder.mkdir()
    shutil.copy(OVERRIDES, dirs["settings"] / "overrides.json")  # start.sh copies it to the venv's app settings
    port, token = helpers._free_port(), secrets.token_hex(24)
    helpers._write_json(dirs["config"] / "jupyter_server_config.json", {
        "ServerApp": {"ip": "127.0.0.1", "port": port, "port_retries": 0, "open_browser": False,
                      "root_dir": str(root_dir), "allow_remote_access": False,
                      "allow_root": hasattr(os, "geteuid") and os.geteuid() == 0},
        "IdentityProvider": {"token": token},
        "LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.handlers.announcements.NeverCheckForUpdate",
                   "extension_manager": "readonly", "app_settings_dir": str(dirs["settings"]),
                   "user_settings_dir": str(dirs["user-settings"]), "workspaces_dir": str(dirs["workspaces"]),
                   "expose_app_in_browser": True},
    })
    use_course_fonts(OVERRIDES, dirs["user-settings"])  # as start.sh does
    helpers._write_json(dirs["user-settings"] / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings",
                        {"windowingMode": "none"})
    helpers._write_json(dirs["user-settings"] / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings",
                        {"fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True})
    env = {**os.environ, "HOME": str(dirs["home"]), "JUPYTER_CONFIG_DIR": str(dirs["config"]),
           "JUPYTER_DATA_DIR": str(dirs["data"]), "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
           "IPYTHONDIR": str(dirs["home"] / ".ipython"), "JUPYTER_PLATFORM_DIRS": "1",
           "JUPYTER_CONFIG_PATH": str(STUDENT_CONFIG),  # what start.sh exports
           "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
           "PYTHONUNBUFFERED": "1", "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    env.pop("JUPYTER_TOKEN", None)
    log_path = base / "jupyterlab.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser"], cwd=root_dir, env=env,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        server = helpers.LabServer(base_url=f"http://127.0.0.1:{port}/", token=token, root_dir=root_dir,
                                   log_path=log_path)
        try:
            deadline = time.monotonic() + helpers.SERVER_START_TIMEOUT
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"JupyterLab exited with code {proc.returncode}:\n{server.log_tail()}")
                try:
                    server.api("GET", "api/status")
                    break
                except (urllib.error.URLError, ConnectionError, OSError):
                    if time.monotonic() > deadline:
                        pytest.fail(f"JupyterLab did not answer in time:\n{server.log_tail()}")
                    time.sleep(0.2)
            yield server
        finally:
            helpers._kill_group(proc)


def _page_text(page) -> str:
    return page.evaluate("() => document.body.innerText")


def _save(page):
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=RUN_TIMEOUT)


def test_a_reopened_lesson_shows_no_widget_error(student_lab, browser_page, tmp_path):
    from playwright.sync_api import expect

    server, page = student_lab, browser_page
    notebook = "unit01-online-kidnapping/unit01-online-kidnapping.vi.ipynb"
    fresh_start(server, page)
    with diagnose(page, server, tmp_path, "reopen"):
        open_notebook(page, server, notebook)
        run_all_cells(page)
        expect(page.locator(".notalone-chat .notalone-message").first).to_be_visible(timeout=RUN_TIMEOUT)
        _save(page)
        saved = json.loads((server.root_dir / notebook).read_text(encoding="utf-8"))
        assert any(cell.get("execution_count") for cell in saved["cells"]), "the run lesson was not saved"
        views = [i for i, cell in enumerate(saved["cells"]) for out in cell.get("outputs", [])
                 if "application/vnd.jupyter.widget-view+json" in out.get("data", {})]
        assert not views, f"saved with widget views in cells {views}"

        # Close it (its kernel too) and open it again, as a student does the next day.
        fresh_start(server, page)
        open_notebook(page, server, notebook)
        page.wait_for_timeout(2000)  # let every output render
        text = _page_text(page)
        shown = [line for line in text.splitlines() if any(p in line for p in WIDGET_PROBLEM)]
        assert not shown, f"the reopened lesson shows {len(shown)} widget errors, e.g. {shown[:3]}"
        # Run All brings the widgets back.
        run_all_cells(page)
        expect(page.locator(".notalone-chat .notalone-message").first).to_be_visible(timeout=RUN_TIMEOUT)


def test_a_widget_cell_runs_on_its_own_on_a_fresh_kernel(student_lab, browser_page, tmp_path):
    from playwright.sync_api import expect

    from widgets.i18n import ui

    server, page = student_lab, browser_page
    notebook = "unit07-share-with-family/unit07-share-with-family.vi.ipynb"
    cells = nbformat.read(server.root_dir / notebook, as_version=4).cells
    index = next(i for i, cell in enumerate(cells) if cell.id == "u7-vi-09")  # the friend's-secret chat
    assert "play_scenario(" in cells[index].source
    fresh_start(server, page)
    with diagnose(page, server, tmp_path, "cell-alone"):
        open_notebook(page, server, notebook)
        page.evaluate("""(index) => {
            const panel = window.jupyterapp.shell.currentWidget;
            panel.content.activeCellIndex = index;
            return window.jupyterapp.commands.execute('notebook:run-cell');
        }""", index)
        chat = page.locator(".notalone-chat").first
        expect(chat.locator(".notalone-message").first).to_be_visible(timeout=RUN_TIMEOUT)
        expect(chat).to_contain_text(ui("choose_language", "vi"))
        errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        assert errors.count() == 0, errors.all_inner_texts()


def _platform_fonts(page, selector: str) -> list[dict]:
    """The fonts Chromium used to draw the text under `selector`: [{familyName, glyphCount, ...}]."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        assert node, f"nothing matches {selector!r}"
        return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()


def test_vietnamese_and_emoji_in_code_output_use_fonts_that_have_them(student_lab, browser_page, tmp_path):
    from playwright.sync_api import expect

    server, page = student_lab, browser_page
    folder = server.root_dir / "_fonts"
    folder.mkdir(exist_ok=True)
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    notebook.cells = [nbformat.v4.new_code_cell(f"print({VIETNAMESE!r})"), nbformat.v4.new_code_cell(f"print({EMOJI!r})")]
    nbformat.write(notebook, folder / "fonts.ipynb")
    fresh_start(server, page)
    with diagnose(page, server, tmp_path, "fonts"):
        open_notebook(page, server, "_fonts/fonts.ipynb")
        run_all_cells(page)
        outputs = page.locator(".jp-OutputArea-output pre")
        expect(outputs.nth(1)).to_contain_text(EMOJI, timeout=RUN_TIMEOUT)
        page.evaluate("() => document.fonts.ready")
        shot = Path(os.environ.get("NOTALONE_SCREENSHOT_DIR", tmp_path)) / "vietnamese-and-emoji-in-code-output.png"
        page.locator(".jp-Notebook").first.screenshot(path=str(shot))
        family = outputs.first.evaluate("e => getComputedStyle(e).fontFamily")
        assert "Noto Sans Mono" in family, f"code output font-family is {family!r}: the course's code font is not applied"

        vietnamese = _platform_fonts(page, ".jp-Cell:nth-child(1) .jp-OutputArea-output pre")
        letters = sum(1 for c in VIETNAMESE if not c.isspace())
        mono = sum(f["glyphCount"] for f in vietnamese if f["familyName"] == "Noto Sans Mono")
        assert mono >= letters, (f"only {mono} of {letters} Vietnamese letters were drawn in Noto Sans Mono; "
                                 f"fonts used: {vietnamese} (screenshot {shot})")
        emoji = _platform_fonts(page, ".jp-Cell:nth-child(2) .jp-OutputArea-output pre")
        colour = sum(f["glyphCount"] for f in emoji if "Color Emoji" in f["familyName"])
        assert colour >= len(EMOJI), f"emoji were drawn with {emoji}, not a colour emoji font (screenshot {shot})"


def test_students_see_no_teacher_menus_but_their_assignment_list(student_lab, browser_page, tmp_path):
    server, page = student_lab, browser_page
    fresh_start(server, page)
    with diagnose(page, server, tmp_path, "menus"):
        page.goto(f"{server.base_url}lab?reset&token={server.token}", wait_until="domcontentloaded")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands.hasCommand('nbgrader:open-assignment-list')",
                               timeout=RUN_TIMEOUT)
        commands = page.evaluate("""() => ['nbgrader:open-formgrader', 'nbgrader:open-course-list',
            'nbgrader:open-create-assignment', 'nbgrader:open-assignment-list']
            .filter(id => window.jupyterapp.commands.hasCommand(id))""")
        assert commands == ["nbgrader:open-assignment-list"], f"nbgrader commands a student has: {commands}"
        page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
        items = page.locator(".lm-Menu-content .lm-Menu-item:not(.lm-mod-hidden) .lm-Menu-itemLabel").all_inner_texts()
        page.keyboard.press("Escape")
        assert not [i for i in items if any(w in i for w in ("Formgrader", "Course List", "Create Assignment"))], items


def test_jupyterlab_can_speak_vietnamese(student_lab, browser_page, tmp_path):
    languages = student_lab.api("GET", "lab/api/translations/")["data"]
    assert "vi_VN" in languages, f"no Vietnamese language pack; available: {sorted(languages)}"
    pack = student_lab.api("GET", "lab/api/translations/vi_VN")["data"]
    assert pack.get("jupyterlab", {}).get("menu\u0004Run") == ["Chạy"], "the pack does not translate the Run menu"
    from playwright.sync_api import expect

    # Where the start-here page sends students: Settings > Language lists Vietnamese.
    server, page = student_lab, browser_page
    fresh_start(server, page)
    with diagnose(page, server, tmp_path, "language-menu"):
        page.goto(f"{server.base_url}lab?reset&token={server.token}", wait_until="domcontentloaded")
        page.locator(".lm-MenuBar-itemLabel", has_text="Settings").click(timeout=RUN_TIMEOUT)
        page.locator(".lm-Menu-itemLabel", has_text="Language").click()
        expect(page.locator(".lm-Menu").nth(1)).to_contain_text("Tiếng Việt", timeout=STEP_TIMEOUT)
        page.keyboard.press("Escape")
