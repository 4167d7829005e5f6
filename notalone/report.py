"""`notalone report`: per student and per skill, from nbgrader's gradebook.

Every grade cell carries a skill tag (skill:no-secrets, skill:python, ...). The report adds up
points per skill, shows which of the 3 Nos, the 3 Musts and the IT skills the class misses most,
lists submissions flagged while grading, and writes an HTML page (from the Jinja2 template
templates/report.html.j2 with autoescape; charts drawn as inline SVG, nothing loaded from the network;
the page rebuilt by notalone.safe_html) and
CSV files for the school's records (notalone.safe_csv: no cell a spreadsheet would run).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path

import nbformat
import yaml

from widgets.i18n import localize, ui
from widgets.rules import rules

from .grader import load_outcomes
from .item_analysis import analyse
from .safe_csv import write_rows
from .safe_html import safe_page
from .safe_text import printable
from .teacher import gradebook


@dataclass(frozen=True)
class CellResult:
    student: str
    assignment: str
    notebook: str
    grade_id: str
    skill: str
    score: float | None  # None: waiting for manual grading
    max_score: float


@lru_cache(maxsize=None)
def it_skills() -> dict:
    return yaml.safe_load(resources.files("notalone").joinpath("data", "skills.yaml").read_text("utf-8"))


def skill_label(skill: str, language: str) -> str:
    if skill in rules():
        return localize(rules()[skill].title, language)
    return localize(it_skills()[skill], language) if skill in it_skills() else skill


def skill_kind(skill: str) -> str:
    return rules()[skill].kind if skill in rules() else "it"


def autograded_keys(root: Path) -> set:
    """(assignment, notebook, grade_id) of every autograded cell (not the ones graded by hand)."""
    keys = set()
    for path in sorted((Path(root) / "source").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution"):
                keys.add((path.parent.name, path.stem, meta["grade_id"]))
    return keys


def cell_catalogue(root: Path) -> dict:
    """(assignment, notebook, grade_id) -> (skill, heading of the prompt just before the cell)."""
    catalogue = {}
    for path in sorted((Path(root) / "source").glob("*/*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        heading = ""
        for cell in notebook.cells:
            if cell.cell_type == "markdown" and cell.source.lstrip().startswith("#"):
                heading = cell.source.lstrip().splitlines()[0].lstrip("# ").strip()
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                tags = [t.split(":", 1)[1] for t in cell.metadata.get("tags", []) if t.startswith("skill:")]
                catalogue[(path.parent.name, path.stem, meta["grade_id"])] = (tags[0] if tags else "untagged", heading or meta["grade_id"])
    return catalogue


def collect_results(root: Path) -> list[CellResult]:
    import warnings

    from sqlalchemy.exc import SAWarning

    catalogue = cell_catalogue(root)
    results = []
    with gradebook(root) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's lazy relationships warn on read-only walks
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        skill, _ = catalogue.get((assignment.name, notebook.name, grade.name), ("untagged", grade.name))
                        score = None if grade.needs_manual_grade else float(grade.score or 0)
                        results.append(CellResult(submission.student.id, assignment.name, notebook.name, grade.name,
                                                  skill, score, float(grade.max_score)))
    return results


def rate(items) -> float | None:
    graded = [r for r in items if r.score is not None]
    total = sum(r.max_score for r in graded)
    return sum(r.score for r in graded) / total if total else None


def summarize(results: list[CellResult]) -> dict:
    by_skill, by_student, by_cell = defaultdict(list), defaultdict(lambda: defaultdict(list)), defaultdict(list)
    for result in results:
        by_skill[result.skill].append(result)
        by_student[result.student][result.skill].append(result)
        by_cell[(result.assignment, result.notebook, result.grade_id)].append(result)
    order = {skill: index for index, skill in enumerate(list(rules()) + list(it_skills()))}
    skills = sorted(by_skill, key=lambda s: (order.get(s, 99), s))
    return {
        "skills": skills,
        "skill_rate": {s: rate(by_skill[s]) for s in skills},
        "students": {student: {s: rate(cells.get(s, [])) for s in skills} for student, cells in sorted(by_student.items())},
        # Questions still being graded by hand are left out until they are all graded.
        "cells": sorted(((key, rate(items)) for key, items in by_cell.items()
                         if rate(items) is not None and all(r.score is not None for r in items)), key=lambda kv: kv[1]),
        "pending": sum(r.score is None for r in results),
    }


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{round(100 * value)}%"


def _colour(value: float | None) -> str:
    if value is None:
        return "#d0d4da"
    return "#c0392b" if value < 0.5 else "#e67e22" if value < 0.75 else "#27ae60"


BAR_X, BAR_WIDTH = 330, 300  # the skills chart: where the bars start, and how long 100% is


@lru_cache(maxsize=None)
def templates():
    """The page templates (notalone/templates/*.html.j2), with autoescape: every text is escaped by Jinja2."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    folder = Path(__file__).resolve().parent / "templates"
    return Environment(loader=FileSystemLoader(folder), autoescape=True, undefined=StrictUndefined, trim_blocks=False)


def render_html(root: Path, summary: dict, outcomes: dict, language: str, items=()) -> str:
    """The class report page: the skills chart (inline SVG, each bar with its percentage written out, not colour
    alone), the questions the class misses most, every student per skill, the item analysis and the flags."""
    text = lambda key, **values: printable(ui(key, language, **values))  # noqa: E731
    label = lambda skill: printable(skill_label(skill, language))  # noqa: E731
    catalogue = cell_catalogue(root)
    chart = [{"label": label(skill), "length": int(BAR_WIDTH * (summary["skill_rate"][skill] or 0)),
              "colour": _colour(summary["skill_rate"][skill]), "percent": _percent(summary["skill_rate"][skill])}
             for skill in summary["skills"]]
    misses = []
    for (assignment, notebook, grade_id), value in summary["cells"][:12]:
        skill, heading = catalogue.get((assignment, notebook, grade_id), ("untagged", grade_id))
        misses.append({"assignment": printable(assignment), "heading": printable(heading), "skill": label(skill),
                       "colour": _colour(value), "percent": _percent(value)})
    students = [{"id": printable(student), "cells": [{"colour": _colour(values[s]), "percent": _percent(values[s])}
                                                     for s in summary["skills"]]}
                for student, values in summary["students"].items()]
    item_rows = []
    for item in items:
        skill, heading = catalogue.get((item.assignment, item.notebook, item.grade_id), ("untagged", item.grade_id))
        item_rows.append({"assignment": printable(item.assignment), "heading": printable(heading), "skill": label(skill),
                          "percent": _percent(item.share_right),
                          "discrimination": "–" if item.discrimination is None else f"{item.discrimination:.2f}",
                          "notes": printable("; ".join(ui(f"report_item_{flag}", language) for flag in item.flags))})
    flagged = [{"assignment": printable(assignment), "student": printable(student), "kind": printable(flag["kind"]),
                "reason": printable(flag["reason"])}
               for assignment, students_ in sorted(outcomes.items()) for student, record in sorted(students_.items())
               for flag in record.get("flags", [])]
    page = templates().get_template("report.html.j2").render(
        t=text, language=printable(language), generated=datetime.now().strftime("%Y-%m-%d %H:%M"),
        pending=summary["pending"], chart=chart, bar_x=BAR_X, bar_width=BAR_WIDTH, misses=misses,
        skills=[{"id": printable(s), "label": label(s)} for s in summary["skills"]], students=students,
        items=item_rows, flagged=flagged)
    return safe_page(page)


def write_report(root: Path, out: Path, language: str = "en") -> list[Path]:
    """report.html, skills.csv (one row per student, assignment and skill) and students.csv (student x skill %)."""
    root, out = Path(root), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results = collect_results(root)
    summary = summarize(results)
    position = {key: index for index, key in enumerate(cell_catalogue(root))}  # notebook order
    items = sorted(analyse(results, autograded_keys(root)),
                   key=lambda i: position.get((i.assignment, i.notebook, i.grade_id), len(position)))
    page = out / "report.html"
    page.write_text(render_html(root, summary, load_outcomes(root), language, items), encoding="utf-8")
    long_rows = defaultdict(lambda: [0.0, 0.0, 0])
    for r in results:
        row = long_rows[(r.student, r.assignment, r.skill)]
        if r.score is None:
            row[2] += 1
        else:
            row[0] += r.score
            row[1] += r.max_score
    write_rows(out / "skills.csv",
               ["student", "assignment", "skill", "skill_name", "score", "max_score", "percent", "awaiting_manual_grading"],
               ([student, assignment, skill, skill_label(skill, language), score, maximum,
                 round(100 * score / maximum, 1) if maximum else "", pending]
                for (student, assignment, skill), (score, maximum, pending) in sorted(long_rows.items())))
    write_rows(out / "students.csv", ["student", *summary["skills"]],
               ([student, *("" if values[s] is None else round(100 * values[s], 1) for s in summary["skills"])]
                for student, values in summary["students"].items()))
    write_rows(out / "items.csv", ["assignment", "notebook", "grade_id", "students", "share_right", "discrimination", "flags"],
               ([item.assignment, item.notebook, item.grade_id, item.students, round(item.share_right, 3),
                 "" if item.discrimination is None else round(item.discrimination, 3), " ".join(item.flags)] for item in items))
    return [page, out / "skills.csv", out / "students.csv", out / "items.csv"]
