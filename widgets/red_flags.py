"""A rule-based red-flag detector for chat messages in Vietnamese and English.

Pure Python, no ipywidgets: lessons use it for demos, the checker widget
(widgets.views.red_flag_checker) renders it, and tests drive it directly.

- normalize(text): lower-case text without diacritics ("Đừng NÓI" -> "dung noi"), so that a
  Vietnamese message typed with or without accents gives the same words.
- load_rules(path): the keyword rules (YAML, schema widgets/schemas/red-flags.schema.json):
  keywords per category per language; raises ContentError naming file, line and field.
- detect(text, rules): the sorted list of categories whose keywords appear as whole words.
- load_messages(path) and evaluate(messages, rules): the labelled data set and how well a
  detector does on it (precision, recall, false alarms, misses).

There is no user-facing text here: labels and explanations live in the rules file, the
checker's interface strings in widgets/locales/<lang>.red-flag-checker.yaml.
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable, Iterable, Mapping

from .content import load_content
from .errors import ContentError, Problem, display_path
from .i18n import available_languages
from .rules import rules as campaign_rules

DEFAULT_RULES = "keywords.red-flags.yaml"  # in widgets/data/
MESSAGE_COLUMNS = ("id", "language", "text", "labels")


# Text -----------------------------------------------------------------------
def normalize(text: str) -> str:
    """Lower-case `text` and remove diacritics: NFD, drop combining marks, đ/Đ -> d, casefold.

    Spaces and punctuation are kept: normalize("Đừng NÓI với bố mẹ!") == "dung noi voi bo me!".
    """
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return stripped.replace("đ", "d").replace("Đ", "d").casefold()


def words(text: str) -> list[str]:
    """The normalized words of `text`: every character that is not a letter or digit separates words."""
    return "".join(char if char.isalnum() else " " for char in normalize(text)).split()


def _phrase(text: str) -> str:
    return " ".join(words(text))


# Rules ----------------------------------------------------------------------
@dataclass(frozen=True)
class Category:
    """One kind of red flag, e.g. 'secrecy', with its keywords in every language."""

    id: str
    label: dict
    explain: dict
    rule: str
    keywords: dict  # language -> tuple of keywords as written in the file

    def phrases(self) -> list[str]:
        """Every keyword of every language, normalized, each once, in file order."""
        seen: dict[str, None] = {}
        for language_keywords in self.keywords.values():
            for keyword in language_keywords:
                seen.setdefault(_phrase(keyword), None)
        return list(seen)


@dataclass(frozen=True)
class RedFlagRules:
    id: str
    categories: dict  # id -> Category, in file order
    source: str

    def keyword_table(self) -> dict[str, list[str]]:
        """{category: [normalized keyword, ...]}: the plain dict students' own detect() receives."""
        return {category.id: category.phrases() for category in self.categories.values()}


def rules_problems(document) -> list[Problem]:
    """Problems a schema cannot see: unknown rules, missing languages, keywords that vanish or repeat."""
    problems = []
    languages = set(available_languages())
    known_rules = campaign_rules()
    for category_id, category in document.data["categories"].items():
        where = ("categories", category_id)
        if category["rule"] not in known_rules:
            problems.append(document.problem(where + ("rule",), f"unknown rule {category['rule']!r}; expected one of: {', '.join(known_rules)}"))
        keywords = category["keywords"]
        for language in sorted(languages - set(keywords)):
            problems.append(document.problem(where + ("keywords",), f"no {language!r} keywords (every category needs keywords in: {', '.join(sorted(languages))})"))
        for language in sorted(set(keywords) - languages):
            problems.append(document.problem(where + ("keywords", language), f"unknown language {language!r}: add widgets/locales/{language}.yaml first"))
        seen: dict[str, tuple] = {}
        for language, language_keywords in keywords.items():
            for index, keyword in enumerate(language_keywords):
                place = where + ("keywords", language, index)
                phrase = _phrase(keyword)
                if not phrase:
                    problems.append(document.problem(place, f"{keyword!r} has no letters or digits, so it can never match"))
                elif phrase in seen:
                    first = seen[phrase]
                    problems.append(document.problem(place, f"{keyword!r} is the same as keyword {first[1]!r} ({first[0]}) once accents and case "
                                                             f"are ignored ({phrase!r}); keep one"))
                else:
                    seen[phrase] = (language, keyword)
    return problems


