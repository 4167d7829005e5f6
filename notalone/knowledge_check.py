"""The teacher's side of the anonymous knowledge check: class totals before vs after the course.

Students answer lessons/knowledge-check/knowledge-check.quiz.yaml twice (before.*.ipynb and
after.*.ipynb). Their answers are in the usual progress file (notalone-progress.json), which
holds no name, under the ids `knowledge-check-before` and `knowledge-check-after`. The teacher
copies the progress files into two folders (any file names) and runs

    notalone knowledge-check BEFORE_DIR AFTER_DIR --out report.html [--csv report.csv]

The answer key is teacher-side: assessments/knowledge-check-key.json (never under source/,
never released). summarize() is pure; write_html() and write_csv() render its result. The
report is self-contained (inline CSS and SVG, no scripts, no links), escapes every text and is
rebuilt by notalone.safe_html; the CSV goes through notalone.safe_csv (no cell a spreadsheet runs).
"""

from __future__ import annotations

import argparse
import html
import json
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterable

import yaml

from widgets import ContentError
from widgets.errors import Problem, display_path
from widgets.i18n import available_languages, localize, ui
from widgets.knowledge_check import PHASES, phase_quiz_id
from widgets.quiz import Quiz, load_quiz
from widgets.rules import rules

from .safe_csv import write_rows
from .safe_html import safe_page
from .safe_text import printable, printable_lines

KEY_FORMAT = "notalone-knowledge-check-key/1"
DEFAULT_QUIZ = Path("lessons") / "knowledge-check" / "knowledge-check.quiz.yaml"
DEFAULT_KEY = Path("assessments") / "knowledge-check-key.json"
SMALL_CLASS = 5


# Data --------------------------------------------------------------------------
@dataclass
class Tally:
    """Right answers out of the students who took one phase of the check."""

    correct: int = 0
    answered: int = 0  # students who answered this question (right or wrong)
    participants: int = 0  # students who took this phase at all

    @property
    def percent(self) -> float | None:
        """Share of right answers among all participants (a blank counts as not right); None without participants."""
        return 100.0 * self.correct / self.participants if self.participants else None


@dataclass
class Row:
    """One question, or one rule/skill (several questions added together)."""

    id: str
    skill: str
    prompt: dict | None  # localized prompt (questions only)
    answer: dict | None  # localized text of the right option(s) (questions only)
    before: Tally
    after: Tally

    @property
    def change(self) -> float | None:
        """Percentage points gained from before to after; None when either phase has no data."""
        if self.before.percent is None or self.after.percent is None:
            return None
        return self.after.percent - self.before.percent


@dataclass
class Summary:
    quiz_id: str
    title: dict
    questions: list  # [Row] in quiz order
    skills: list  # [Row] in campaign order (rules first), then IT skills in key order
    before_participants: int
    after_participants: int
    skipped: list = field(default_factory=list)  # [(file name, reason)]


# The answer key ------------------------------------------------------------------
def load_key(path: str | Path, quiz: Quiz) -> dict[str, dict]:
    """{question id: {"answer": frozenset, "skill": str}}, checked against the quiz; ContentError names the problem."""
    path = Path(path)
    name = display_path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContentError([Problem(name, "", "file not found: the knowledge-check answer key is teacher-side, "
                                              "in assessments/knowledge-check-key.json")]) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ContentError([Problem(name, "", f"not readable JSON: {error}")]) from None
    problems = []
    if not isinstance(data, dict) or data.get("format") != KEY_FORMAT:
        raise ContentError([Problem(name, "format", f"expected a JSON object with \"format\": \"{KEY_FORMAT}\"")])
    if data.get("quiz") != quiz.id:
        problems.append(Problem(name, "quiz", f"the key is for quiz {data.get('quiz')!r}, but {quiz.source} is {quiz.id!r}"))
    entries = data.get("questions")
    if not isinstance(entries, dict):
        raise ContentError(problems + [Problem(name, "questions", "expected an object: question id -> {answer, skill}")])
    key = {}
    for question in quiz.questions:
        entry = entries.get(question.id)
        where = f"questions.{question.id}"
        if not isinstance(entry, dict) or not isinstance(entry.get("answer"), list) or not entry["answer"]:
            problems.append(Problem(name, where, "missing, or without a non-empty \"answer\" list of option ids"))
            continue
        options = {o.id for o in question.options}
        unknown = [o for o in entry["answer"] if o not in options]
        if unknown:
            problems.append(Problem(name, where + ".answer", f"{', '.join(map(repr, unknown))} not an option; expected: {', '.join(sorted(options))}"))
        if question.kind == "single" and len(entry["answer"]) != 1:
            problems.append(Problem(name, where + ".answer", "a single-choice question has exactly one right option"))
        skill = entry.get("skill") or question.rule
        if not isinstance(skill, str) or not skill:
            problems.append(Problem(name, where + ".skill", "expected a rule id or an IT skill such as \"urls\""))
            continue
        if question.rule and skill != question.rule:
            problems.append(Problem(name, where + ".skill", f"{skill!r} differs from the quiz's rule {question.rule!r}"))
        key[question.id] = {"answer": frozenset(entry["answer"]), "skill": skill}
    for extra in sorted(set(entries) - {q.id for q in quiz.questions}):
        problems.append(Problem(name, f"questions.{extra}", f"not a question of {quiz.source}"))
    if problems:
        raise ContentError(problems)
    return key


