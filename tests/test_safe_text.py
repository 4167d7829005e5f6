"""Names and ids with control, format or bidi characters are shown escaped in everything `notalone` prints."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from notalone.cli import main
from notalone.safe_text import printable, printable_lines

# What must never reach a terminal (or a page, or a CSV) raw: C0/C1 controls, DEL, bidi overrides and isolates,
# other format characters (zero width, BOM), line and paragraph separators.
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
HOSTILE_FILE = "a\x1b[2J\rb.ipynb"
HOSTILE_ID = "lan\r\x1b]0;title\x07"
DISGUISED = "evil\u202egpj.ipynb"


def test_printable_escapes_controls_and_disguises():
    assert printable(HOSTILE_FILE) == "a\\x1b[2J\\x0db.ipynb"
    assert printable(HOSTILE_ID) == "lan\\x0d\\x1b]0;title\\x07"
    assert printable(DISGUISED) == "evil\\u202egpj.ipynb"
    for character in "\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200b\u200e\ufeff\u2028\x85\x9b\t\n\x7f":
        assert not RAW.search(printable(f"x{character}y")), repr(character)
    assert printable("\U000e0001") == "\\U000e0001"


def test_printable_keeps_ordinary_text():
    for text in ("lan01_unit01-online-kidnapping (1).ipynb", "Nguyễn Thị Lan", "Trần Minh 🙂", "C:\\Users\\lan\\bài 1.ipynb"):
        assert printable(text) == text
    assert printable(printable(HOSTILE_FILE)) == printable(HOSTILE_FILE), "escaping twice changes nothing"


def test_printable_lines_keeps_the_lines():
    assert printable_lines(f"first {HOSTILE_FILE}\nsecond") == "first a\\x1b[2J\\x0db.ipynb\nsecond"


@dataclass
class FakeFlag:
    kind: str
    reason: str
    notebook: str = ""


@dataclass
class FakeOutcome:
    student: str
    assignment: str
    graded: bool
    seconds: float
    flags: list = field(default_factory=list)
    log: str = ""


def test_grade_shows_ids_and_reasons_escaped_in_every_line(tmp_path, monkeypatch, capsys):
    import notalone.cli as cli
    import notalone.grader as grader

    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")

    def fake_grade(root, assignments, *, progress=None, announce=None, **options):
        from notalone.sandbox import Mechanism

        announce([Mechanism("cgroup", False, f"no cgroup for {HOSTILE_ID}", "grade as root")])
        outcome = FakeOutcome(HOSTILE_ID, assignments[0], True, 0.5,
                              [FakeFlag("invalid", f"{HOSTILE_FILE} is not part of this assignment: ignored"),
                               FakeFlag("repaired", f"{DISGUISED} was graded as unit01.ipynb (wrong file name)")])
        progress(1, 1, outcome)
        return {assignments[0]: [outcome]}

    monkeypatch.setattr(grader, "grade_assignments", fake_grade)
    assert main(["grade", "unit01", "--course", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert not RAW.search(out.replace("\n", "")) and not RAW.search(err.replace("\n", "")), (out, err)
    assert f"unit01: {printable(HOSTILE_ID)}: invalid: {printable(HOSTILE_FILE)} is not part" in out
    assert printable(DISGUISED) in out
    assert printable(HOSTILE_ID) in err, "the progress line shows the id escaped"


def test_knowledge_check_names_skipped_files_escaped(tmp_path, capsys):
    from test_knowledge_check import KEY, QUIZ, RIGHT, progress

    before, after = tmp_path / "before", tmp_path / "after"
    before.mkdir()
    after.mkdir()
    progress(before / "a.json", before=RIGHT)
    progress(after / "a.json", after=RIGHT)
    (after / f"{HOSTILE_FILE}.json").write_text("{not json", encoding="utf-8")
    (after / f"{DISGUISED}.json").write_text("{}", encoding="utf-8")
    out_page = tmp_path / "report.html"
    assert main(["knowledge-check", str(before), str(after), "--quiz", str(QUIZ), "--key", str(KEY), "--out", str(out_page)]) == 0
    out, err = capsys.readouterr()
    assert not RAW.search(out.replace("\n", "")) and not RAW.search(err.replace("\n", ""))
    assert f"skipped {printable(HOSTILE_FILE)}.json: not readable" in err and f"skipped {printable(DISGUISED)}.json" in err
    page = out_page.read_text(encoding="utf-8")
    assert not RAW.search(page.replace("\n", "")) and printable(HOSTILE_FILE) in page


@pytest.mark.parametrize("command", [["release", HOSTILE_FILE], ["feedback", HOSTILE_FILE]])
def test_a_course_folder_that_is_not_one_is_named_escaped(tmp_path, command, capsys):
    folder = tmp_path / HOSTILE_ID
    folder.mkdir()
    with pytest.raises(SystemExit) as stopped:
        main(command + ["--course", str(folder)])
    assert printable(HOSTILE_ID) in str(stopped.value.code) and not RAW.search(str(stopped.value.code))
