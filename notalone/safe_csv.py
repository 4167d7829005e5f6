"""CSV files that a spreadsheet opens as data, never as formulas.

A cell that begins with =, +, -, @, a tab or a carriage return is read as a formula by Excel,
LibreOffice and Google Sheets: a student id such as =HYPERLINK("http://evil.example") would
become a live link, and worse. Such cells get a leading single quote. Numbers are written as
numbers, and text has its control characters escaped (as in every message of `notalone`).
Every CSV the `notalone` command writes goes through `write_rows`.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable

from .safe_text import printable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value) -> object:
    """A CSV cell that a spreadsheet will not run as a formula: "" for None, numbers unchanged,
    text printable and prefixed with ' when it begins like a formula."""
    if value is None:
        return ""
    if isinstance(value, (int, float)):  # bool too: written as True / False
        return value
    text = str(value)
    text = "'" + text if text.startswith(FORMULA_START) else text
    return printable(text)


def write_rows(path: str | Path, header: Iterable, rows: Iterable[Iterable]) -> Path:
    """Write a UTF-8 CSV file with `header` and `rows`, every cell made safe for spreadsheets."""
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow([spreadsheet_cell(value) for value in header])
        for row in rows:
            writer.writerow([spreadsheet_cell(value) for value in row])
    return path


__all__ = ["FORMULA_START", "spreadsheet_cell", "write_rows"]
