"""The closing pledge: each student writes the campaign's 3 Nos and 3 Musts in their own words (a pure model).

The six rules come from data/rules.yaml. The student writes one sentence per rule and may add a name;
`problems()` says what is still missing or too long, and `write_card()` prints a one-page card
(campaign rules, the student's words, 111 and the help line) from templates/pledge-card.html.j2.
No ipywidgets here.

Progress lives in the same notalone-progress.json as the other activities, in a "pledges" section:

    "pledges": {"closing-pledge": {"name": "Lan", "wording": {"<rule id>": "<the student's words>"},
                                   "cards": ["my-pledge.en.html"]}}
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Callable

import yaml

from .i18n import localize, ui
from .progress import MemoryStore, ProgressStore
from .rules import Rule, rules

SECTION = "pledges"
PLEDGE_ID = "closing-pledge"
MIN_CHARACTERS = 10  # "I will tell" is a pledge; "ok" is not
MAX_CHARACTERS = 160  # six of these still fit one A4 page
MAX_NAME = 40
CARD_FILE = "my-pledge.{language}.html"
SPACES = re.compile(r"\s+")


def tidy(text: str) -> str:
    """Spaces at both ends removed and runs of spaces or line breaks made one space."""
    return SPACES.sub(" ", text).strip()


def has_control_characters(text: str) -> bool:
    """Invisible characters (controls, bidi overrides) that would garble the printed card."""
    return any(unicodedata.category(c) in ("Cc", "Cf") and c not in "\u200c\u200d" for c in text)


@dataclass(frozen=True)
class PledgeProblem:
    """One thing to fix before the card can be printed: where (a rule id or "name") and a locale message."""

    where: str
    key: str
    values: dict = field(default_factory=dict)

    def message(self, language: str) -> str:
        values = dict(self.values)
        if self.where in rules():
            values["rule"] = localize(rules()[self.where].title, language)
        return ui(self.key, language, **values)


class PledgeIncomplete(ValueError):
    """The card cannot be printed yet; `problems` says why."""

    def __init__(self, problems: list[PledgeProblem], language: str):
        self.problems = problems
        super().__init__(" ".join([ui("pledge_problems", language)] + [p.message(language) for p in problems]))


class Pledge:
    """One student's pledge. Every change is saved at once. Triggers: write(), set_name(), write_card()."""

    def __init__(self, store: ProgressStore | None = None, pledge_id: str = PLEDGE_ID):
        self.store = store if store is not None else MemoryStore()
        self.pledge_id = pledge_id
        self._listeners: list[Callable[[], None]] = []
        record = self.store.entry(SECTION, pledge_id)
        saved = record.get("wording") if isinstance(record.get("wording"), dict) else {}
        self._wording = {rule_id: text for rule_id, text in saved.items() if rule_id in rules() and isinstance(text, str)}
        self._name = record["name"] if isinstance(record.get("name"), str) else ""

    # What the student does -------------------------------------------------------
    def write(self, rule_id: str, text: str) -> None:
        """The student's own words for one rule ("" clears them)."""
        self.rule(rule_id)
        if not isinstance(text, str):
            raise TypeError(f"the words for {rule_id!r} must be a str, not {type(text).__name__}")
        if tidy(text):
            self._wording[rule_id] = text
        else:
            self._wording.pop(rule_id, None)
        self._save()

    def set_name(self, name: str) -> None:
        """The name printed on the card; optional ("" prints the card without a name)."""
        if not isinstance(name, str):
            raise TypeError(f"the name must be a str, not {type(name).__name__}")
        self._name = name
        self._save()

    def write_card(self, folder: str | Path, language: str) -> Path:
        """Write the printable card in `language` into `folder` (my-pledge.<language>.html) and return its path.

        Raises PledgeIncomplete, naming every rule still to write, when the pledge is not ready."""
        page = self.card_html(language)
        path = Path(folder) / CARD_FILE.format(language=language)
        path.write_text(page, encoding="utf-8")
        if not self.store.read_only:
            def remember(record: dict) -> None:
                cards = record.get("cards") if isinstance(record.get("cards"), list) else []
                record["cards"] = sorted(set(cards) | {path.name})
            self.store.update_entry(SECTION, self.pledge_id, remember)
        return path

    # What the view and tests read ------------------------------------------------------
    @staticmethod
    def rules() -> list[Rule]:
        """The 3 Nos then the 3 Musts, in the campaign's order."""
        return list(rules().values())

    @staticmethod
    def rule(rule_id: str) -> Rule:
        if rule_id not in rules():
            raise KeyError(f"{rule_id!r} is not a campaign rule; expected one of: {', '.join(rules())}")
        return rules()[rule_id]

    def wording(self, rule_id: str) -> str:
        self.rule(rule_id)
        return self._wording.get(rule_id, "")

    @property
    def name(self) -> str:
        return self._name

    @property
    def written(self) -> int:
        """How many rules have words that pass the checks."""
        broken = {problem.where for problem in self.problems()}
        return sum(1 for rule in self.rules() if rule.id in self._wording and rule.id not in broken)

    def problems(self) -> list[PledgeProblem]:
        """Everything to fix before printing, in the order of the rules, then the name."""
        found = []
        for rule in self.rules():
            text = tidy(self._wording.get(rule.id, ""))
            if not text:
                found.append(PledgeProblem(rule.id, "pledge_missing"))
            elif has_control_characters(text):
                found.append(PledgeProblem(rule.id, "pledge_control_characters"))
            elif len(text) < MIN_CHARACTERS:
                found.append(PledgeProblem(rule.id, "pledge_too_short", {"minimum": MIN_CHARACTERS}))
            elif len(text) > MAX_CHARACTERS:
                found.append(PledgeProblem(rule.id, "pledge_too_long", {"maximum": MAX_CHARACTERS}))
        name = tidy(self._name)
        if len(name) > MAX_NAME:
            found.append(PledgeProblem("name", "pledge_name_too_long", {"maximum": MAX_NAME}))
        elif has_control_characters(name):
            found.append(PledgeProblem("name", "pledge_control_characters", {"rule": ui("pledge_name_label", "en")}))
        return found

    @property
    def complete(self) -> bool:
        return not self.problems()

    def card_html(self, language: str) -> str:
        """The printable card as one self-contained, sanitized HTML page (raises PledgeIncomplete)."""
        problems = self.problems()
        if problems:
            raise PledgeIncomplete(problems, language)
        return render_card(language, self.tidy_name, {rule.id: tidy(self._wording[rule.id]) for rule in self.rules()})

    @property
    def tidy_name(self) -> str:
        return tidy(self._name)

    # Observers -------------------------------------------------------------------------------
    def observe(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    def _save(self) -> None:
        if self.store.read_only:
            raise PermissionError(f"{self.store.path} is an answer key and is read-only")
        wording, name = dict(self._wording), self._name

        def change(record: dict) -> None:
            record["wording"], record["name"] = wording, name
        self.store.update_entry(SECTION, self.pledge_id, change)
        for callback in self._listeners:
            callback()


@lru_cache(maxsize=None)
def _template():
    import jinja2

    text = resources.files("widgets").joinpath("templates", "pledge-card.html.j2").read_text("utf-8")
    return jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(text)


def render_card(language: str, name: str, wording: dict[str, str]) -> str:
    """The card's HTML from the template (every value escaped), rebuilt from notalone's allow-list."""
    from notalone.safe_html import safe_page

    help_data = yaml.safe_load(resources.files("widgets").joinpath("data", "help-card.yaml").read_text("utf-8"))
    page = _template().render(
        language=language,
        heading=ui("pledge_card_heading", language),
        by=ui("pledge_card_by", language, name=name) if name else ui("pledge_card_by_anonymous", language),
        my_words=ui("pledge_card_my_words", language),
        campaign=ui("pledge_card_campaign", language),
        no_label=ui("no_rule", language), must_label=ui("must_rule", language),
        rows=[{"kind": rule.kind, "rule": localize(rule.title, language), "words": wording[rule.id]}
              for rule in rules().values()],
        help_heading=ui("pledge_card_help", language),
        help_items=[{"icon": item["icon"], "title": localize(item["title"], language), "text": localize(item["text"], language)}
                    for item in help_data["items"]],
        footer=ui("pledge_card_footer", language))
    return safe_page(page)
