"""How much a student who never reads the questions would score on the graded items.

An item is a graded scenario decision or a graded quiz question, read from the author's files
(which hold the key). A blind strategy picks by form alone: always the longest option, always the
shortest, always the first, always the last, in the order the student sees them (shuffled per student in graded items).
`notalone check` and the tests use this to keep every blind strategy within a few points of
picking at random.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from widgets.answers import shuffled


@dataclass(frozen=True)
class Item:
    """One graded item: its options (id -> localized text) in the author's order, and the right option ids."""

    place: str  # file and item id, for messages
    key: str  # the id the option order is shuffled by (content id / item id)
    kind: str  # single | multiple
    options: tuple[tuple[str, dict], ...]
    right: frozenset[str]


def assignment_items(folder: Path) -> list[Item]:
    """The graded items of one assignment's source folder."""
    from widgets.quiz import load_quiz
    from widgets.scenario import load_scenario

    items = []
    for path in sorted(Path(folder).glob("*.scenario.yaml")):
        scenario = load_scenario(path)
        for node_id in scenario.decision_nodes:
            decision = scenario.nodes[node_id].decision
            items.append(Item(f"{path.name}: {node_id}", f"{scenario.id}/{node_id}", "single",
                              tuple((o.id, o.text) for o in decision.options),
                              frozenset(o.id for o in decision.options if o.safe)))
    for path in sorted(Path(folder).glob("*.quiz.yaml")):
        quiz = load_quiz(path)
        if not quiz.has_key:
            continue
        for question in quiz.questions:
            items.append(Item(f"{path.name}: {question.id}", f"{quiz.id}/{question.id}", question.kind,
                              tuple((o.id, o.text) for o in question.options), question.key))
    return items


def _score(item: Item, picked: str) -> float:
    return float(frozenset({picked}) == item.right) if item.kind == "multiple" else float(picked in item.right)


def random_score(item: Item) -> float:
    """Expected score of picking at random: one option for single choice, any non-empty set for multiple."""
    n = len(item.options)
    if item.kind == "multiple":
        return 1 / (2 ** n - 1)
    return len(item.right) / n


STRATEGIES: dict[str, Callable[[list[tuple[str, dict]], str], str]] = {
    "longest": lambda options, language: max(options, key=lambda o: len(o[1].get(language, "")))[0],
    "shortest": lambda options, language: min(options, key=lambda o: len(o[1].get(language, "")))[0],
    "first": lambda options, language: options[0][0],
    "last": lambda options, language: options[-1][0],
}


def blind_scores(items: Iterable[Item], language: str, *, shuffle: bool = True, students: int = 200) -> dict[str, float]:
    """Percent of the points each blind strategy gets on `items`, and 'random', averaged over `students`
    simulated students (each sees the options in their own order when `shuffle`)."""
    items = list(items)
    if not items:
        return {}
    totals = dict.fromkeys(STRATEGIES, 0.0)
    seeds = [f"student-{n}" for n in range(students)] if shuffle else [None]
    for seed in seeds:
        for item in items:
            options = list(item.options)
            if seed is not None:
                by_id = dict(options)
                options = [(option_id, by_id[option_id]) for option_id in shuffled(list(by_id), seed, item.key)]
            for name, pick in STRATEGIES.items():
                totals[name] += _score(item, pick(options, language))
    scores = {name: 100 * total / (len(seeds) * len(items)) for name, total in totals.items()}
    scores["random"] = 100 * sum(random_score(item) for item in items) / len(items)
    return scores


def blind_edge(scores: dict[str, float]) -> tuple[str, float]:
    """The best blind strategy and its lead over random, in points out of 100."""
    name = max(STRATEGIES, key=lambda s: scores[s])
    return name, scores[name] - scores["random"]


def graded_content_problems(folder: Path) -> list:
    """For `notalone check`, on one assignment's source folder:
    - errors: a graded chat whose path depends on the choice (the next message would give the answer away),
      and an autograded cell the grader cannot decide outside the kernel (notalone.scoring);
    - warnings: an item whose right answer stands out by length, and a file whose right answers sit at the
      same written position (students see them shuffled, but previews and printed copies do not)."""
    from widgets.answers import giveaways
    from widgets.content import read_document
    from widgets.errors import ContentError, Problem, display_path

    from .scoring import authoring_problems

    folder = Path(folder)
    problems: list = []
    for path in sorted(folder.glob("*.scenario.yaml")):
        try:
            document = read_document(path)
        except ContentError as error:
            problems += error.problems
            continue
        for node_id, node in (document.data.get("nodes") or {}).items() if isinstance(document.data, dict) else []:
            options = ((node or {}).get("decision") or {}).get("options") or []
            targets = {option.get("next") for option in options if isinstance(option, dict)}
            if len(targets) > 1:
                where = ("nodes", node_id, "decision", "options")
                problems.append(document.problem(where, "in a graded chat every option of a decision must lead to the same "
                                                        f"node (found {', '.join(sorted(map(str, targets)))}): a different next "
                                                        "message would tell the student whether the choice was safe"))
    try:
        items = assignment_items(folder)
    except ContentError as error:
        return problems + error.problems
    positions: dict[str, list[int]] = {}
    for item in items:
        file_name = item.place.split(":")[0]
        for reason in giveaways(dict(item.options), item.right, ("en", "vi")):
            problems.append(Problem(display_path(folder / file_name), item.place.split(": ")[1], reason, severity="warning"))
        ids = [option_id for option_id, _ in item.options]
        positions.setdefault(file_name, []).extend(ids.index(r) for r in item.right if item.kind == "single")
    for file_name, spots in positions.items():
        if len(spots) >= 4:
            common = max(set(spots), key=spots.count)
            if spots.count(common) / len(spots) >= 0.6:
                problems.append(Problem(display_path(folder / file_name), "", f"the right answer is option {common + 1} in "
                                        f"{spots.count(common)} of {len(spots)} items: vary where it is written", severity="warning"))
    for notebook in sorted(folder.glob("*.ipynb")):
        problems += [Problem(display_path(notebook), "", message) for message in authoring_problems(notebook)]
    return problems
