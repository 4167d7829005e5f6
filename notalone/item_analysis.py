"""Item analysis for the teacher: for every autograded item, the share of the class that got it right
and how well it separates stronger from weaker students.

Discrimination is the point-biserial correlation between the item (right or not) and the student's
score on the REST of the same assignment, so an item is never correlated with itself. An item that
almost everyone gets, almost nobody gets, or that stronger students get no more often than weaker
ones, is flagged: it tells the teacher little, or it may be worded unclearly.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

MIN_STUDENTS = 5  # below this, discrimination is not computed (too few to mean anything)
EASY, HARD, WEAK = 0.95, 0.05, 0.2


@dataclass(frozen=True)
class ItemStats:
    assignment: str
    notebook: str
    grade_id: str
    students: int
    share_right: float
    discrimination: float | None  # None when too few students or no variation
    flags: tuple[str, ...]  # everyone | nobody | weak


def pearson(xs: list[float], ys: list[float]) -> float | None:
    n = len(xs)
    if n < 2:
        return None
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / math.sqrt(sxx * syy)


def analyse(results, autograded: set | None = None) -> list[ItemStats]:
    """`results`: report.CellResult rows. Items still waiting for manual grading, and manually graded
    items (when `autograded`, the set of (assignment, notebook, grade_id) keys, is given), are skipped."""
    by_item: dict[tuple, dict[str, float]] = defaultdict(dict)
    totals: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in results:
        if r.score is None or not r.max_score:
            continue
        key = (r.assignment, r.notebook, r.grade_id)
        totals[r.assignment][r.student] += r.score / r.max_score
        if autograded is None or key in autograded:
            by_item[key][r.student] = r.score / r.max_score
    stats = []
    for key, scores in sorted(by_item.items()):
        students = sorted(scores)
        right = [1.0 if scores[s] >= 1.0 else 0.0 for s in students]
        rest = [totals[key[0]][s] - scores[s] for s in students]
        share = sum(right) / len(right)
        r = pearson(right, rest) if len(students) >= MIN_STUDENTS else None
        flags = []
        if len(students) >= MIN_STUDENTS and share >= EASY:
            flags.append("everyone")
        elif len(students) >= MIN_STUDENTS and share <= HARD:
            flags.append("nobody")
        elif r is not None and r < WEAK:
            flags.append("weak")
        stats.append(ItemStats(*key, len(students), share, r, tuple(flags)))
    return stats