# Reading progress files ------------------------------------------------------------
def progress_files(paths: Iterable[str | Path]) -> list[Path]:
    """The .json files named, or found (recursively) in the folders named, in a stable order."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.json") if p.is_file())
        else:
            found.append(path)
    return found


def _answers(path: Path, quiz_id: str, skipped: list) -> dict[str, frozenset] | None:
    """One student's answers for one phase, or None (and a note in `skipped`) when the file has none."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as error:
        skipped.append((path.name, f"not readable: {error}"))
        return None
    answers = data.get("quizzes", {}).get(quiz_id, {}).get("answers") if isinstance(data, dict) else None
    if not isinstance(answers, dict) or not answers:
        skipped.append((path.name, f"no answers for {quiz_id!r}"))
        return None
    return {question: frozenset(options) for question, options in answers.items() if isinstance(options, list)}


def _skill_order(skills: Iterable[str]) -> list[str]:
    skills = list(dict.fromkeys(skills))
    campaign = [rule for rule in rules() if rule in skills]
    return campaign + [skill for skill in skills if skill not in campaign]


def summarize(before_files: Iterable[str | Path], after_files: Iterable[str | Path], quiz_path: str | Path,
              key_path: str | Path | None = None) -> Summary:
    """Per question and per rule/skill: the share of right answers before vs after the course.

    `before_files` and `after_files` are progress files or folders of them (the same file may
    hold both phases). `key_path` defaults to assessments/knowledge-check-key.json next to the
    lessons/ folder that holds the quiz.
    """
    quiz_path = Path(quiz_path)
    quiz = load_quiz(quiz_path)
    if key_path is None:
        key_path = quiz_path.resolve().parents[2] / DEFAULT_KEY
    key = load_key(key_path, quiz)
    skipped: list = []
    phase_answers = {}
    for phase, files in zip(PHASES, (before_files, after_files)):
        quiz_id = phase_quiz_id(quiz.id, phase)
        phase_answers[phase] = [a for a in (_answers(p, quiz_id, skipped) for p in progress_files(files)) if a is not None]

    def tally(phase: str, question_ids: list[str]) -> Tally:
        students = phase_answers[phase]
        result = Tally(participants=len(students) * len(question_ids))
        for answers in students:
            for question_id in question_ids:
                given = answers.get(question_id)
                if given:
                    result.answered += 1
                    result.correct += given == key[question_id]["answer"]
        return result

    questions = []
    for question in quiz.questions:
        right = key[question.id]["answer"]
        answer_text = {language: " / ".join(localize(o.text, language) for o in question.options if o.id in right)
                       for language in available_languages()}
        questions.append(Row(question.id, key[question.id]["skill"], dict(question.prompt), answer_text,
                             tally("before", [question.id]), tally("after", [question.id])))
    skills = []
    for skill in _skill_order(row.skill for row in questions):
        ids = [row.id for row in questions if row.skill == skill]
        skills.append(Row(skill, skill, None, None, tally("before", ids), tally("after", ids)))
    return Summary(quiz.id, dict(quiz.title), questions, skills, len(phase_answers["before"]), len(phase_answers["after"]), skipped)


# Rendering --------------------------------------------------------------------------
@lru_cache(maxsize=None)
def it_skills() -> dict:
    """Labels of the IT skills (notalone/data/skills.yaml), shared with the grade-cell skill tags."""
    return yaml.safe_load(resources.files("notalone").joinpath("data", "skills.yaml").read_text("utf-8")) or {}


def skill_label(skill: str, language: str) -> str:
    """A rule's title, or an IT skill's label, or the id itself."""
    if skill in rules():
        return localize(rules()[skill].title, language)
    return localize(it_skills()[skill], language) if skill in it_skills() else skill


def _percent(tally: Tally, language: str) -> str:
    return ui("kc_no_answers", language) if tally.percent is None else f"{tally.percent:.0f}%"


