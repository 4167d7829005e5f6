"""The course's nbgrader configuration, read the way nbgrader reads it.

nbgrader loads `jupyter_config` and `nbgrader_config` (.json and .py) from every Jupyter configuration
folder (`jupyter --paths`: ~/.jupyter, the environment's etc/jupyter, /usr/local/etc/jupyter, /etc/jupyter),
lowest priority first, then the `nbgrader_config.py` of the folder it runs in. notalone does the same, with
the course folder in place of the current one, so a JupyterHub admin's exchange settings in /etc/jupyter
apply to `notalone release --exchange` exactly as to `nbgrader release_assignment`.
"""

from __future__ import annotations

from pathlib import Path

from .safe_text import printable


class ConfigError(RuntimeError):
    """A configuration file could not be read; the message names the file."""


def _load(folder: Path, basename: str):
    from traitlets.config.loader import ConfigFileNotFound, JSONFileConfigLoader, PyFileConfigLoader

    for loader_class, suffix in ((JSONFileConfigLoader, ".json"), (PyFileConfigLoader, ".py")):
        path = folder / (basename + suffix)
        if not path.is_file():
            continue
        try:
            yield path, loader_class(path.name, path=str(folder)).load_config()
        except ConfigFileNotFound:
            continue
        except Exception as error:  # noqa: BLE001 - any broken file is named, with the reason
            raise ConfigError(f"{printable(path)}: could not be read ({type(error).__name__}: "
                              f"{printable(str(error).splitlines()[0] if str(error) else '')})") from None


def config_files(root: Path | None) -> list[Path]:
    """Every file that makes up the configuration, lowest priority first."""
    return [path for path, _ in _configs(root)]


def _configs(root: Path | None):
    from jupyter_core.paths import jupyter_config_path

    folders = [Path(p) for p in reversed(jupyter_config_path())]
    for folder in folders:
        yield from _load(folder, "jupyter_config")
    for folder in folders:
        yield from _load(folder, "nbgrader_config")
    if root is not None:
        yield from _load(Path(root), "nbgrader_config")


def course_config(root: Path | None):
    """The merged Config for the course in `root` (its CourseDirectory.root set to that folder)."""
    from traitlets.config import Config

    config = Config()
    for _, loaded in _configs(root):
        config.merge(loaded)
    if root is not None:
        config.CourseDirectory.root = str(Path(root).resolve())
    return config
