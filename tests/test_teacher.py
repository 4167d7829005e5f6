"""The teacher's cycle with the `notalone` command: set up, students, release, collect, grade, feedback, report, demo."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from notalone.cli import main
from notalone.safe_text import printable
from notalone.teacher import REVIEW_FOLDER, CourseError, add_students, collect, gradebook, init_course

from nbgrader_harness import build_submission, load_specs
from test_safe_text import HOSTILE_FILE, HOSTILE_ID, RAW

ASSIGNMENT = "unit01-online-kidnapping"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
pytestmark = pytest.mark.nbgrader


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows(rows)
    return path


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course with three students and Unit 1 released."""
    root = tmp_path_factory.mktemp("teacher") / "course"
    assert main(["course", "init", str(root)]) == 0
    roster = write_csv(root.parent / "class.csv", [["id", "first_name", "last_name", "email"], ["lan01", "Lan", "Nguyễn", ""],
                                                    ["minh02", "Minh", "Trần", ""], ["an03", "An", "Lê", ""]])
    assert main(["students", "add", str(roster), "--course", str(root)]) == 0
    assert main(["release", ASSIGNMENT, "--course", str(root)]) == 0
    return root


def test_init_uses_nbgrader_layout_and_refuses_a_used_folder(course, capsys):
    assert (course / "nbgrader_config.py").exists() and (course / "gradebook.db").exists()
    assert (course / "release" / ASSIGNMENT / NOTEBOOK).exists()
    assert main(["course", "init", str(course)]) == 1
    assert "is not empty" in capsys.readouterr().err


def test_a_bad_class_list_names_each_line(course, tmp_path):
    bad = write_csv(tmp_path / "bad.csv", [["id", "first_name"], ["ok1", "A"], ["bad id", "B"], ["ok1", "C"]])
    with pytest.raises(CourseError) as caught:
        add_students(course, bad)
    message = str(caught.value)
    assert f"{bad}:3: id 'bad id' is not valid" in message and f"{bad}:4: id 'ok1' is already on line 2" in message
    headerless = write_csv(tmp_path / "none.csv", [["name"], ["x"]])
    with pytest.raises(CourseError, match=r"none.csv:1: expected a header row"):
        add_students(course, headerless)


def lms_download(course: Path, folder: Path) -> Path:
    """What an LMS gives a teacher: files named after students, one duplicate, one stranger, one late."""
    spec = load_specs()[ASSIGNMENT]["submissions"]
    folder.mkdir()
    for student, kind in (("lan01", "perfect"), ("minh02", "partial")):
        build_submission(course, ASSIGNMENT, f"tmp-{student}", spec[kind])
        built = course / "submitted" / f"tmp-{student}" / ASSIGNMENT
        shutil.copy(built / NOTEBOOK, folder / f"{student}_attempt_{NOTEBOOK}")
        shutil.copy(built / "notalone-progress.json", folder / f"{student}_notalone-progress.json")
        shutil.rmtree(course / "submitted" / f"tmp-{student}")
    old = folder / f"minh02_first_try_{NOTEBOOK}"
    shutil.copy(folder / f"minh02_attempt_{NOTEBOOK}", old)
    os.utime(old, (1_600_000_000, 1_600_000_000))
    (folder / f"stranger99_{NOTEBOOK}").write_text("{}", encoding="utf-8")
    late = datetime.now(timezone.utc).timestamp()
    os.utime(folder / f"lan01_attempt_{NOTEBOOK}", (late, late))
    return folder


def test_collect_from_a_folder_matches_names_and_reports_problems(course, tmp_path):
    download = lms_download(course, tmp_path / "lms")
    due = datetime.now(timezone.utc) - timedelta(hours=2)
    report = collect(course, ASSIGNMENT, download, due=due)
    assert sorted(report.collected) == ["lan01", "minh02"]
    assert report.collected["lan01"] == sorted([NOTEBOOK, "notalone-progress.json"])
    assert "lan01" in report.late and report.late["lan01"] >= 2 * 3600 - 60
    assert report.duplicates and report.duplicates[0][0] == "minh02" and "first_try" in report.duplicates[0][2]
    assert report.unknown == [f"stranger99_{NOTEBOOK}"]
    assert report.missing == ["an03"]
    assert (course / "submitted" / "lan01" / ASSIGNMENT / "timestamp.txt").exists()