def _change(row: Row, language: str) -> str:
    return "" if row.change is None else ui("kc_points", language, value=row.change)


def _e(text: str) -> str:
    """Text for the page: control and bidi characters shown escaped (file names), then HTML-escaped."""
    return html.escape(printable(text), quote=True)


def chart_svg(rows: list[Row], language: str) -> str:
    """A horizontal bar chart (inline SVG): one pair of bars, before and after, per row."""
    label_width, bar_width, row_height, top = 380, 360, 44, 30
    height = top + row_height * len(rows) + 10
    width = label_width + bar_width + 60
    before, after = ui("kc_before", language), ui("kc_after", language)
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' class='kc-chart' role='img' width='{width}' height='{height}' "
             f"viewBox='0 0 {width} {height}' font-family='sans-serif' font-size='12'>",
             f"<title>{_e(ui('kc_chart_label', language))}</title>",
             f"<rect x='{label_width}' y='6' width='12' height='12' fill='#9aa5b1'/>"
             f"<text x='{label_width + 18}' y='16'>{_e(before)}</text>",
             f"<rect x='{label_width + 110}' y='6' width='12' height='12' fill='#1f6fb2'/>"
             f"<text x='{label_width + 128}' y='16'>{_e(after)}</text>"]
    for index, row in enumerate(rows):
        y = top + index * row_height
        label = skill_label(row.skill, language)
        short = label if len(label) <= 58 else label[:57] + "…"
        parts.append(f"<text x='{label_width - 8}' y='{y + 20}' text-anchor='end'>{_e(short)}</text>")
        for offset, tally, colour, name in ((0, row.before, "#9aa5b1", before), (18, row.after, "#1f6fb2", after)):
            value = tally.percent or 0.0
            length = round(bar_width * value / 100, 1)
            shown = _percent(tally, language)
            parts.append(f"<rect x='{label_width}' y='{y + offset}' width='{length}' height='14' fill='{colour}'>"
                         f"<title>{_e(label)}: {_e(name)} {_e(shown)}</title></rect>"
                         f"<text x='{label_width + length + 4}' y='{y + offset + 11}'>{_e(shown)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def report_html(summary: Summary, language: str = "en") -> str:
    """The whole report as one self-contained HTML page (no scripts, no external resources)."""
    t = lambda key, **values: _e(ui(key, language, **values))  # noqa: E731
    style = ("body{font-family:sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#1b1f24}"
             "table{border-collapse:collapse;width:100%;margin:1em 0}th,td{border:1px solid #c8ccd4;padding:6px 8px;"
             "text-align:left;vertical-align:top}th{background:#eef2f6}td.num{text-align:right;white-space:nowrap}"
             ".note{color:#555;font-size:90%}")
    skill_rows = "".join(
        f"<tr><td>{_e(skill_label(row.skill, language))}</td>"
        f"<td class='num'>{_e(_percent(row.before, language))}</td><td class='num'>{_e(_percent(row.after, language))}</td>"
        f"<td class='num'>{_e(_change(row, language))}</td></tr>" for row in summary.skills)
    question_rows = "".join(
        f"<tr><td>{number}. {_e(localize(row.prompt, language))}</td><td>{_e(localize(row.answer, language))}</td>"
        f"<td>{_e(skill_label(row.skill, language))}</td>"
        f"<td class='num'>{_e(_percent(row.before, language))}<br><small>{t('kc_counts', correct=row.before.correct, total=row.before.participants)}</small></td>"
        f"<td class='num'>{_e(_percent(row.after, language))}<br><small>{t('kc_counts', correct=row.after.correct, total=row.after.participants)}</small></td>"
        f"<td class='num'>{_e(_change(row, language))}</td></tr>"
        for number, row in enumerate(summary.questions, 1))
    small = min(summary.before_participants, summary.after_participants) < SMALL_CLASS
    skipped = ""
    if summary.skipped:
        items = "".join(f"<li>{_e(name)}: {_e(reason)}</li>" for name, reason in summary.skipped)
        skipped = f"<h2>{t('kc_skipped')}</h2><ul class='note'>{items}</ul>"
    return safe_page(f"<!DOCTYPE html><html lang='{_e(language)}'><head><meta charset='utf-8'>"
            f"<title>{t('kc_report_title')}</title><style>{style}</style></head><body>"
            f"<h1>{t('kc_report_title')}</h1>"
            f"<p>{t('kc_report_intro', before=summary.before_participants, after=summary.after_participants)}</p>"
            + (f"<p class='note'>⚠️ {t('kc_small_class')}</p>" if small else "")
            + f"<h2>{t('kc_by_skill')}</h2>{chart_svg(summary.skills, language)}"
            f"<table><tr><th>{t('kc_skill')}</th><th>{t('kc_before')}</th><th>{t('kc_after')}</th><th>{t('kc_change')}</th></tr>{skill_rows}</table>"
            f"<h2>{t('kc_by_question')}</h2>"
            f"<table><tr><th>{t('kc_question')}</th><th>{t('kc_right_answer')}</th><th>{t('kc_skill')}</th><th>{t('kc_before')}</th>"
            f"<th>{t('kc_after')}</th><th>{t('kc_change')}</th></tr>{question_rows}</table>"
            f"<p class='note'>{t('kc_how')}</p>{skipped}</body></html>\n")


def write_html(summary: Summary, path: str | Path, language: str = "en") -> Path:
    path = Path(path)
    path.write_text(report_html(summary, language), encoding="utf-8")
    return path


CSV_COLUMNS = ("level", "id", "skill", "text", "before_correct", "before_total", "before_percent",
               "after_correct", "after_total", "after_percent", "change_points")


def _number(value):
    """Percentages and points with one decimal, as written in the report."""
    return round(value, 1) if isinstance(value, float) else value


def write_csv(summary: Summary, path: str | Path, language: str = "en") -> Path:
    """One row per rule/skill (level 'skill') and per question (level 'question'); no cell a spreadsheet would run."""
    rows = []
    for level, entries in (("skill", summary.skills), ("question", summary.questions)):
        for row in entries:
            text = skill_label(row.skill, language) if row.prompt is None else localize(row.prompt, language)
            rows.append([_number(v) for v in (level, row.id, row.skill, text, row.before.correct, row.before.participants,
                                              row.before.percent, row.after.correct, row.after.participants,
                                              row.after.percent, row.change)])
    return write_rows(path, CSV_COLUMNS, rows)


# Command line -------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The arguments of `notalone knowledge-check` (for notalone/cli.py)."""
    parser.add_argument("before", type=Path, metavar="BEFORE_DIR",
                        help="folder (or file) of progress files collected after the first check")
    parser.add_argument("after", type=Path, metavar="AFTER_DIR", help="folder (or file) of progress files collected after the second check")
    parser.add_argument("--out", type=Path, default=Path("knowledge-check-report.html"), help="HTML report to write")
    parser.add_argument("--csv", type=Path, help="also write the numbers as CSV")
    parser.add_argument("--quiz", type=Path, help=f"the quiz file (default: {DEFAULT_QUIZ} in the course folder)")
    parser.add_argument("--key", type=Path, help=f"the teacher's answer key (default: {DEFAULT_KEY} in the course folder)")
    parser.add_argument("--language", choices=available_languages(), default="en", help="language of the report")
    parser.add_argument("--root", type=Path, help="course folder (default: the one containing this directory, else the course installed with notalone)")
    return parser


def _course_root(start: Path) -> Path:
    """The course folder above `start`, else the course notalone runs from (its checkout or installed copy)."""
    from .locations import course_root

    for folder in [start, *start.parents]:
        if (folder / "lessons" / "manifest.yaml").exists():
            return folder
    try:
        return course_root()
    except FileNotFoundError as error:
        raise SystemExit(f"notalone knowledge-check: no lessons/manifest.yaml in {start} or above, and {error}; "
                         "pass --root, or --quiz and --key") from None


def run(args: argparse.Namespace) -> int:
    """`notalone knowledge-check`: write the report; 1 on a problem with the quiz, the key or the folders."""
    for folder in (args.before, args.after):
        if not folder.exists():
            print(f"notalone knowledge-check: {printable(folder)} does not exist", file=sys.stderr)
            return 1
    root = None if (args.quiz and args.key) else (args.root or _course_root(Path.cwd()))
    quiz = args.quiz or root / DEFAULT_QUIZ
    key = args.key or root / DEFAULT_KEY
    try:
        summary = summarize([args.before], [args.after], quiz, key)
    except ContentError as error:
        print(printable_lines(error), file=sys.stderr)
        return 1
    write_html(summary, args.out, args.language)
    print(f"wrote {printable(args.out)} ({summary.before_participants} before, {summary.after_participants} after)")
    if args.csv:
        write_csv(summary, args.csv, args.language)
        print(f"wrote {printable(args.csv)}")
    for name, reason in summary.skipped:
        print(f"skipped {printable(name)}: {printable(reason)}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = add_arguments(argparse.ArgumentParser(prog="notalone knowledge-check",
                                                   description="Anonymous before/after report of the knowledge check."))
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["Tally", "Row", "Summary", "load_key", "progress_files", "summarize", "skill_label", "chart_svg",
           "report_html", "write_html", "write_csv", "add_arguments", "run", "main"]
