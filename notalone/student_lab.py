"""The students' JupyterLab: what `scripts/start.sh` adds to a plain JupyterLab.

Its settings live in scripts/student-jupyter/ (put first on JUPYTER_CONFIG_PATH by the start command):
- jupyter_server_config.json installs `drop_widget_outputs` below as the server's pre-save hook;
- labconfig/page_config.json turns off nbgrader's teacher plugins (STUDENT_HIDDEN_PLUGINS).

Why lessons are saved without widget views: a saved view points at a widget model that lives only in the
kernel that made it. Reopened later, JupyterLab finds no such model and shows "Error displaying widget:
model not found" in every widget. Saving the widget state instead would only draw widgets that look alive
but answer no click. The student's choices are kept elsewhere (notalone-progress.json next to the lesson, and
restored by Run All), so dropping the views loses nothing: a reopened lesson starts cleanly.
"""

from __future__ import annotations

import json
from pathlib import Path

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "widgets"  # notebook metadata key holding saved widget state
# Kept on purpose: the one-file hand-in records a student's choices inside the notebook with this type.
PROGRESS_MIME = "application/vnd.notalone.progress+json"

# nbgrader 0.9's lab plugins a student must not see; the assignment list and Validate stay.
STUDENT_HIDDEN_PLUGINS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:course-list",
                          "@jupyter/nbgrader:create-assignment")


def without_widget_views(notebook: dict) -> dict:
    """The notebook (changed in place) with no widget views and no saved widget state.

    An output that shows only a widget goes; one that also carries the hand-in's progress keeps
    everything but the widget view.
    """
    notebook.get("metadata", {}).pop(WIDGET_STATE, None)
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code" or not cell.get("outputs"):
            continue
        kept = []
        for output in cell["outputs"]:
            data = output.get("data") if isinstance(output, dict) else None
            if not isinstance(data, dict) or WIDGET_VIEW not in data:
                kept.append(output)
            elif PROGRESS_MIME in data:
                data.pop(WIDGET_VIEW)
                kept.append(output)
        cell["outputs"] = kept
    return notebook


def drop_widget_outputs(model: dict, path: str = "", contents_manager=None, **kwargs) -> None:
    """Jupyter server pre-save hook (ContentsManager.pre_save_hook): save notebooks without widget views."""
    if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
        without_widget_views(model["content"])


THEMES_PLUGIN = "@jupyterlab/apputils-extension:themes"
THEMES_FILE = ("@jupyterlab", "apputils-extension", "themes.jupyterlab-settings")


def use_course_fonts(overrides_file: Path, user_settings_dir: Path) -> Path | None:
    """Put the course's theme overrides (code in Noto Sans Mono) into the user's JupyterLab settings.

    JupyterLab applies theme CSS overrides only from the user's own settings, never from the defaults in
    overrides.json, so the start command writes them there. What the student chose stays: only the keys
    they have not set are added. Returns the file written, or None when nothing changed.
    """
    import json5

    wanted = json.loads(Path(overrides_file).read_text(encoding="utf-8")).get(THEMES_PLUGIN, {})
    target = Path(user_settings_dir).joinpath(*THEMES_FILE)
    try:
        current = json5.loads(target.read_text(encoding="utf-8")) if target.exists() else {}
    except ValueError:
        return None  # a file the student edited by hand and left unreadable: leave it alone
    merged = {**wanted, **current, "overrides": {**wanted.get("overrides", {}), **current.get("overrides", {})}}
    if merged == current:
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(merged, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    """`python -m notalone.student_lab OVERRIDES_JSON`: used by scripts/start.sh."""
    import sys

    from jupyterlab.commands import get_user_settings_dir

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m notalone.student_lab scripts/jupyterlab-overrides.json", file=sys.stderr)
        return 2
    written = use_course_fonts(Path(args[0]), Path(get_user_settings_dir()))
    if written:
        print(f"JupyterLab's code font set in {written}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