def test_collect_takes_one_notebook_handed_in_on_its_own(course, fresh_course, tmp_path):
    """A one-file hand-in (the notebook downloaded from JupyterLite carries its choices) is collected as it is."""
    download = lms_download(course, tmp_path / "lms")
    single = tmp_path / f"minh02_{NOTEBOOK}"
    shutil.copy(download / f"minh02_attempt_{NOTEBOOK}", single)
    report = collect(fresh_course, ASSIGNMENT, single)
    assert report.collected == {"minh02": [NOTEBOOK]}
    assert (fresh_course / "submitted" / "minh02" / ASSIGNMENT / NOTEBOOK).read_bytes() == single.read_bytes()
    with pytest.raises(CourseError, match="expected a folder, a .zip file of notebooks, or one notebook"):
        collect(fresh_course, ASSIGNMENT, download / "minh02_notalone-progress.json")


def test_collect_from_a_zip_skips_unsafe_entries_and_keeps_replaced_work(course, tmp_path):
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"an03/{NOTEBOOK}", (course / "release" / ASSIGNMENT / NOTEBOOK).read_text(encoding="utf-8"))
        zf.writestr(f"../an03_{NOTEBOOK}", "{}")
    (course / "submitted" / "an03" / ASSIGNMENT).mkdir(parents=True, exist_ok=True)
    (course / "submitted" / "an03" / ASSIGNMENT / "old.txt").write_text("earlier")
    report = collect(course, ASSIGNMENT, archive)
    assert report.collected == {"an03": [NOTEBOOK]}
    assert report.skipped == [(f"../an03_{NOTEBOOK}", "unsafe path in the zip")]
    archived = list((course / "submitted" / "an03").glob(f"{ASSIGNMENT}.replaced-*"))
    assert archived and (archived[0] / "old.txt").read_text() == "earlier"


@pytest.fixture(scope="module")
def class_list_only(tmp_path_factory):
    """A course with its class list (lan01, minh02, an03) and nothing collected yet."""
    root = tmp_path_factory.mktemp("class-list") / "course"
    init_course(root)
    add_students(root, write_csv(root.parent / "class.csv", [["id"], ["lan01"], ["minh02"], ["an03"]]))
    return root


@pytest.fixture
def fresh_course(class_list_only, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(class_list_only, root)
    return root


OLDER, NEWER = 1_600_000_000, 1_700_000_000


def hand_in(path: Path, text: str, when: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, (when, when))
    return path


def test_a_newer_file_named_after_another_student_never_replaces_their_work(fresh_course, tmp_path):
    """In lan01's folder, a newer notebook named after minh02: it is kept aside; minh02's real, older one is collected."""
    download = tmp_path / "lms"
    hand_in(download / "minh02" / f"minh02_{NOTEBOOK}", "minh's real work", OLDER)
    hand_in(download / "lan01" / f"lan01_{NOTEBOOK}", "lan's work", OLDER)
    hand_in(download / "lan01" / f"minh02_{NOTEBOOK}", "written by lan", NEWER)
    report = collect(fresh_course, ASSIGNMENT, download)
    submitted = fresh_course / "submitted"
    assert (submitted / "minh02" / ASSIGNMENT / NOTEBOOK).read_text(encoding="utf-8") == "minh's real work"
    assert (submitted / "lan01" / ASSIGNMENT / NOTEBOOK).read_text(encoding="utf-8") == "lan's work"
    assert report.duplicates == [] and sorted(report.collected) == ["lan01", "minh02"]
    [(name, students, kept)] = report.ambiguous
    assert (name, students) == (f"lan01/minh02_{NOTEBOOK}", ["lan01", "minh02"])
    assert kept.read_text(encoding="utf-8") == "written by lan" and kept.stat().st_mtime == NEWER
    assert report.review in kept.parents and (fresh_course / REVIEW_FOLDER) in kept.parents
    assert (download / "lan01" / f"minh02_{NOTEBOOK}").exists(), "the download is left as it was"


def test_a_later_download_holding_only_the_other_file_leaves_the_collected_work(fresh_course, tmp_path):
    hand_in(tmp_path / "first" / "minh02" / NOTEBOOK, "minh's real work", OLDER)
    assert collect(fresh_course, ASSIGNMENT, tmp_path / "first").collected == {"minh02": [NOTEBOOK]}
    archive = tmp_path / "lan01.zip"  # one student's own zip names them, as their folder would
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"minh02_{NOTEBOOK}", "written by lan")
        zf.writestr(f"sub/minh02_{NOTEBOOK}", "also by lan")
    report = collect(fresh_course, ASSIGNMENT, archive)
    assert report.collected == {} and [(n, s) for n, s, _ in report.ambiguous] == [
        (f"minh02_{NOTEBOOK}", ["lan01", "minh02"]), (f"sub/minh02_{NOTEBOOK}", ["lan01", "minh02"])]
    assert (fresh_course / "submitted" / "minh02" / ASSIGNMENT / NOTEBOOK).read_text(encoding="utf-8") == "minh's real work"
    assert not list((fresh_course / "submitted" / "minh02").glob(f"{ASSIGNMENT}.replaced-*")), "nothing was archived away"
    assert sorted(kept.read_text(encoding="utf-8") for _, _, kept in report.ambiguous) == ["also by lan", "written by lan"]


