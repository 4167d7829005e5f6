"""The anonymous before/after knowledge check: the student's widget, the teacher's summary, report and CSV."""

import csv
import json
import re
import shutil

import pytest

from notalone.knowledge_check import load_key, main, report_html, summarize, write_csv, write_html
from widgets import ContentError, load_quiz
from widgets.knowledge_check import load_knowledge_check, phase_quiz_id, show_knowledge_check
from widgets.progress import ProgressStore

from support import REPO

QUIZ = REPO / "lessons" / "knowledge-check" / "knowledge-check.quiz.yaml"
KEY = REPO / "assessments" / "knowledge-check-key.json"
RIGHT = {"video-call": ["game-chat-only"], "safe-to-share": ["favourite-character"], "surprise-or-secret": ["grandpa-cake"],
         "photo-threat": ["evidence-block-report-tell"], "police-call": ["never-secret"], "in-trouble": ["tell-adult"],
         "real-address": ["official"], "no-flags": ["still-risky"]}


def progress(path, **phases):
    """A progress file as the widget writes it, with answers for the given phases."""
    store = ProgressStore(path)
    for phase, answers in phases.items():
        store.save_quiz_answers(phase_quiz_id("knowledge-check", phase), answers)
    return path


@pytest.fixture
def class_folders(tmp_path):
    """Three students before (one right on everything, two on nothing), two after (one slip on urls)."""
    before, after = tmp_path / "before", tmp_path / "after"
    before.mkdir()
    after.mkdir()
    wrong = {"video-call": ["accept"], "safe-to-share": ["home-address"], "police-call": ["must-obey"]}
    progress(before / "a.json", before=RIGHT)
    progress(before / "b.json", before=wrong)
    progress(before / "c.json", before={**wrong, "no-flags": ["safe"]})
    progress(after / "a.json", before=RIGHT, after=RIGHT)  # one file may hold both phases
    progress(after / "b.json", after={**RIGHT, "real-address": ["lookalike-prefix"]})
    (after / "notes.json").write_text("{not json", encoding="utf-8")
    return before, after


# The files --------------------------------------------------------------------------
def test_the_quiz_holds_no_key_and_the_key_fits_it():
    text = QUIZ.read_text(encoding="utf-8")
    assert not re.search(r"^\s*(correct|explanation)\s*:", text, re.M), "the knowledge check must not hold its answer key"
    quiz = load_quiz(QUIZ)
    assert quiz.reveal == "in-feedback" and len(quiz.questions) == 8
    assert {q.rule for q in quiz.questions if q.rule} == {"no-strangers", "no-sharing", "no-secrets", "must-block-report",
                                                         "must-verify", "must-share"}
    key = load_key(KEY, quiz)
    assert {q: sorted(entry["answer"]) for q, entry in key.items()} == RIGHT
    assert {entry["skill"] for entry in key.values()} >= {"urls", "detection"}
    assert "source" not in KEY.parts, "the key is teacher-side: never under assessments/source/"


def test_before_and_after_notebooks_use_the_same_quiz_in_both_languages():
    for phase in ("before", "after"):
        for language in ("en", "vi"):
            notebook = json.loads((QUIZ.parent / f"{phase}.{language}.ipynb").read_text(encoding="utf-8"))
            code = "".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
            assert f'show_knowledge_check("knowledge-check.quiz.yaml", "{phase}")' in code
            assert f'use_language("{language}")' in code and "show_help_card()" in code
            assert "input(" not in code, "the check is anonymous: it never asks for a name"


@pytest.mark.parametrize("field, value, words", [
    ("quiz", "other-quiz", "the key is for quiz 'other-quiz'"),
    ("format", "v0", "expected a JSON object with"),
])
def test_a_wrong_key_is_reported(tmp_path, field, value, words):
    data = json.loads(KEY.read_text(encoding="utf-8"))
    data[field] = value
    broken = tmp_path / "key.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ContentError, match=words):
        load_key(broken, load_quiz(QUIZ))


def test_key_entries_are_checked_against_the_quiz(tmp_path):
    data = json.loads(KEY.read_text(encoding="utf-8"))
    data["questions"]["video-call"]["answer"] = ["no-such-option"]
    data["questions"]["safe-to-share"]["answer"] = ["favourite-character", "home-address"]
    data["questions"]["police-call"]["skill"] = "no-secrets"
    del data["questions"]["in-trouble"]
    data["questions"]["extra"] = {"answer": ["x"], "skill": "urls"}
    broken = tmp_path / "key.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_key(broken, load_quiz(QUIZ))
    where = {p.where for p in caught.value.problems}
    assert where == {"questions.video-call.answer", "questions.safe-to-share.answer", "questions.police-call.skill",
                     "questions.in-trouble", "questions.extra"}, str(caught.value)
    with pytest.raises(ContentError, match="teacher-side"):
        load_key(tmp_path / "missing.json", load_quiz(QUIZ))


