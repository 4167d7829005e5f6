"""Where a student's choices live, so they survive re-running a cell and nbgrader's autograder.

Choices are saved in `notalone-progress.json` in the notebook's working directory. nbgrader
copies every file of a submission, so the autograder, which re-runs the notebook with no
clicks, sees the same choices the student made. If that file is absent but an instructor's
`notalone-answer-key.json` is present (an assignment's source folder), the key is loaded
read-only; nbgrader is configured never to release or collect that file.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import time
import warnings
from pathlib import Path
from typing import Callable, Iterable, Mapping

FORMAT = "notalone-progress/1"
PROGRESS_FILE = "notalone-progress.json"
# The same record inside the notebook, so the notebook alone is a hand-in (read by notalone/handin.py).
RECORD_MIME = "application/vnd.notalone.progress+json"
RECORD_DISPLAY_ID = "notalone-progress-record"
ANSWER_KEY_FILE = "notalone-answer-key.json"
_SESSION_SEED = secrets.token_hex(8)  # this kernel's option order until a choice is saved


class ProgressStore:
    """A JSON file of scenario choices and quiz answers, written atomically after every action."""

    _seed_shown = False  # set once a graded item has shown options in this student's order

    def __init__(self, path: str | Path, *, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        self._data = self._load()

    @classmethod
    def for_directory(cls, directory: str | Path = ".") -> "ProgressStore":
        """The student's store in `directory`, or the instructor's answer key when only that exists."""
        directory = Path(directory)
        progress, key = directory / PROGRESS_FILE, directory / ANSWER_KEY_FILE
        if not progress.exists() and key.exists():
            return cls(key, read_only=True)
        return cls(progress)

    def _empty(self) -> dict:
        return {"format": FORMAT, "scenarios": {}, "quizzes": {}}

    def _load(self) -> dict:
        if not self.path.exists():
            return self._empty()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError(f"expected a JSON object with \"format\": \"{FORMAT}\"")
            for section in ("scenarios", "quizzes"):
                if not isinstance(data.setdefault(section, {}), dict):
                    raise ValueError(f"expected {section!r} to be an object")
            return data
        except ValueError as error:
            if self.read_only:
                raise ValueError(f"{self.path}: {error}") from None
            kept = self.path.with_name(f"{self.path.stem}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}{self.path.suffix}")
            self.path.replace(kept)
            warnings.warn(f"{self.path} could not be read ({error}); it was kept as {kept.name} and a new one was started.")
            return self._empty()

    def _reload(self) -> None:
        """Before a change, take in what other widgets (or the other language's notebook) saved meanwhile:
        every widget keeps its own store, and each change touches only its own entry."""
        if self.read_only or not self.path.exists():
            return
        try:
            current = json.loads(self.path.read_text(encoding="utf-8"))
        except ValueError:
            return  # unreadable now: keep this copy; the next save writes a readable file
        if isinstance(current, dict) and current.get("format") == FORMAT:
            self._data = current
            for section in ("scenarios", "quizzes"):
                if not isinstance(self._data.get(section), dict):
                    self._data[section] = {}

    def _save(self) -> None:
        if self.read_only:
            raise PermissionError(f"{self.path} is an answer key and is read-only")
        if self._seed_shown and not (isinstance(self._data.get("seed"), str) and self._data["seed"]):
            self._data["seed"] = _SESSION_SEED
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".notalone-", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(self._data, stream, ensure_ascii=False, indent=1)
        os.replace(temporary, self.path)
        if ProgressStore._record_shown:
            self._publish_record(update=True)

    # The record in the notebook ---------------------------------------------
    _record_shown = False  # set once this kernel has shown the record in a cell

    def record_count(self) -> int:
        """How many choices and answers the record holds (for the line students see)."""
        scenarios = sum(len(r.get("choices", [])) for r in self._data["scenarios"].values() if isinstance(r, dict))
        quizzes = sum(len(r.get("answers", {})) for r in self._data["quizzes"].values() if isinstance(r, dict))
        return scenarios + quizzes

    def record_bundle(self, language: str) -> dict:
        """The display bundle: the whole progress record, and one line in the lesson's language."""
        from .i18n import ui

        record = {"progress": json.loads(json.dumps(self._data)), "saved_at": time.time()}
        return {RECORD_MIME: record, "text/plain": ui("progress_record", language, count=self.record_count())}

    def show_record(self, language: str | None = None) -> None:
        """Show the record under the activity (called with its cell's result); every later save updates it,
        so saving or downloading the notebook carries the choices. Nothing happens outside a kernel."""
        if self.read_only:
            return
        self._record_language = language or getattr(self, "_record_language", None)
        ProgressStore._record_shown = self._publish_record(update=False) or ProgressStore._record_shown

    def _publish_record(self, *, update: bool) -> bool:
        try:
            from IPython import get_ipython
            from IPython.display import display, update_display
        except ImportError:
            return False
        if get_ipython() is None:
            return False
        from .i18n import current_language

        bundle = self.record_bundle(getattr(self, "_record_language", None) or current_language())
        (update_display if update else display)(bundle, raw=True, display_id=RECORD_DISPLAY_ID)
        return True

    # Any activity ------------------------------------------------------
    def entry(self, section: str, key: str) -> dict:
        """A copy of one saved record (e.g. section "sorters", key the activity id); {} when there is none."""
        record = self._data.get(section, {}).get(key) if isinstance(self._data.get(section), dict) else None
        return json.loads(json.dumps(record)) if isinstance(record, dict) else {}

    def update_entry(self, section: str, key: str, change: Callable[[dict], None]) -> None:
        """Change one record in place (created empty if missing) and save at once, keeping every other record."""
        self._reload()
        records = self._data.get(section)
        if not isinstance(records, dict):
            records = self._data[section] = {}
        record = records.get(key)
        if not isinstance(record, dict):
            record = records[key] = {}
        change(record)
        self._save()

    # Option order ----------------------------------------------------------
    def shuffle_seed(self) -> str:
        """This student's seed for the order of options in graded items. Until the first choice is saved it
        is the kernel's (shared by every widget, so they agree); the first save keeps it in the file, so the
        order never changes afterwards. Grading never depends on it: choices are saved by id."""
        seed = self._data.get("seed")
        if isinstance(seed, str) and seed:
            return seed
        self._seed_shown = True  # only files of graded items carry a seed (the anonymous checks never do)
        return "answer-key" if self.read_only else _SESSION_SEED

    # Scenarios ---------------------------------------------------------
    def choices(self, scenario_id: str) -> list[tuple[str, str]]:
        """The (node, option) choices of the current attempt, in order."""
        record = self._data["scenarios"].get(scenario_id, {})
        return [(c["node"], c["option"]) for c in record.get("choices", []) if isinstance(c, dict) and "node" in c and "option" in c]

    def save_choices(self, scenario_id: str, choices: Iterable[tuple[str, str]]) -> None:
        self._reload()
        record = self._data["scenarios"].setdefault(scenario_id, {"choices": [], "earlier_attempts": []})
        record["choices"] = [{"node": node, "option": option} for node, option in choices]
        self._save()

    def start_new_attempt(self, scenario_id: str) -> None:
        """Begin again, keeping the previous attempt in `earlier_attempts` (nothing is lost)."""
        self._reload()
        record = self._data["scenarios"].setdefault(scenario_id, {"choices": [], "earlier_attempts": []})
        if record.get("choices"):
            record.setdefault("earlier_attempts", []).append(record["choices"])
        record["choices"] = []
        self._save()

    # Quizzes -------------------------------------------------------------
    def quiz_answers(self, quiz_id: str) -> dict[str, list[str]]:
        answers = self._data["quizzes"].get(quiz_id, {}).get("answers", {})
        return {q: list(a) for q, a in answers.items() if isinstance(a, list)}

    def save_quiz_answers(self, quiz_id: str, answers: Mapping[str, Iterable[str]]) -> None:
        self._reload()
        record = self._data["quizzes"].setdefault(quiz_id, {"answers": {}, "earlier_attempts": []})
        record["answers"] = {question: sorted(options) for question, options in answers.items()}
        self._save()

    def retract_quiz_answer(self, quiz_id: str, question_id: str) -> None:
        """Clear one answer so it can be tried again, keeping the old one in `earlier_attempts`."""
        self._reload()
        record = self._data["quizzes"].setdefault(quiz_id, {"answers": {}, "earlier_attempts": []})
        if question_id in record["answers"]:
            record.setdefault("earlier_attempts", []).append({question_id: record["answers"].pop(question_id)})
            self._save()


class MemoryStore(ProgressStore):
    """A store that keeps nothing on disk: for previews and tests."""

    def __init__(self):
        self.path = Path("(memory)")
        self.read_only = False
        self._data = self._empty()

    def _save(self) -> None:
        pass
