"""Branching chat scenarios: the data (Scenario) and the pure model of one play-through (ScenarioRun).

No ipywidgets here: the model runs and is tested without a browser or a kernel.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .answers import WITHHELD, shuffled
from .content import Document, load_content
from .errors import Problem
from .progress import MemoryStore, ProgressStore
from .rules import rules


@dataclass(frozen=True)
class Option:
    id: str
    text: dict
    safe: bool | None  # None in a released graded chat: the key is withheld
    feedback: dict | None
    next: str


@dataclass(frozen=True)
class Decision:
    prompt: dict
    red_flag: dict | None
    rule: str
    options: tuple[Option, ...]

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class Ending:
    outcome: str  # safe | helped | at-risk
    title: dict
    text: dict


@dataclass(frozen=True)
class Message:
    sender: str  # contact | student | narrator
    text: dict


@dataclass(frozen=True)
class Node:
    id: str
    messages: tuple[Message, ...]
    when: dict | None = None
    decision: Decision | None = None
    ending: Ending | None = None


@dataclass(frozen=True)
class Scenario:
    id: str
    title: dict
    contact_name: dict
    avatar: str
    platform: dict | None
    content_warning: dict | None
    start: str
    nodes: dict[str, Node]
    source: str
    answers_withheld: bool = False

    @property
    def decision_nodes(self) -> list[str]:
        return [node_id for node_id, node in self.nodes.items() if node.decision]


def graph_problems(document: Document) -> list[Problem]:
    """Problems a schema cannot see: dangling links, unreachable nodes, loops, dead ends, no safe option."""
    data = document.data
    nodes = data["nodes"]
    problems = []
    known_rules = rules()
    withheld = data.get("answers") == WITHHELD
    if data["start"] not in nodes:
        problems.append(document.problem(("start",), f"{data['start']!r} is not a node; expected one of: {', '.join(nodes)}"))
    edges: dict[str, list[str]] = {}
    for node_id, node in nodes.items():
        where = ("nodes", node_id)
        has_decision, has_ending = "decision" in node, "ending" in node
        if has_decision == has_ending:
            problems.append(document.problem(where, "a node needs exactly one of 'decision' (the student chooses) or 'ending'"))
        edges[node_id] = []
        if not has_decision:
            continue
        decision = node["decision"]
        if not withheld and "red_flag" not in decision:
            problems.append(document.problem(where + ("decision",), "'red_flag' is required (required field missing)"))
        if decision["rule"] not in known_rules:
            problems.append(document.problem(where + ("decision", "rule"), f"unknown rule {decision['rule']!r}; expected one of: {', '.join(known_rules)}"))
        seen = set()
        for index, option in enumerate(decision["options"]):
            place = where + ("decision", "options", index)
            if option["id"] in seen:
                problems.append(document.problem(place + ("id",), f"option id {option['id']!r} is used twice in this decision"))
            seen.add(option["id"])
            for field in ("safe", "feedback"):
                if not withheld and field not in option:
                    problems.append(document.problem(place, f"{field!r} is required (required field missing)"))
            if option["next"] not in nodes:
                problems.append(document.problem(place + ("next",), f"{option['next']!r} is not a node in this scenario; expected one of: {', '.join(nodes)}"))
            elif option["next"] == node_id:
                problems.append(document.problem(place + ("next",), "an option cannot lead back to its own node"))
            else:
                edges[node_id].append(option["next"])
        if not withheld and not any(option.get("safe") for option in decision["options"]):
            problems.append(document.problem(where + ("decision", "options"), "no option is marked safe: every decision needs a safe way out"))
    if problems:
        return problems

    reachable, frontier = {data["start"]}, [data["start"]]
    while frontier:
        for target in edges[frontier.pop()]:
            if target not in reachable:
                reachable.add(target)
                frontier.append(target)
    for node_id in nodes:
        if node_id not in reachable:
            problems.append(document.problem(("nodes", node_id), f"node {node_id!r} cannot be reached from start {data['start']!r}"))

    # Every path must end: no loops, and every branch reaches an ending.
    state: dict[str, str] = {}

    def visit(node_id: str, trail: list[str]) -> None:
        state[node_id] = "open"
        for target in edges[node_id]:
            if state.get(target) == "open":
                loop = trail[trail.index(target):] + [node_id, target] if target in trail else [node_id, target]
                problems.append(document.problem(("nodes", node_id), f"loop: {' -> '.join(loop)}; every path must reach an ending"))
            elif target not in state:
                visit(target, trail + [node_id])
        state[node_id] = "done"

    visit(data["start"], [])
    if not any("ending" in node for node in nodes.values()):
        problems.append(document.problem(("nodes",), "the scenario has no ending node"))
    return problems


def _text(value):
    return dict(value) if value is not None else None


def _build(document: Document) -> Scenario:
    data = document.data
    nodes = {}
    for node_id, node in data["nodes"].items():
        decision = ending = None
        if "decision" in node:
            d = node["decision"]
            decision = Decision(d["prompt"], d.get("red_flag"), d["rule"], tuple(
                Option(o["id"], o["text"], o.get("safe"), o.get("feedback"), o["next"]) for o in d["options"]))
        if "ending" in node:
            e = node["ending"]
            ending = Ending(e["outcome"], e["title"], e["text"])
        messages = tuple(Message(m.get("from", "contact"), m["text"]) for m in node["messages"])
        nodes[node_id] = Node(node_id, messages, _text(node.get("when")), decision, ending)
    contact = data["contact"]
    return Scenario(data["id"], data["title"], contact["name"], contact.get("avatar", "💬"), _text(contact.get("platform")),
                    _text(data.get("content_warning")), data["start"], nodes, document.name, data.get("answers") == WITHHELD)


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file; raise ContentError naming the file, field and line of every problem."""
    document = load_content(path, "scenario", graph_problems)
    return _build(document)