def test_ambiguous_files_with_the_same_name_are_all_kept(fresh_course, tmp_path):
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # a duplicate name in the zip, on purpose
            zf.writestr(f"lan01/minh02_{NOTEBOOK}", "first")
            zf.writestr(f"lan01/minh02_{NOTEBOOK}", "second")
    report = collect(fresh_course, ASSIGNMENT, archive)
    kept = [path for _, _, path in report.ambiguous]
    assert len(set(kept)) == 2 and sorted(p.read_text(encoding="utf-8") for p in kept) == ["first", "second"]


def test_collect_tells_the_teacher_both_students_and_where_the_file_is(fresh_course, tmp_path, capsys):
    with gradebook(fresh_course) as gb:
        gb.update_or_create_student(HOSTILE_ID)  # an id nbgrader took from a folder name, not from our class list
    download = tmp_path / "lms"
    hand_in(download / "minh02" / NOTEBOOK, "minh's real work", OLDER)
    hand_in(download / "lan01" / f"minh02_{NOTEBOOK}", "written by lan", NEWER)
    hand_in(download / HOSTILE_FILE, "{}", OLDER)
    hand_in(download / "an03" / NOTEBOOK, "an's first try", OLDER)
    hand_in(download / "an03" / f"\u202egpj.{NOTEBOOK}", "an's work", NEWER)
    assert main(["collect", ASSIGNMENT, "--course", str(fresh_course), "--from", str(download)]) == 0
    out = capsys.readouterr().out
    assert not RAW.search(out.replace("\n", "")), out
    ambiguous = next(line for line in out.splitlines() if line.startswith("ambiguous:"))
    assert f"lan01/minh02_{NOTEBOOK}" in ambiguous and "lan01 and minh02" in ambiguous
    assert str(fresh_course / REVIEW_FOLDER / f"{ASSIGNMENT}-") in ambiguous and "collected for none of them" in ambiguous
    assert f"to decide: the ambiguous files are in {fresh_course / REVIEW_FOLDER}" in out
    assert f"unknown student: {printable(HOSTILE_FILE)} matches no student id" in out
    assert f"missing: {printable(HOSTILE_ID)} submitted nothing" in out
    assert f"duplicate: an03: kept an03/\\u202egpj.{NOTEBOOK} (newest)" in out
    assert "collected 2 submission(s)" in out


