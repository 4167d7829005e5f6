"""Errors raised for bad content: each problem names the file, the place in it and what was expected."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one content file."""

    file: str
    where: str
    message: str
    line: int | None = None
    severity: str = "error"  # "warning": shown, but does not fail `notalone check` unless --strict

    def __str__(self) -> str:
        location = f"{self.file}:{self.line}" if self.line else self.file
        label = "warning: " if self.severity == "warning" else ""
        return f"{location}: {self.where}: {label}{self.message}" if self.where else f"{location}: {label}{self.message}"


class ContentError(ValueError):
    """A content file (scenario, quiz, locale, ...) is malformed. Lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def display_path(path: str | Path) -> str:
    """A path as an author would recognise it: relative to the working directory when possible."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
