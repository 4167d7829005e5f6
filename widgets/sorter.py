"""Sorting activities: the data (Sort) and the pure model of one student's sorting (SortAttempt).

A student puts every item ("your school's name", "a one-time login code", ...) into one
category ("safe to share publicly", "never share online", ...), then checks: every item shows
whether it is in the right category and why. No ipywidgets here.

Progress lives in the same notalone-progress.json as scenarios and quizzes, in a "sorters"
section that ProgressStore keeps untouched (it loads and saves every top-level key):

    "sorters": {"<sort id>": {"placements": {"<item>": "<category>"}, "checked": false,
                              "earlier_attempts": [{"placements": {...}, "checked": true}]}}
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .content import Document, load_content
from .errors import Problem
from .progress import MemoryStore, ProgressStore
from .rules import rules

SECTION = "sorters"


@dataclass(frozen=True)
class Category:
    id: str
    label: dict
    icon: str
    description: dict | None


@dataclass(frozen=True)
class SortItem:
    id: str
    text: dict
    category: str  # the right category's id
    explanation: dict


@dataclass(frozen=True)
class Sort:
    id: str
    title: dict
    instructions: dict | None
    rule: str | None
    categories: tuple[Category, ...]
    items: tuple[SortItem, ...]
    source: str

    def category(self, category_id: str) -> Category:
        for category in self.categories:
            if category.id == category_id:
                return category
        raise KeyError(f"{category_id!r} is not a category of {self.id!r}; expected one of: "
                       f"{', '.join(c.id for c in self.categories)}")

    def item(self, item_id: str) -> SortItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"{item_id!r} is not an item of {self.id!r}; expected one of: {', '.join(i.id for i in self.items)}")


def sort_problems(document: Document) -> list[Problem]:
    """Problems a schema cannot see: duplicate ids, items whose right category does not exist, unknown rules."""
    data = document.data
    problems = []
    if "rule" in data and data["rule"] not in rules():
        problems.append(document.problem(("rule",), f"unknown rule {data['rule']!r}; expected one of: {', '.join(rules())}"))
    category_ids: list[str] = []
    for index, category in enumerate(data["categories"]):
        if category["id"] in category_ids:
            problems.append(document.problem(("categories", index, "id"), f"category id {category['id']!r} is used twice"))
        category_ids.append(category["id"])
    item_ids: set[str] = set()
    for index, item in enumerate(data["items"]):
        if item["id"] in item_ids:
            problems.append(document.problem(("items", index, "id"), f"item id {item['id']!r} is used twice"))
        item_ids.add(item["id"])
        if item["category"] not in category_ids:
            problems.append(document.problem(("items", index, "category"), f"{item['category']!r} is not a category of this "
                                             f"activity; expected one of: {', '.join(category_ids)}"))
    return problems


def load_sort(path: str | Path) -> Sort:
    """Read and check a sorting activity (*.sort.yaml); raise ContentError naming the file, field and line of every problem."""
    document = load_content(path, "sort", sort_problems)
    data = document.data
    categories = tuple(Category(c["id"], c["label"], c.get("icon", ""), c.get("description")) for c in data["categories"])
    items = tuple(SortItem(i["id"], i["text"], i["category"], i["explanation"]) for i in data["items"])
    return Sort(data["id"], data["title"], data.get("instructions"), data.get("rule"), categories, items, document.name)


# Progress: the "sorters" section of the progress file ------------------------------------------------

def saved_sort(store: ProgressStore, sort_id: str) -> tuple[dict[str, str], bool]:
    """The saved (placements, checked) of one activity; ({}, False) when there is none or it is malformed."""
    record = store.entry(SECTION, sort_id)
    placements = record.get("placements")
    placements = {k: v for k, v in placements.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(placements, dict) else {}
    return placements, record.get("checked") is True


def save_sort(store: ProgressStore, sort_id: str, placements: dict[str, str], checked: bool) -> None:
    def change(record: dict) -> None:
        record.setdefault("earlier_attempts", [])
        record["placements"], record["checked"] = dict(placements), checked
    store.update_entry(SECTION, sort_id, change)


def start_new_sort_attempt(store: ProgressStore, sort_id: str) -> None:
    """Begin again, keeping the previous attempt in `earlier_attempts` (nothing is lost)."""
    def change(record: dict) -> None:
        if not isinstance(record.get("earlier_attempts"), list):
            record["earlier_attempts"] = []
        if record.get("placements"):
            record["earlier_attempts"].append({"placements": record["placements"], "checked": record.get("checked") is True})
        record["placements"], record["checked"] = {}, False
    store.update_entry(SECTION, sort_id, change)


@dataclass(frozen=True)
class ItemResult:
    """One item after checking: where the student put it and whether that is right."""

    item: SortItem
    placed: str | None
    correct: bool


class SortAttempt:
    """One student's sorting. Every change is saved at once; after check() the answers are locked until reset()."""

    def __init__(self, sort: Sort, store: ProgressStore | None = None):
        self.sort = sort
        self.store = store if store is not None else MemoryStore()
        self._listeners: list[Callable[[], None]] = []
        placements, checked = saved_sort(self.store, sort.id)
        items, categories = {i.id for i in sort.items}, {c.id for c in sort.categories}
        self._placements = {item: category for item, category in placements.items() if item in items and category in categories}
        self._checked = checked and self.complete

    # What the student does ---------------------------------------------------
    def place(self, item_id: str, category_id: str | None) -> None:
        """Put an item into a category (None takes it out again)."""
        self.sort.item(item_id)
        if category_id is not None:
            self.sort.category(category_id)
        self._writable()
        if self._checked:
            raise PermissionError(f"{self.sort.id!r} is already checked; call reset() to sort again")
        if category_id is None:
            self._placements.pop(item_id, None)
        else:
            self._placements[item_id] = category_id
        self._save()
        self._changed()

    def check(self) -> int:
        """Lock in the sorting and return how many items are in the right category."""
        self._writable()
        if not self.complete:
            raise ValueError(f"place every item before checking; not placed yet: {', '.join(self.unplaced)}")
        self._checked = True
        self._save()
        self._changed()
        return self.score

    def reset(self) -> None:
        """Sort again from nothing. The earlier attempt stays in the progress file."""
        self._writable()
        start_new_sort_attempt(self.store, self.sort.id)
        self._placements, self._checked = {}, False
        self._changed()

    def _writable(self) -> None:
        if self.store.read_only:
            raise PermissionError(f"{self.store.path} is an answer key and is read-only")

    def _save(self) -> None:
        save_sort(self.store, self.sort.id, self._placements, self._checked)

    # What the view and tests read ----------------------------------------------
    def placement(self, item_id: str) -> str | None:
        self.sort.item(item_id)
        return self._placements.get(item_id)

    @property
    def placements(self) -> dict[str, str]:
        return dict(self._placements)

    @property
    def unplaced(self) -> list[str]:
        return [item.id for item in self.sort.items if item.id not in self._placements]

    @property
    def complete(self) -> bool:
        return not self.unplaced

    @property
    def checked(self) -> bool:
        return self._checked

    def is_correct(self, item_id: str) -> bool:
        return self._placements.get(item_id) == self.sort.item(item_id).category

    @property
    def score(self) -> int:
        return sum(self.is_correct(item.id) for item in self.sort.items)

    def results(self) -> list[ItemResult]:
        return [ItemResult(item, self._placements.get(item.id), self.is_correct(item.id)) for item in self.sort.items]

    # Observers ----------------------------------------------------------------
    def observe(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    def _changed(self) -> None:
        for callback in self._listeners:
            callback()