def test_collect_from_the_exchange(tmp_path):
    """Release to a JupyterHub-style exchange, a student fetches and submits, the teacher collects."""
    root = tmp_path / "course"
    init_course(root)
    exchange = tmp_path / "exchange"
    exchange.mkdir(mode=0o777)
    with open(root / "nbgrader_config.py", "a", encoding="utf-8") as stream:
        stream.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
    write_csv(tmp_path / "class.csv", [["id", "first_name", "last_name"], ["lan01", "Lan", "Nguyễn"]])
    add_students(root, tmp_path / "class.csv")
    assert main(["release", ASSIGNMENT, "--exchange", "--course", str(root)]) == 0
    student_home = tmp_path / "lan01"
    student_home.mkdir()
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
           "JUPYTER_CONFIG_DIR": str(tmp_path / "jcfg")}
    common = [f"--Exchange.root={exchange}", "--CourseDirectory.course_id=not-alone"]
    for step in (["fetch_assignment", ASSIGNMENT], ["submit", ASSIGNMENT]):
        result = subprocess.run([sys.executable, "-m", "nbgrader", *step, *common, "--student=lan01"], cwd=student_home,
                                env={**env, "USER": "lan01"}, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
    assert main(["collect", ASSIGNMENT, "--exchange", "--course", str(root)]) == 0
    assert (root / "submitted" / "lan01" / ASSIGNMENT / NOTEBOOK).exists()


def test_grade_feedback_and_report_from_the_command_line(course, tmp_path, capsys):
    assert main(["grade", ASSIGNMENT, "--course", str(course)]) == 0
    out = capsys.readouterr().out
    assert f"{ASSIGNMENT}: graded 3 of 3 submission(s)" in out
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="not-alone") as gb:
        assert gb.find_submission(ASSIGNMENT, "lan01").code_score == 13
        assert gb.find_submission(ASSIGNMENT, "minh02").code_score == 7
    assert main(["feedback", ASSIGNMENT, "--course", str(course)]) == 0
    assert (course / "feedback" / "lan01" / ASSIGNMENT / f"{ASSIGNMENT}.html").exists()
    assert main(["report", "--course", str(course), "--out", str(tmp_path / "report"), "--language", "vi"]) == 0
    page = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "Báo cáo lớp học" in page and "<svg" in page and "lan01" in page
    rows = list(csv.DictReader(open(tmp_path / "report" / "skills.csv", encoding="utf-8")))
    lan = {r["skill"]: float(r["percent"]) for r in rows if r["student"] == "lan01" and r["percent"]}
    assert lan["no-strangers"] == 100.0 and lan["python"] == 100.0
    minh = {r["skill"]: r for r in rows if r["student"] == "minh02"}
    assert float(minh["python"]["percent"]) < 100
    students = list(csv.DictReader(open(tmp_path / "report" / "students.csv", encoding="utf-8")))
    assert [s["student"] for s in students] == ["an03", "lan01", "minh02"]


def test_grading_refuses_without_a_sandbox_and_says_why(course, monkeypatch, capsys):
    import notalone.sandbox as sandbox

    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    assert main(["grade", ASSIGNMENT, "--course", str(course)]) == 2
    err = capsys.readouterr().err
    assert "refusing to grade without a sandbox" in err and "bubblewrap" in err.lower() and "--no-sandbox" in err


def test_grading_without_the_sandbox_gives_the_same_scores(course):
    """--no-sandbox (the teacher opted out) and the sandbox (tested from a normal account in test_isolation)."""
    import notalone.grader as grader

    outcomes = grader.grade(course, ASSIGNMENT, students=["lan01"], sandbox=False)
    assert outcomes[0].graded and not outcomes[0].flags
    outcomes = grader.grade(course, ASSIGNMENT, students=["minh02"])
    assert outcomes[0].graded and not outcomes[0].flags
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="not-alone") as gb:
        assert gb.find_submission(ASSIGNMENT, "lan01").code_score == 13
        assert gb.find_submission(ASSIGNMENT, "minh02").code_score == 7


def test_every_subcommand_has_help(capsys):
    for command in (["course", "init"], ["students", "add"], ["release"], ["collect"], ["grade"], ["feedback"], ["report"], ["demo"]):
        with pytest.raises(SystemExit) as exit_:
            main(command + ["--help"])
        assert exit_.value.code == 0
        assert "usage: notalone" in capsys.readouterr().out


def test_demo_runs_the_whole_cycle(tmp_path, capsys):
    folder = tmp_path / "demo"
    assert main(["demo", str(folder), "--students", "5"]) == 0
    out = capsys.readouterr().out
    assert "Demo class: 5 made-up students" in out and "under a wrong file name" in out
    page = (folder / "report" / "report.html").read_text(encoding="utf-8")
    assert "edited" in page
    # the notebook saved under a wrong name was filed under the right one when the demo collected the class
    assert (folder / "submitted" / "hs01" / "unit01-online-kidnapping" / "unit01-online-kidnapping.ipynb").exists()
    assert "Item analysis" in page and "Discrimination" in page
    items = (folder / "report" / "items.csv").read_text(encoding="utf-8").splitlines()
    assert items[0].startswith("assignment,notebook,grade_id,students,share_right,discrimination") and len(items) > 10
    graded = json.loads((folder / "notalone-grading.json").read_text(encoding="utf-8"))
    assert all(record["graded"] for students in graded.values() for record in students.values())
