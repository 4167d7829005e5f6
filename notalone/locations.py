"""Where the course's own content is (lessons/, assessments/, teacher-guide/).

Run from a checkout, it is the checkout's own folders, so authors see their edits at once. An
installed package (a wheel or an sdist) carries a copy laid out the same way in
notalone/course_content/ (see pyproject.toml), which is used everywhere else.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
INSTALLED_COURSE = PACKAGE / "course_content"
MARKER = Path("lessons") / "manifest.yaml"


def checkout_root() -> Path | None:
    """The checkout this package runs from, or None when it is installed."""
    root = PACKAGE.parent
    return root if (root / "pyproject.toml").is_file() and (root / MARKER).is_file() else None


def course_root() -> Path:
    """The folder holding lessons/, assessments/ and teacher-guide/: the checkout's, else the installed copy."""
    root = checkout_root()
    if root is not None:
        return root
    if (INSTALLED_COURSE / MARKER).is_file():
        return INSTALLED_COURSE
    raise FileNotFoundError(f"{INSTALLED_COURSE}: the course content is missing from this installation "
                            f"(expected {MARKER}); reinstall not-alone from its wheel or sdist")


__all__ = ["course_root", "checkout_root", "INSTALLED_COURSE"]