def _default_rules_path():
    return resources.files("widgets").joinpath("data", DEFAULT_RULES)


def load_rules(path: str | Path | None = None) -> RedFlagRules:
    """Read and check a red-flag rules file (default: the course's widgets/data/keywords.red-flags.yaml).

    Raises ContentError naming the file, line and field of every problem.
    """
    path = Path(str(_default_rules_path())) if path is None else Path(path)
    document = load_content(path, "red-flags", rules_problems)
    data = document.data
    categories = {
        category_id: Category(category_id, dict(entry["label"]), dict(entry["explain"]), entry["rule"],
                              {language: tuple(keywords) for language, keywords in entry["keywords"].items()})
        for category_id, entry in data["categories"].items()}
    return RedFlagRules(data["id"], categories, document.name)


load_red_flags = load_rules  # the loader under the name the widget pattern uses (load_<kind>)


# Detection ------------------------------------------------------------------
RulesLike = RedFlagRules | Mapping[str, Iterable[str]]


def _table(rules: RulesLike) -> dict[str, list[str]]:
    if isinstance(rules, RedFlagRules):
        return rules.keyword_table()
    return {category: [_phrase(keyword) for keyword in keywords] for category, keywords in rules.items()}


def matches(text: str, rules: RulesLike) -> dict[str, list[str]]:
    """{category: [normalized keywords found in text]} for every category with at least one match."""
    padded = f" {' '.join(words(text))} "
    found = {}
    for category, phrases in _table(rules).items():
        hits = [phrase for phrase in phrases if phrase and f" {phrase} " in padded]
        if hits:
            found[category] = hits
    return found


def detect(text: str, rules: RulesLike) -> list[str]:
    """The sorted categories whose keywords appear in `text` as whole words, ignoring case and accents.

    `rules` is what load_rules() returns, or a plain {category: [keyword, ...]} dict.
    """
    return sorted(matches(text, rules))


# The labelled data set ------------------------------------------------------
@dataclass(frozen=True)
class LabelledMessage:
    id: str
    language: str
    text: str
    labels: frozenset  # categories a careful human reader sees; empty = harmless


def load_messages(path: str | Path, categories: Iterable[str] | None = None) -> list[LabelledMessage]:
    """Read a labelled CSV (columns id, language, text, labels; labels separated by ';').

    With `categories`, every label must be one of them. Raises ContentError naming file, line and column.
    """
    path = Path(path)
    name = display_path(path)
    known = set(categories) if categories is not None else None
    try:
        handle = path.open(encoding="utf-8", newline="")
    except FileNotFoundError:
        raise ContentError([Problem(name, "", "file not found")]) from None
    problems, messages, seen = [], [], set()
    with handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != MESSAGE_COLUMNS:
            raise ContentError([Problem(name, "header", f"expected the columns {', '.join(MESSAGE_COLUMNS)}; found {', '.join(reader.fieldnames or [])}", 1)])
        for row in reader:
            line = reader.line_num
            if None in row or any(row[column] is None for column in MESSAGE_COLUMNS):
                problems.append(Problem(name, "row", f"expected {len(MESSAGE_COLUMNS)} columns", line))
                continue
            if not row["id"] or row["id"] in seen:
                problems.append(Problem(name, "id", f"id {row['id']!r} is empty or used twice", line))
            seen.add(row["id"])
            if row["language"] not in available_languages():
                problems.append(Problem(name, "language", f"{row['language']!r} is not one of: {', '.join(available_languages())}", line))
            if not row["text"].strip():
                problems.append(Problem(name, "text", "empty message", line))
            labels = [label.strip() for label in row["labels"].split(";") if label.strip()]
            for label in labels:
                if known is not None and label not in known:
                    problems.append(Problem(name, "labels", f"unknown category {label!r}; expected one of: {', '.join(sorted(known))}", line))
            messages.append(LabelledMessage(row["id"], row["language"], row["text"], frozenset(labels)))
    if problems:
        raise ContentError(problems)
    return messages