# The student's side ------------------------------------------------------------------
def test_each_phase_is_saved_under_its_own_id_and_never_reveals(dummy_comm, in_tmp):
    before = show_knowledge_check(QUIZ, "before", language="en")
    assert before.model.quiz.id == "knowledge-check-before" and not before.model.reveals_answers
    before.select("video-call", "accept")
    assert before.submit("video-call") is None
    assert "Answer saved" in before._questions[0]._result.value and "game-chat-only" not in before._questions[0]._result.value
    after = show_knowledge_check(QUIZ, "after", language="vi")
    assert after.model.answer("video-call") == frozenset()  # the after check starts empty
    after.select("video-call", "game-chat-only")
    after.submit("video-call")
    saved = json.loads((in_tmp / "notalone-progress.json").read_text(encoding="utf-8"))
    assert saved["quizzes"]["knowledge-check-before"]["answers"] == {"video-call": ["accept"]}
    assert saved["quizzes"]["knowledge-check-after"]["answers"] == {"video-call": ["game-chat-only"]}
    assert set(saved) == {"format", "scenarios", "quizzes"}  # nothing about the student
    with pytest.raises(ValueError, match="unknown phase 'during'"):
        load_knowledge_check(QUIZ, "during")


def test_a_quiz_that_reveals_answers_is_not_a_knowledge_check():
    with pytest.raises(ContentError, match="must use reveal: in-feedback"):
        load_knowledge_check(REPO / "lessons" / "unit04-no-secrets" / "self-check.quiz.yaml", "before")


# The teacher's side ---------------------------------------------------------------------
def test_summarize_compares_before_and_after(class_folders):
    before, after = class_folders
    summary = summarize([before], [after], QUIZ, KEY)
    assert (summary.before_participants, summary.after_participants) == (3, 2)
    questions = {row.id: row for row in summary.questions}
    assert (questions["video-call"].before.correct, questions["video-call"].before.participants) == (1, 3)
    assert questions["video-call"].after.percent == 100.0
    assert questions["video-call"].change == pytest.approx(100 - 100 / 3)
    # c.json left most questions blank: a blank counts as not right, but not as answered.
    assert (questions["in-trouble"].before.correct, questions["in-trouble"].before.answered) == (1, 1)
    assert questions["real-address"].after.percent == 50.0
    skills = {row.id: row for row in summary.skills}
    assert [row.id for row in summary.skills][:6] == ["no-strangers", "no-sharing", "no-secrets", "must-block-report",
                                                       "must-verify", "must-share"]
    assert skills["urls"].after.correct == 1 and skills["detection"].before.percent == pytest.approx(100 / 3)
    assert ("notes.json", "not readable") == (summary.skipped[0][0], summary.skipped[0][1][:12])
    # b.json in the after folder has no "before" answers, and the before folder no "after" ones: nothing is mixed up.
    assert all(row.before.participants == 3 for row in summary.questions)


def test_the_key_is_found_next_to_the_course_by_default(class_folders, tmp_path):
    before, after = class_folders
    course = tmp_path / "course"
    (course / "lessons" / "knowledge-check").mkdir(parents=True)
    (course / "assessments").mkdir()
    shutil.copy(QUIZ, course / "lessons" / "knowledge-check")
    shutil.copy(KEY, course / "assessments")
    summary = summarize([before], [after], course / "lessons" / "knowledge-check" / QUIZ.name)
    assert summary.before_participants == 3


def test_the_report_is_self_contained_and_escaped(class_folders, tmp_path):
    before, after = class_folders
    hostile_quiz = tmp_path / "lessons" / "knowledge-check" / "knowledge-check.quiz.yaml"
    hostile_quiz.parent.mkdir(parents=True)
    hostile_quiz.write_text(QUIZ.read_text(encoding="utf-8").replace(
        "Which of these is OK to share", "<script>alert('x')</script> Which of these is OK to share"), encoding="utf-8")
    summary = summarize([before], [after], hostile_quiz, KEY)
    assert "&lt;script&gt;" in report_html(summary, "en")
    for language in ("en", "vi"):
        page = report_html(summary, language)
        assert "<script" not in page
        assert not re.search(r"\b(src|href)\s*=|<link|@import|url\(", page), "no external resources"
        assert page.count("<svg") == 1 and "<rect" in page
    assert "Knowledge check: before and after the course" in report_html(summary, "en")
    assert "Theo nguyên tắc và kỹ năng" in report_html(summary, "vi") and "Đọc hiểu URL và tên miền" in report_html(summary, "vi")
    out = write_html(summary, tmp_path / "report.html", "en")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_the_csv_has_a_row_per_skill_and_per_question_and_no_formulas(class_folders, tmp_path):
    before, after = class_folders
    summary = summarize([before], [after], QUIZ, KEY)
    summary.questions[0].prompt = {"en": "=HYPERLINK(\"http://bad.example\")", "vi": "x"}
    rows = list(csv.DictReader(write_csv(summary, tmp_path / "report.csv").open(encoding="utf-8")))
    assert [r["level"] for r in rows].count("skill") == 8 and [r["level"] for r in rows].count("question") == 8
    first_question = next(r for r in rows if r["level"] == "question")
    assert first_question["text"].startswith("'=")
    urls = next(r for r in rows if r["id"] == "urls")
    assert (urls["before_correct"], urls["before_total"], urls["after_percent"], urls["change_points"]) == ("1", "3", "50.0", "16.7")


def test_the_command_line_writes_the_report(class_folders, tmp_path, capsys):
    before, after = class_folders
    out, table = tmp_path / "out.html", tmp_path / "out.csv"
    assert main([str(before), str(after), "--out", str(out), "--csv", str(table), "--quiz", str(QUIZ), "--key", str(KEY),
                 "--language", "vi"]) == 0
    assert out.exists() and table.exists()
    captured = capsys.readouterr()
    assert "(3 before, 2 after)" in captured.out and "skipped notes.json" in captured.err
    assert main([str(tmp_path / "nowhere"), str(after), "--quiz", str(QUIZ), "--key", str(KEY)]) == 1
