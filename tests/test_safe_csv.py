"""Every CSV `notalone` writes opens in a spreadsheet as data: no cell is run as a formula."""

from __future__ import annotations

import csv
import json

import pytest

from notalone.safe_csv import spreadsheet_cell, write_rows
from notalone.safe_text import printable

from page_checks import active_content
from test_safe_text import HOSTILE_FILE, HOSTILE_ID, RAW

FORMULAS = ['=HYPERLINK("http://evil.example")', "-2+3", "+1+1", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def read(path):
    with open(path, newline="", encoding="utf-8") as stream:
        return list(csv.reader(stream))


def assert_no_formula(rows):
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_START), f"a spreadsheet would run {cell!r}"
            assert not RAW.search(cell), f"a control character in {cell!r}"


@pytest.mark.parametrize("text", FORMULAS)
def test_a_cell_that_looks_like_a_formula_gets_a_quote(text):
    cell = spreadsheet_cell(text)
    assert cell.startswith("'") and not RAW.search(cell)


def test_numbers_and_plain_text_are_unchanged():
    assert [spreadsheet_cell(v) for v in (3, 12.5, 0.0, -16.7, None, True, "hs01", "50.0", "Nguyễn Lan", "a-b")] == \
           [3, 12.5, 0.0, -16.7, "", True, "hs01", "50.0", "Nguyễn Lan", "a-b"]


def test_write_rows_neutralises_header_and_cells(tmp_path):
    rows = read(write_rows(tmp_path / "t.csv", ["=name", "score"], [[text, 1.5] for text in FORMULAS]))
    assert_no_formula(rows)
    assert rows[1] == ["'=HYPERLINK(\"http://evil.example\")", "1.5"] and rows[2][0] == "'-2+3"


@pytest.fixture
def hostile_class(tmp_path, monkeypatch):
    """A course whose gradebook holds students, an assignment and a skill named like formulas and terminal tricks."""
    import notalone.report as report

    assignment, students = "=cmd|' /C calc'!A0", [*FORMULAS, HOSTILE_ID]
    results = [report.CellResult(student, assignment, "unit01", grade_id, skill, score, 1.0)
               for student in students
               for grade_id, skill, score in (("-decision", "no-secrets", 1.0), ("@check", "=evil-skill", 0.0))]
    monkeypatch.setattr(report, "collect_results", lambda root: results)
    monkeypatch.setattr(report, "autograded_keys", lambda root: {(assignment, "unit01", "-decision"), (assignment, "unit01", "@check")})
    flags = {student: {"flags": [{"kind": "invalid", "reason": f"{HOSTILE_FILE} is not part of this assignment: ignored"}]}
             for student in students}
    (tmp_path / "notalone-grading.json").write_text(json.dumps({assignment: flags}), encoding="utf-8")
    return tmp_path


def test_the_class_report_csvs_hold_no_formula(hostile_class):
    from notalone.report import write_report

    page, *tables = write_report(hostile_class, hostile_class / "report")
    for table in tables:
        rows = read(table)
        assert len(rows) > 1, table
        assert_no_formula(rows)
    skills = read(hostile_class / "report" / "skills.csv")
    assert ["'-2+3", "'=cmd|' /C calc'!A0", "no-secrets"] in [row[:3] for row in skills]
    assert any(r[0] == "'=HYPERLINK(\"http://evil.example\")" and r[4] == "1.0" and r[6] == "100.0" for r in skills)
    assert any(r[0] == printable(HOSTILE_ID) for r in skills)
    students = read(hostile_class / "report" / "students.csv")
    assert students[0] == ["student", "no-secrets", "'=evil-skill"] and ["'-2+3", "100.0", "0.0"] in students
    items = read(hostile_class / "report" / "items.csv")
    assert {row[2] for row in items[1:]} == {"'-decision", "'@check"}


def test_the_class_report_page_shows_hostile_names_escaped_and_inert(hostile_class):
    from notalone.report import write_report

    page = write_report(hostile_class, hostile_class / "report")[0].read_text(encoding="utf-8")
    assert active_content(page) == []
    assert not RAW.search(page.replace("\n", ""))
    assert printable(HOSTILE_ID) in page and printable(HOSTILE_FILE) in page
    assert "<td>=HYPERLINK(\"http://evil.example\")</td>" in page, "on the page the id is shown as it is, as text"


def test_the_knowledge_check_csv_holds_no_formula(tmp_path):
    from notalone.knowledge_check import summarize, write_csv
    from test_knowledge_check import KEY, QUIZ, RIGHT, progress

    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    progress(tmp_path / "before" / "a.json", before={**RIGHT, "video-call": ["accept"]})
    progress(tmp_path / "after" / "a.json", after=RIGHT)
    summary = summarize([tmp_path / "before"], [tmp_path / "after"], QUIZ, KEY)
    for row, text in zip(summary.questions, FORMULAS):
        row.prompt = {"en": text, "vi": text}
    rows = read(write_csv(summary, tmp_path / "kc.csv"))
    assert_no_formula([row[:10] for row in rows])  # change_points is a number and may be negative
    assert [row[3] for row in rows if row[0] == "question"][:2] == ["'=HYPERLINK(\"http://evil.example\")", "'-2+3"]
    video = next(row for row in rows if row[1] == "video-call")
    assert video[4:] == ["0", "1", "0.0", "1", "1", "100.0", "100.0"], "numbers stay numbers"


def test_the_demo_class_list_holds_no_formula(tmp_path, monkeypatch):
    import notalone.demo as demo

    people = [{"id": f"hs{n:02d}", "first_name": text, "last_name": text} for n, text in enumerate(FORMULAS, 1)]
    monkeypatch.setattr(demo, "init_course", lambda root: [])
    monkeypatch.setattr(demo, "make_students", lambda count, rng: people)
    monkeypatch.setattr(demo, "add_students", lambda root, path: [])
    demo.build_class(tmp_path, students=len(people))
    rows = read(tmp_path / "students.csv")
    assert_no_formula(rows)
    assert rows[1] == ["hs01", "'=HYPERLINK(\"http://evil.example\")", "'=HYPERLINK(\"http://evil.example\")", ""]
