"""One-file hand-in: the saved choices travel inside the notebook.

After every saved choice a lesson's kernel updates one output (display id `notalone-progress-record`)
whose bundle has the mime type `application/vnd.notalone.progress+json` and holds the whole progress
record (widgets/progress.py). Saving the notebook in JupyterLab, or downloading it from the browser
(JupyterLite: File ▸ Download), carries it. Grading reads it here, outside the student's kernel, as
untrusted input: size limits, a strict shape, and errors that name the file and the cell.

Which wins: a `notalone-progress.json` handed in next to the notebook is used as it is (the kernel
writes it after every choice, so it is never older than the notebook's copy); the record inside the
notebook is used only when no progress file was handed in. With several records (cells run in
different sessions), the most recently saved one is used.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from widgets.progress import FORMAT, PROGRESS_FILE, RECORD_MIME

from .safe_text import printable

MAX_NOTEBOOK_BYTES = 50 * 2**20
MAX_RECORD_BYTES = 2 * 2**20  # as for notalone-progress.json (scoring.MAX_PROGRESS_BYTES)
MAX_ITEMS = 1000  # choices, answers or attempts in one list or object
MAX_TEXT = 200  # characters in an id


class HandinError(ValueError):
    """A notebook's embedded record cannot be used; the message names the file and the cell."""


def _text(value, where: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
        raise HandinError(f"{where}: expected an id (text of 1 to {MAX_TEXT} characters)")
    return value


def _items(value, kind, where: str, expected: str):
    if not isinstance(value, kind) or len(value) > MAX_ITEMS:
        raise HandinError(f"{where}: expected {expected} (at most {MAX_ITEMS} items)")
    return value


def _choices(value, where: str) -> list:
    for number, choice in enumerate(_items(value, list, where, "a list of choices")):
        if not isinstance(choice, dict) or set(choice) != {"node", "option"}:
            raise HandinError(f"{where}[{number}]: expected {{\"node\": ..., \"option\": ...}}")
        _text(choice["node"], f"{where}[{number}].node")
        _text(choice["option"], f"{where}[{number}].option")
    return value


def _answers(value, where: str) -> dict:
    for question, options in _items(value, dict, where, "an object of answers").items():
        _text(question, f"{where} key")
        for option in _items(options, list, f"{where}.{question}", "a list of option ids"):
            _text(option, f"{where}.{question}")
    return value


def validate_progress(progress, where: str) -> dict:
    """The progress record's shape, as widgets/progress.py writes it; anything else is refused."""
    if not isinstance(progress, dict) or progress.get("format") != FORMAT:
        raise HandinError(f"{where}: expected a progress record with \"format\": \"{FORMAT}\"")
    for section, record in _items(progress, dict, where, "an object").items():
        if section == "format":
            continue
        if section == "seed":
            _text(record, f"{where}.seed")
            continue
        for key, entry in _items(record, dict, f"{where}.{section}", "an object of records").items():
            _text(key, f"{where}.{section} key")
            place = f"{where}.{section}.{key}"
            if not isinstance(entry, dict):
                raise HandinError(f"{place}: expected an object")
            if section == "scenarios":
                _choices(entry.get("choices", []), f"{place}.choices")
                for number, attempt in enumerate(_items(entry.get("earlier_attempts", []), list, f"{place}.earlier_attempts", "a list")):
                    _choices(attempt, f"{place}.earlier_attempts[{number}]")
            elif section == "quizzes":
                _answers(entry.get("answers", {}), f"{place}.answers")
                for number, attempt in enumerate(_items(entry.get("earlier_attempts", []), list, f"{place}.earlier_attempts", "a list")):
                    _answers(attempt, f"{place}.earlier_attempts[{number}]")
    return progress


def embedded_progress(path: Path) -> dict | None:
    """The newest progress record inside the notebook at `path`, validated; None when it has none.
    Raises HandinError naming the file (and cell) when the notebook or a record is unusable."""
    path = Path(path)
    name = printable(path.name)
    if not path.is_file() or path.is_symlink():
        raise HandinError(f"{name}: not a file")
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        raise HandinError(f"{name}: larger than {MAX_NOTEBOOK_BYTES // 2**20} MB; not read")
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise HandinError(f"{name}: not a readable notebook ({type(error).__name__})") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise HandinError(f"{name}: not a notebook (no list of cells)")
    newest, newest_time = None, -math.inf
    for number, cell in enumerate(cells, 1):
        outputs = cell.get("outputs") if isinstance(cell, dict) else None
        for output in outputs if isinstance(outputs, list) else []:
            data = output.get("data") if isinstance(output, dict) else None
            if not isinstance(data, dict) or RECORD_MIME not in data:
                continue
            where = f"{name}: cell {number}"
            record = data[RECORD_MIME]
            if len(json.dumps(record)) > MAX_RECORD_BYTES:
                raise HandinError(f"{where}: the saved choices are larger than {MAX_RECORD_BYTES // 2**20} MB")
            if not isinstance(record, dict) or set(record) != {"progress", "saved_at"}:
                raise HandinError(f"{where}: expected the saved choices as {{\"progress\": ..., \"saved_at\": ...}}")
            saved_at = record["saved_at"]
            if not isinstance(saved_at, (int, float)) or isinstance(saved_at, bool) or not math.isfinite(saved_at):
                raise HandinError(f"{where}: saved_at: expected a time in seconds")
            progress = validate_progress(record["progress"], f"{where}: progress")
            if saved_at > newest_time:
                newest, newest_time = progress, saved_at
    return newest


def stage_embedded_progress(folder: Path) -> list[tuple[str, str, str]]:
    """In a staged submission without a progress file, write one from the notebooks' embedded records.
    Returns flags for grader.Flag: (kind, reason, notebook)."""
    folder = Path(folder)
    if (folder / PROGRESS_FILE).exists():
        return []  # a handed-in progress file wins
    flags, found = [], []
    for notebook in sorted(folder.glob("*.ipynb")):
        try:
            progress = embedded_progress(notebook)
        except HandinError as error:
            flags.append(("invalid", f"{error}: its saved choices were not used", notebook.stem))
            continue
        if progress is not None:
            found.append(progress)
    if found:
        merged = {"format": FORMAT}
        for progress in found:  # one notebook per assignment; with more, each item's own record is kept
            for section, records in progress.items():
                if isinstance(records, dict):
                    merged.setdefault(section, {}).update(records)
                elif section == "seed":
                    merged.setdefault("seed", records)
        merged.setdefault("scenarios", {})
        merged.setdefault("quizzes", {})
        (folder / PROGRESS_FILE).write_text(json.dumps(merged, ensure_ascii=False, indent=1), encoding="utf-8")
    return flags


def main(argv: list[str] | None = None) -> int:
    """python -m notalone.handin NOTEBOOK [OUT]: check a hand-in and write its notalone-progress.json."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or len(argv) > 2:
        print("usage: python -m notalone.handin NOTEBOOK [notalone-progress.json]", file=sys.stderr)
        return 2
    try:
        progress = embedded_progress(Path(argv[0]))
    except HandinError as error:
        print(f"notalone handin: {error}", file=sys.stderr)
        return 1
    if progress is None:
        print(f"notalone handin: {printable(argv[0])}: no saved choices in this notebook (were its activity cells run?)", file=sys.stderr)
        return 1
    target = Path(argv[1]) if len(argv) > 1 else Path(argv[0]).with_name(PROGRESS_FILE)
    target.write_text(json.dumps(progress, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"wrote {printable(str(target))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
