"""A rule-based red-flag detector for chat messages in Vietnamese and English.

Pure Python, no ipywidgets: lessons use it for demos, the checker widget
(widgets.views.red_flag_checker) renders it, and tests drive it directly.

- normalize(text): lower-case text without diacritics ("Đừng NÓI" -> "dung noi"), so that a
  Vietnamese message typed with or without accents gives the same words.
- load_shorthand(path): how teenagers write (YAML, schema widgets/schemas/shorthand.schema.json):
  "ko dc ns vs ai" is also read as "không được nói với ai", "5tr" as "5 triệu" and "số tiền".
- readings(text, shorthand): every way the checker reads each word of a message.
- load_rules(path): the keyword rules (YAML, schema widgets/schemas/red-flags.schema.json):
  keywords per category per language, and phrases that cancel a category ("unless"); raises
  ContentError naming file, line and field.
- detect(text, rules): the sorted list of categories whose keywords appear as whole words in
  one of the readings of the text. "gửi ... ảnh" in a keyword lets up to 3 words stand between.
- load_messages(path) and evaluate(messages, rules): the labelled data set and how well a
  detector does on it (precision, recall, false alarms, misses).

There is no user-facing text here: labels and explanations live in the rules file, the
checker's interface strings in widgets/locales/<lang>.red-flag-checker.yaml.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Callable, Iterable, Mapping

from .content import load_content
from .errors import ContentError, Problem, display_path
from .i18n import available_languages
from .rules import rules as campaign_rules

DEFAULT_RULES = "keywords.red-flags.yaml"  # in widgets/data/
DEFAULT_SHORTHAND = "chat.shorthand.yaml"  # in widgets/data/
MESSAGE_COLUMNS = ("id", "language", "text", "labels")
SPLITS = ("train", "test")  # the optional fifth column: which part of the data set a message belongs to
GAP = "..."  # in a keyword, up to GAP_WORDS words may stand here: "gửi ... ảnh" finds "gửi anh tấm ảnh"
GAP_WORDS = 3
AMOUNT_WORDS = ("so", "tien")  # a written amount ("5tr") is also read as "số tiền" (an amount of money)


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
    """A keyword as the checker compares it: normalized words, with " ... " kept where a gap is allowed."""
    return f" {GAP} ".join(" ".join(words(piece)) for piece in text.split(GAP))


@lru_cache(maxsize=4096)
def _pieces(phrase: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(words(piece)) for piece in phrase.split(GAP))


# Shorthand ------------------------------------------------------------------
Reading = tuple  # one way to read one written word: a tuple of normalized words


@dataclass(frozen=True)
class Shorthand:
    """How teenagers write: each written form (normalized) with its meanings, and money units."""

    id: str
    meanings: dict  # form -> tuple of Readings (the form itself not included)
    amounts: dict  # unit -> Reading, e.g. "tr" -> ("trieu",)
    source: str = ""

    def __post_init__(self):
        units = "|".join(sorted(map(re.escape, self.amounts), key=len, reverse=True)) or "(?!)"
        object.__setattr__(self, "_joined_amount", re.compile(rf"\b(\d+)\s+({units})\b"))  # "2 cu" -> "2cu"
        object.__setattr__(self, "_amount", re.compile(rf"(\d+)({units})"))

    def readings(self, text: str) -> list[list[Reading]]:
        """For each word of `text`, the ways to read it: first as written, then each meaning."""
        folded = self._joined_amount.sub(r"\1\2", normalize(text)) if self.amounts else normalize(text)
        result = []
        for word in words(folded):
            options = [(word,)]
            found = self._amount.fullmatch(word) if self.amounts and word[0].isdigit() else None
            if found:
                options += [(found.group(1),) + self.amounts[found.group(2)], AMOUNT_WORDS]
            options += [reading for reading in self.meanings.get(word, ()) if reading not in options]
            result.append(options)
        return result

    def expand(self, text: str) -> str:
        """The message read with the first meaning of each form: "ko dc ns" -> "khong duoc noi"."""
        return " ".join(" ".join(options[1] if len(options) > 1 else options[0]) for options in self.readings(text))


NO_SHORTHAND = Shorthand("none", {}, {})


def shorthand_problems(document) -> list[Problem]:
    """Problems a schema cannot see: forms that are not one word, meanings or units that vanish, repeats."""
    problems = []
    languages = set(available_languages())
    for language, table in document.data["words"].items():
        if language not in languages:
            problems.append(document.problem(("words", language), f"unknown language {language!r}: add widgets/locales/{language}.yaml first"))
        seen: dict[str, str] = {}
        for form, meanings in table.items():
            place = ("words", language, form)
            form_words = words(str(form))
            if len(form_words) != 1:
                problems.append(document.problem(place, f"{form!r} must be one word (letters or digits, no spaces)"))
            elif form_words[0] in seen:
                problems.append(document.problem(place, f"{form!r} is the same form as {seen[form_words[0]]!r} once accents and case are ignored; "
                                                        "keep one and list every meaning there"))
            else:
                seen[form_words[0]] = str(form)
            for index, meaning in enumerate([meanings] if isinstance(meanings, str) else meanings):
                if not words(meaning):
                    where = place if isinstance(meanings, str) else place + (index,)
                    problems.append(document.problem(where, f"meaning {meaning!r} has no letters or digits"))
    units: dict[str, int] = {}
    for index, entry in enumerate(document.data.get("amounts", [])):
        for unit_index, unit in enumerate(entry["units"]):
            place = ("amounts", index, "units", unit_index)
            folded = " ".join(words(unit))
            if not folded or " " in folded or folded.isdigit():
                problems.append(document.problem(place, f"unit {unit!r} must be one word of letters"))
            elif folded in units:
                problems.append(document.problem(place, f"unit {unit!r} is already listed in amounts[{units[folded]}]"))
            else:
                units[folded] = index
        if not words(entry["means"]):
            problems.append(document.problem(("amounts", index, "means"), f"meaning {entry['means']!r} has no letters or digits"))
    return problems


def _default_shorthand_path():
    return resources.files("widgets").joinpath("data", DEFAULT_SHORTHAND)


def load_shorthand(path: str | Path | None = None) -> Shorthand:
    """Read and check a shorthand file (default: the course's widgets/data/chat.shorthand.yaml).

    Raises ContentError naming the file, line and field of every problem.
    """
    path = Path(str(_default_shorthand_path())) if path is None else Path(path)
    document = load_content(path, "shorthand", shorthand_problems)
    meanings: dict[str, list] = {}
    for table in document.data["words"].values():
        for form, listed in table.items():
            readings = meanings.setdefault(words(str(form))[0], [])
            for meaning in [listed] if isinstance(listed, str) else listed:
                reading = tuple(words(meaning))
                if reading not in readings and reading != tuple(words(str(form))):
                    readings.append(reading)
    amounts = {words(unit)[0]: tuple(words(entry["means"])) for entry in document.data.get("amounts", []) for unit in entry["units"]}
    return Shorthand(document.data["id"], {form: tuple(r) for form, r in meanings.items()}, amounts, document.name)


_course_shorthand: Shorthand | None = None


def course_shorthand() -> Shorthand:
    """The course's shorthand table, read once."""
    global _course_shorthand
    if _course_shorthand is None:
        _course_shorthand = load_shorthand()
    return _course_shorthand


def readings(text: str, shorthand: Shorthand | None = None) -> list[list[Reading]]:
    """For each word of `text`, every way to read it (default: the course's shorthand table)."""
    return (shorthand or course_shorthand()).readings(text)


# Rules ----------------------------------------------------------------------
@dataclass(frozen=True)
class Category:
    """One kind of red flag, e.g. 'secrecy', with its keywords in every language."""

    id: str
    label: dict
    explain: dict
    rule: str
    keywords: dict  # language -> tuple of keywords as written in the file
    unless: dict = field(default_factory=dict)  # language -> phrases that cancel this category ("gửi ảnh bài tập")

    def phrases(self) -> list[str]:
        """Every keyword of every language, normalized, each once, in file order."""
        return _normalized(self.keywords)

    def unless_phrases(self) -> list[str]:
        return _normalized(self.unless)


def _normalized(by_language: dict) -> list[str]:
    seen: dict[str, None] = {}
    for phrases in by_language.values():
        for phrase in phrases:
            seen.setdefault(_phrase(phrase), None)
    return list(seen)


@dataclass(frozen=True)
class RedFlagRules:
    id: str
    categories: dict  # id -> Category, in file order
    source: str
    shorthand: Shorthand | None = None  # None: the course's table

    def keyword_table(self) -> dict[str, list[str]]:
        """{category: [normalized keyword, ...]}: the plain dict students' own detect() receives.

        A keyword with a gap keeps it as " ... " ("gui ... anh"): a plain whole-word search never finds it.
        """
        return {category.id: category.phrases() for category in self.categories.values()}

    def phrase_table(self) -> dict[str, tuple[list[str], list[str]]]:
        """{category: (keywords, unless phrases)}, normalized once and kept."""
        if "_phrase_table" not in self.__dict__:
            table = {category.id: (category.phrases(), category.unless_phrases()) for category in self.categories.values()}
            object.__setattr__(self, "_phrase_table", table)
        return self.__dict__["_phrase_table"]


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
        for language in sorted(set(category.get("unless", {})) - languages):
            problems.append(document.problem(where + ("unless", language), f"unknown language {language!r}: add widgets/locales/{language}.yaml first"))
        seen: dict[str, tuple] = {}
        listed = [("keywords", language, index, keyword) for language, items in keywords.items() for index, keyword in enumerate(items)]
        listed += [("unless", language, index, phrase) for language, items in category.get("unless", {}).items() for index, phrase in enumerate(items)]
        for field_name, language, index, keyword in listed:
            place = where + (field_name, language, index)
            phrase = _phrase(keyword)
            if not all(_pieces(phrase)):
                gap = f" before or after {GAP!r}" if GAP in keyword else ""
                problems.append(document.problem(place, f"{keyword!r} has no letters or digits{gap}, so it can never match"))
            elif phrase in seen:
                first = seen[phrase]
                problems.append(document.problem(place, f"{keyword!r} is the same as {first[2]} {first[1]!r} ({first[0]}) once accents and case "
                                                         f"are ignored ({phrase!r}); keep one"))
            else:
                seen[phrase] = (language, keyword, "keyword" if field_name == "keywords" else "unless phrase")
    return problems


def _default_rules_path():
    return resources.files("widgets").joinpath("data", DEFAULT_RULES)


def load_rules(path: str | Path | None = None, shorthand: Shorthand | None = None) -> RedFlagRules:
    """Read and check a red-flag rules file (default: the course's widgets/data/keywords.red-flags.yaml).

    Messages are read with `shorthand` (default: the course's widgets/data/chat.shorthand.yaml).
    Raises ContentError naming the file, line and field of every problem.
    """
    path = Path(str(_default_rules_path())) if path is None else Path(path)
    document = load_content(path, "red-flags", rules_problems)
    data = document.data
    categories = {
        category_id: Category(category_id, dict(entry["label"]), dict(entry["explain"]), entry["rule"],
                              {language: tuple(keywords) for language, keywords in entry["keywords"].items()},
                              {language: tuple(phrases) for language, phrases in entry.get("unless", {}).items()})
        for category_id, entry in data["categories"].items()}
    return RedFlagRules(data["id"], categories, document.name, shorthand)


load_red_flags = load_rules  # the loader under the name the widget pattern uses (load_<kind>)


# Detection ------------------------------------------------------------------
RulesLike = RedFlagRules | Mapping[str, Iterable[str]]


def _ends(piece: tuple, lattice: list, at: int, done: int = 0, anywhere: bool = False) -> set[int]:
    """Where `piece[done:]` can end if read from word `at` on (a reading may start mid-way when `anywhere`)."""
    if done == len(piece):
        return {at}
    if at >= len(lattice):
        return set()
    ends = set()
    for reading in lattice[at]:
        for start in range(len(reading) if anywhere else 1):
            rest = reading[start:]
            size = min(len(rest), len(piece) - done)
            if rest[:size] == piece[done:done + size]:
                ends |= _ends(piece, lattice, at + 1, done + size) if size == len(rest) else {at + 1}
    return ends


def _found(phrase: str, lattice: list, seen: set | None = None) -> bool:
    pieces = _pieces(phrase)
    if not all(pieces) or (seen is not None and not seen.issuperset(word for piece in pieces for word in piece)):
        return False  # quick: some word of the keyword appears in no reading of the message
    ends = set().union(*(_ends(pieces[0], lattice, at, anywhere=True) for at in range(len(lattice))))
    for piece in pieces[1:]:
        ends = set().union(set(), *(_ends(piece, lattice, start) for end in ends
                                    for start in range(end, min(end + GAP_WORDS, len(lattice)) + 1)))
    return bool(ends)


def matches(text: str, rules: RulesLike) -> dict[str, list[str]]:
    """{category: [normalized keywords found in text]} for every category with at least one match.

    The text is read with the shorthand table (every reading of every word); a category whose
    "unless" phrase is found as well is left out.
    """
    if isinstance(rules, RedFlagRules):
        lattice = readings(text, rules.shorthand)
        table = rules.phrase_table()
    else:
        lattice = readings(text)
        table = {category: ([_phrase(keyword) for keyword in keywords], []) for category, keywords in rules.items()}
    seen = {word for options in lattice for reading in options for word in reading}
    found = {}
    for category, (phrases, unless) in table.items():
        hits = [phrase for phrase in phrases if _found(phrase, lattice, seen)]
        if hits and not any(_found(phrase, lattice, seen) for phrase in unless):
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
    split: str = ""  # "train" (keywords may be written from it), "test" (held out to measure), or "" (not split)


def load_messages(path: str | Path, categories: Iterable[str] | None = None) -> list[LabelledMessage]:
    """Read a labelled CSV (columns id, language, text, labels[, split]; labels separated by ';').

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
        columns = tuple(reader.fieldnames or ())
        if columns not in (MESSAGE_COLUMNS, MESSAGE_COLUMNS + ("split",)):
            raise ContentError([Problem(name, "header", f"expected the columns {', '.join(MESSAGE_COLUMNS)} (and optionally split); "
                                                        f"found {', '.join(reader.fieldnames or [])}", 1)])
        for row in reader:
            line = reader.line_num
            if None in row or any(row[column] is None for column in columns):
                problems.append(Problem(name, "row", f"expected {len(columns)} columns", line))
                continue
            split = row.get("split", "")
            if "split" in row and split not in SPLITS:
                problems.append(Problem(name, "split", f"{split!r} is not one of: {', '.join(SPLITS)}", line))
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
            messages.append(LabelledMessage(row["id"], row["language"], row["text"], frozenset(labels), split))
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


__all__ = ["normalize", "words", "readings", "load_shorthand", "Shorthand", "load_rules", "load_red_flags", "detect", "matches", "load_messages", "evaluate", "Category",
           "RedFlagRules", "LabelledMessage", "Counts", "Evaluation", "RedFlagChecker"]
