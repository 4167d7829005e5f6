"""Item analysis in the class report: share right and point-biserial discrimination per autograded item."""

from __future__ import annotations

import pytest

from notalone.item_analysis import analyse, pearson
from notalone.report import CellResult


def results(pattern: dict[str, list[int]]) -> list[CellResult]:
    """item -> one 0/1 per student (students s0..sN); every item is worth 1 point in assignment 'a'."""
    rows = []
    for item, marks in pattern.items():
        for index, mark in enumerate(marks):
            rows.append(CellResult(f"s{index}", "a", "nb", item, "no-secrets", float(mark), 1.0))
    return rows


CLASS = {
    # Ten students ordered from strongest to weakest on the rest of the assignment.
    "strong-1": [1, 1, 1, 1, 1, 1, 0, 0, 0, 0],
    "strong-2": [1, 1, 1, 1, 1, 0, 1, 0, 0, 0],
    "strong-3": [1, 1, 1, 1, 0, 1, 0, 0, 0, 0],
    "separates": [1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
    "everyone": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    "nobody": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    "backwards": [0, 0, 0, 0, 1, 1, 1, 1, 1, 1],
}


def test_each_item_gets_its_share_discrimination_and_flags():
    stats = {item.grade_id: item for item in analyse(results(CLASS))}
    assert stats["separates"].share_right == 0.5 and stats["separates"].discrimination > 0.6 and not stats["separates"].flags
    assert stats["everyone"].flags == ("everyone",) and stats["everyone"].discrimination is None
    assert stats["nobody"].flags == ("nobody",)
    assert stats["backwards"].discrimination < 0 and stats["backwards"].flags == ("weak",)


def test_the_item_is_left_out_of_its_own_total():
    # One item, everyone else blank: with the item itself in the total it would correlate perfectly.
    stats = analyse(results({"alone": [1, 1, 0, 0, 1, 0], "blank": [0] * 6}))
    assert stats[0].discrimination is None, "the rest of the assignment does not vary: no discrimination"


def test_manual_and_pending_items_are_skipped_and_small_classes_get_no_figure():
    rows = results({"auto": [1, 0, 1], "reflection": [1, 1, 0]})
    rows.append(CellResult("s9", "a", "nb", "auto", "python", None, 1.0))
    stats = analyse(rows, autograded={("a", "nb", "auto")})
    assert [s.grade_id for s in stats] == ["auto"] and stats[0].students == 3 and stats[0].discrimination is None


@pytest.mark.parametrize("xs, ys, expected", [([1, 0, 1, 0], [3, 1, 3, 1], 1.0), ([1, 0], [1, 1], None)])
def test_pearson(xs, ys, expected):
    value = pearson(xs, ys)
    assert value == expected if expected is None else abs(value - expected) < 1e-9