@dataclass(frozen=True)
class Feedback:
    """What the student sees right after a choice."""

    node_id: str
    decision: Decision
    option: Option

    @property
    def safe(self) -> bool:
        return self.option.safe


@dataclass(frozen=True)
class SummaryRow:
    node_id: str
    decision: Decision
    option: Option


class ScenarioRun:
    """One student's play-through of a scenario. Every change is saved to the store at once."""

    def __init__(self, scenario: Scenario, store: ProgressStore | None = None, *, graded: bool = False):
        self.scenario = scenario
        self.store = store if store is not None else MemoryStore()
        self.graded = graded
        self._listeners: list[Callable[[], None]] = []
        self._choices: list[tuple[str, str]] = []
        self.current = scenario.start
        self.feedback: Feedback | None = None
        self._resume()

    def _resume(self) -> None:
        stored = self.store.choices(self.scenario.id)
        for node_id, option_id in stored:
            node = self.scenario.nodes[self.current]
            if node_id != self.current or not node.decision or not node.decision.option(option_id):
                warnings.warn(f"{self.store.path}: saved choice {option_id!r} at {node_id!r} no longer fits scenario "
                              f"{self.scenario.id!r} ({self.scenario.source}); resuming from the last choice that fits.")
                if not self.store.read_only:
                    self.store.start_new_attempt(self.scenario.id)
                    self.store.save_choices(self.scenario.id, self._choices)
                break
            self._advance(node_id, node.decision.option(option_id))

    def _advance(self, node_id: str, option: Option) -> None:
        self._choices.append((node_id, option.id))
        self.feedback = Feedback(node_id, self.scenario.nodes[node_id].decision, option)
        self.current = option.next

    # What the student does ---------------------------------------------------
    def choose(self, option_id: str) -> Feedback:
        """Pick an option at the current decision point."""
        node = self.node
        if node.decision is None:
            raise ValueError(f"scenario {self.scenario.id!r} has ended at {self.current!r}; there is nothing to choose")
        option = node.decision.option(option_id)
        if option is None:
            valid = ", ".join(o.id for o in node.decision.options)
            raise ValueError(f"{option_id!r} is not an option at {self.current!r}; expected one of: {valid}")
        self._advance(self.current, option)
        self.store.save_choices(self.scenario.id, self._choices)
        self._changed()
        return self.feedback

    def restart(self) -> None:
        """Play again from the start. Earlier attempts stay in the progress file."""
        if self.graded:
            raise PermissionError(f"scenario {self.scenario.id!r} is graded: the first play-through counts")
        self.store.start_new_attempt(self.scenario.id)
        self._choices, self.current, self.feedback = [], self.scenario.start, None
        self._changed()

    # What the view and the grader read ---------------------------------------
    @property
    def node(self) -> Node:
        return self.scenario.nodes[self.current]

    @property
    def finished(self) -> bool:
        return self.node.ending is not None

    @property
    def ending(self) -> str | None:
        return self.current if self.finished else None

    @property
    def decisions(self) -> list[tuple[str, str]]:
        return list(self._choices)

    @property
    def visited(self) -> list[str]:
        """Node ids in the order the student saw them, current node last."""
        return [node_id for node_id, _ in self._choices] + [self.current]

    def choice_at(self, node_id: str) -> str | None:
        self._check_node(node_id)
        return dict(self._choices).get(node_id)

    def chose_safely(self, node_id: str) -> bool:
        """True when the student reached `node_id` and picked a safe option there."""
        option_id = self.choice_at(node_id)
        if option_id is not None and self.scenario.answers_withheld:
            raise PermissionError(f"{self.scenario.source}: the answers of this graded chat are not in the released file; "
                                  "your teacher's grader decides them after you hand in")
        return option_id is not None and self.scenario.nodes[node_id].decision.option(option_id).safe

    def check_decision(self, node_id: str) -> None:
        """What a grade cell runs: an AssertionError when `node_id` was not reached, or (when the file
        holds the key, as in the teacher's source) when the choice was not safe. In a released graded
        chat it only confirms that the choice is saved: points are decided by the grader."""
        from .i18n import ui

        option_id = self.choice_at(node_id)
        number = self.scenario.decision_nodes.index(node_id) + 1
        if option_id is None:
            raise AssertionError(ui("check_not_reached", "en", number=number) + "\n" + ui("check_not_reached", "vi", number=number))
        if self.scenario.answers_withheld:
            print(ui("check_saved", "en", number=number) + "\n" + ui("check_saved", "vi", number=number))
            return
        decision = self.scenario.nodes[node_id].decision
        option = decision.option(option_id)
        if not option.safe:
            lines = [f"{ui('check_unsafe', lang, number=number)} {decision.red_flag.get(lang, '')}".strip()
                     for lang in ("en", "vi")]
            raise AssertionError("\n".join(lines))

    def options_in_order(self, node_id: str | None = None) -> list[Option]:
        """The options of a decision in the order this student sees them: shuffled per student and per
        decision in a graded chat (fixed by the seed in the progress file), as written otherwise."""
        decision = self.scenario.nodes[node_id or self.current].decision
        if decision is None:
            return []
        if not self.graded:
            return list(decision.options)
        order = shuffled([o.id for o in decision.options], self.store.shuffle_seed(), f"{self.scenario.id}/{node_id or self.current}")
        return [decision.option(option_id) for option_id in order]

    def summary(self) -> list[SummaryRow]:
        return [SummaryRow(node_id, self.scenario.nodes[node_id].decision,
                           self.scenario.nodes[node_id].decision.option(option_id)) for node_id, option_id in self._choices]

    @property
    def safe_count(self) -> int | None:
        """How many choices were safe; None when the key is withheld."""
        if self.scenario.answers_withheld:
            return None
        return sum(bool(row.option.safe) for row in self.summary())

    def _check_node(self, node_id: str) -> None:
        node = self.scenario.nodes.get(node_id)
        if node is None or node.decision is None:
            raise KeyError(f"{node_id!r} is not a decision point of scenario {self.scenario.id!r}; "
                           f"expected one of: {', '.join(self.scenario.decision_nodes)}")

    # Observers ----------------------------------------------------------------
    def observe(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    def _changed(self) -> None:
        for callback in self._listeners:
            callback()
