"""Guessing does not pay: on every graded item, in both languages, no blind strategy (always the longest
option, always the first, always the last, in the order each student sees them) beats picking at random
by more than 10 points, for the whole course and for each assignment."""

from __future__ import annotations

import pytest

from notalone.guessing import assignment_items, blind_edge, blind_scores
from nbgrader_harness import ASSESSMENTS

ASSIGNMENTS = sorted(p for p in (ASSESSMENTS / "source").iterdir() if p.is_dir())
LANGUAGES = ("en", "vi")
MAX_EDGE = 10.0


def all_items():
    return [item for folder in ASSIGNMENTS for item in assignment_items(folder)]


def test_every_assignment_has_graded_items_with_a_key():
    for folder in ASSIGNMENTS:
        items = assignment_items(folder)
        assert items, f"{folder.name}: no graded scenario decision or quiz question with a key"
        for item in items:
            assert item.right, f"{item.place}: no right option"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_blind_strategy_beats_random_on_the_course(language):
    scores = blind_scores(all_items(), language)
    strategy, edge = blind_edge(scores)
    assert edge <= MAX_EDGE, f"{language}: '{strategy}' scores {scores[strategy]:.1f}% against {scores['random']:.1f}% at random"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("folder", ASSIGNMENTS, ids=lambda p: p.name)
def test_no_blind_strategy_beats_random_on_each_assignment(folder, language):
    scores = blind_scores(assignment_items(folder), language)
    strategy, edge = blind_edge(scores)
    # One assignment has few items, so one item moves the figure by 10 points or more: allow one item more.
    items = len(assignment_items(folder))
    assert edge <= MAX_EDGE + 100 / items, (
        f"{folder.name} ({language}): '{strategy}' scores {scores[strategy]:.1f}% against {scores['random']:.1f}% at random")


def test_the_measure_catches_a_giveaway():
    from notalone.guessing import Item

    giveaway = [Item(f"q{n}", f"quiz/q{n}", "single",
                     (("a", {"en": "No"}), ("b", {"en": "Maybe"}), ("c", {"en": "Tell a trusted adult and report it"})),
                     frozenset({"c"})) for n in range(10)]
    scores = blind_scores(giveaway, "en")
    assert scores["longest"] == 100.0 and blind_edge(scores)[1] > 60
    assert abs(scores["first"] - 100 / 3) < 6, "shuffling per student takes away the pay-off of always picking the first"