# Evaluation -----------------------------------------------------------------
@dataclass
class Counts:
    """For one category: true positives, false positives (false alarms), false negatives (misses), true negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float:
        """Of the messages flagged, the share that really had this red flag (0.0 when nothing was flagged)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """Of the messages that had this red flag, the share the detector found (0.0 when there were none)."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0


@dataclass
class Evaluation:
    per_category: dict  # category -> Counts
    overall: Counts  # summed over categories (micro-average)
    risky: Counts  # per message: "has any red flag" vs "flagged at all"
    exact: int  # messages whose flagged categories equal their labels exactly
    total: int
    false_alarms: list = field(default_factory=list)  # (message, predicted) for harmless messages that were flagged
    misses: list = field(default_factory=list)  # (message, predicted) for risky messages that were not flagged at all
    wrong: list = field(default_factory=list)  # (message, predicted) for every message not exactly right


def evaluate(messages: Iterable[LabelledMessage], detector: RulesLike | Callable[[str], Iterable[str]],
             categories: Iterable[str] | None = None) -> Evaluation:
    """Compare a detector's categories with the labels: per category, overall and per message."""
    messages = list(messages)
    predict = detector if callable(detector) else (lambda text, _rules=detector: detect(text, _rules))
    if categories is None:
        categories = list(detector.categories) if isinstance(detector, RedFlagRules) else \
            (list(detector) if isinstance(detector, Mapping) else sorted({l for m in messages for l in m.labels}))
    per_category = {category: Counts() for category in categories}
    risky = Counts()
    result = Evaluation(per_category, Counts(), risky, 0, len(messages))
    for message in messages:
        predicted = frozenset(predict(message.text))
        for category, counts in per_category.items():
            actual, flagged = category in message.labels, category in predicted
            if actual and flagged:
                counts.tp += 1
            elif flagged:
                counts.fp += 1
            elif actual:
                counts.fn += 1
            else:
                counts.tn += 1
        has_flag, was_flagged = bool(message.labels), bool(predicted)
        risky.tp += has_flag and was_flagged
        risky.fp += (not has_flag) and was_flagged
        risky.fn += has_flag and not was_flagged
        risky.tn += (not has_flag) and not was_flagged
        if predicted == message.labels:
            result.exact += 1
        else:
            result.wrong.append((message, sorted(predicted)))
        if was_flagged and not has_flag:
            result.false_alarms.append((message, sorted(predicted)))
        if has_flag and not was_flagged:
            result.misses.append((message, sorted(predicted)))
    for counts in per_category.values():
        result.overall.tp += counts.tp
        result.overall.fp += counts.fp
        result.overall.fn += counts.fn
        result.overall.tn += counts.tn
    return result


# The checker's model --------------------------------------------------------
class RedFlagChecker:
    """The live message checker: check(text) finds the categories; observers are told after each check."""

    def __init__(self, rules: RedFlagRules | None = None):
        self.rules = rules if rules is not None else load_rules()
        self.text = ""
        self.found: dict[str, list[str]] = {}
        self._listeners: list[Callable[[], None]] = []

    def check(self, text: str) -> list[str]:
        """Check one message; returns the sorted categories found (also kept in .found with the keywords)."""
        if not isinstance(text, str):
            raise TypeError(f"check() needs the message as a str, not {type(text).__name__}")
        self.text = text
        self.found = matches(text, self.rules)
        for callback in self._listeners:
            callback()
        return sorted(self.found)

    @property
    def categories(self) -> list[str]:
        return sorted(self.found)

    def observe(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)


__all__ = ["normalize", "words", "load_rules", "load_red_flags", "detect", "matches", "load_messages", "evaluate", "Category",
           "RedFlagRules", "LabelledMessage", "Counts", "Evaluation", "RedFlagChecker"]
