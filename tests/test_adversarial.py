"""Hostile and broken submissions: each ends scored correctly or flagged with a clear reason.

One course (Unit 1) is graded once with `notalone grade` (sandbox on, tight limits). Every case
is a submission built from the perfect one with one thing done to it; the expectations say what
the score must be, which flag must appear, and what must not have happened on the teacher's side.
A perfect "canary" student is graded in the same batch and must be untouched by the others.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path

import nbformat
import pytest

from nbgrader_harness import build_submission, copy_course, load_specs, nbgrader
from page_checks import active_content, links_without_rel, markup

ASSIGNMENT = "unit01-online-kidnapping"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
SPEC = load_specs()[ASSIGNMENT]["submissions"]
PERFECT_TOTAL = 13.0
CODE_CELLS = ("red-flags-types", "red-flags-hidden")
SECRET = "notalone-test-secret-value"
MARKER = "notalone-orphan-marker-7731"
pytestmark = pytest.mark.nbgrader


def solution_cell(notebook):
    return next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "red-flags-solution")


def grade_cell(notebook, grade_id):
    return next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def prepend_to_solution(code):
    """The student's answer starts with `code`, then the correct solution."""
    def change(notebook, folder, course):
        cell = solution_cell(notebook)
        cell.source = code.format(course=course, folder=folder) + "\n\n" + cell.source
    return change


def probe(expression):
    """Run `expression`; print BLOCKED if it raises, LEAKED if it works."""
    return ("try:\n    __probe = (" + expression + ")\n    print('LEAKED', str(__probe)[:80])\n"
            "except Exception as error:\n    print('BLOCKED', type(error).__name__)")


def edit_test(notebook, folder, course):
    grade_cell(notebook, "red-flags-types").source = '"""Edited."""\npass'


def delete_test(notebook, folder, course):
    notebook.cells.remove(grade_cell(notebook, "red-flags-types"))


def duplicate_test(notebook, folder, course):
    cell = grade_cell(notebook, "red-flags-types")
    copy = nbformat.from_dict(json.loads(json.dumps(cell)))
    copy.source = '"""Copy."""\nassert False'
    notebook.cells.insert(notebook.cells.index(cell) + 1, copy)


def convert_test(notebook, folder, course):
    cell = grade_cell(notebook, "red-flags-types")
    index = notebook.cells.index(cell)
    markdown = nbformat.v4.new_markdown_cell(cell.source)
    markdown.metadata = cell.metadata
    notebook.cells[index] = markdown


def inflate_points(notebook, folder, course):
    grade_cell(notebook, "red-flags-hidden").metadata.nbgrader["points"] = 100


def rename_grade_id(notebook, folder, course):
    grade_cell(notebook, "red-flags-types").metadata.nbgrader["grade_id"] = "my-own-test"


# Markup a student can write in a Markdown answer; none of it may run or load anything from a feedback page.
HOSTILE_MARKDOWN = """[x](javascript:alert(1)) ![pixel](https://evil.example/pixel.png)

<img src="https://evil.example/x.png"> <img src=x onerror=alert(1)> <style>@import url(https://evil.example/a.css)</style>
<svg><script>alert(1)</script></svg> <a href="  JaVaScRiPt:alert(1)">a</a> <a href="java&#x09;script:alert(1)">b</a>
<iframe src="https://evil.example/frame"></iframe> <meta http-equiv="refresh" content="0;url=https://evil.example">
<div style="background:url(https://evil.example/a.png)">styled</div>"""


def xss(notebook, folder, course):
    grade_cell(notebook, "reflection").source = ('<script>alert("x")</script><img src=x onerror="alert(1)"> '
                                                  'Tell a trusted adult.\n\n' + HOSTILE_MARKDOWN)
    cell = solution_cell(notebook)
    cell.source += ("\n\nfrom IPython.display import HTML, Javascript, display\n"
                    "display(HTML('<b>hi</b><script>alert(2)</script><img src=\"https://evil.example/out.png\">'))\n"
                    "display(Javascript('alert(3)'))")
    # Files handed in with the notebook travel to the feedback folder: a page, and an SVG a browser would run.
    (folder / "notes.html").write_text(f"<html><head><script>alert(4)</script></head><body>{HOSTILE_MARKDOWN}</body></html>",
                                       encoding="utf-8")
    (folder / "drawing.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(5)"></svg>', encoding="utf-8")


def slow_cells(notebook, folder, course):
    """Extra cells of the student's own, each under the cell limit, together over the notebook limit."""
    index = notebook.cells.index(solution_cell(notebook)) + 1
    for _ in range(6):
        notebook.cells.insert(index, nbformat.v4.new_code_cell("import time\ntime.sleep(2.5)"))


def broken_json(notebook, folder, course):
    (folder / NOTEBOOK).write_text('{"cells": [ this is not json', encoding="utf-8")
    return "written"


def huge_notebook(notebook, folder, course):
    notebook.cells.append(nbformat.v4.new_markdown_cell("x" * (3 * 2**20)))
    nbformat.write(notebook, folder / NOTEBOOK)
    return "written"


def wrong_name(notebook, folder, course):
    nbformat.write(notebook, folder / "Unit 1 - final (1).ipynb")
    (folder / NOTEBOOK).unlink(missing_ok=True)
    return "written"


def symlink_progress(notebook, folder, course):
    nbformat.write(notebook, folder / NOTEBOOK)
    (folder / "notalone-progress.json").unlink()
    os.symlink(course / "source" / ASSIGNMENT / "notalone-answer-key.json", folder / "notalone-progress.json")
    return "written"


# name -> (change, expected total, expected flag words or None, expected output words in the solution cell or None)
CASES = {
    # Sandbox: nothing outside the kernel's own folder, no network, nothing left running.
    "network": (prepend_to_solution(probe("__import__('socket').create_connection(('127.0.0.1', {folder.port}), timeout=2)")
                                    + "\n" + probe("__import__('socket').create_connection(('1.1.1.1', 80), timeout=2)")),
                PERFECT_TOTAL, None, "BLOCKED"),
    "read-gradebook": (prepend_to_solution(probe("open('{course}/gradebook.db', 'rb').read(100)")), PERFECT_TOTAL, None, "BLOCKED"),
    "read-source": (prepend_to_solution(probe(f"open('{{course}}/source/{ASSIGNMENT}/{NOTEBOOK}').read()")), PERFECT_TOTAL, None, "BLOCKED"),
    "read-answer-key": (prepend_to_solution(probe(f"open('{{course}}/source/{ASSIGNMENT}/notalone-answer-key.json').read()")),
                        PERFECT_TOTAL, None, "BLOCKED"),
    "read-other-student": (prepend_to_solution(probe(f"open('{{course}}/submitted/canary/{ASSIGNMENT}/{NOTEBOOK}').read()")),
                           PERFECT_TOTAL, None, "BLOCKED"),
    "read-home": (prepend_to_solution(probe("open(__import__('os').path.expanduser('~root/.bashrc')).read()")), PERFECT_TOTAL, None, "BLOCKED"),
    "read-environment": (prepend_to_solution(probe("__import__('os').environ['NOTALONE_TEST_SECRET']")), PERFECT_TOTAL, None, "BLOCKED"),
    "write-outside": (prepend_to_solution(probe("open('{course}/hacked.txt', 'w').write('x')")), PERFECT_TOTAL, None, "BLOCKED"),
    "orphan-process": (prepend_to_solution(f"import subprocess\nsubprocess.Popen(['sleep', '300', '{MARKER}'], start_new_session=True)"),
                       PERFECT_TOTAL, None, None),
    # Limits: each is hit, flagged with its reason, and costs only what it stopped.
    "infinite-loop": (prepend_to_solution("while True:\n    pass"), PERFECT_TOTAL - 5, "cell time limit", None),
    "notebook-too-slow": (slow_cells, None, "notebook time limit", None),
    "memory-hog": (prepend_to_solution("hog = bytearray(3 * 2**30)"), PERFECT_TOTAL - 5, "memory limit", None),
    "process-bomb": (prepend_to_solution("import subprocess\nkids = [subprocess.Popen(['sleep', '30']) for _ in range(200)]"),
                     PERFECT_TOTAL - 5, "process limit", None),
    "text-flood": (prepend_to_solution("for _ in range(200000):\n    print('spam ' * 20)"), None, "output limit", None),
    "image-flood": (prepend_to_solution("from IPython.display import Image, display\nimport base64\n"
                                        "png = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==')\n"
                                        "for _ in range(20000):\n    display(Image(png * 20))"), None, "output limit", None),
    "kernel-exit": (prepend_to_solution("import os\nos._exit(0)"), PERFECT_TOTAL - 5, "kernel stopped", None),
    # Tampering: repaired and scored as if untouched, or not graded, always flagged.
    "edited-test": (edit_test, PERFECT_TOTAL, "was edited", None),
    "deleted-test": (delete_test, PERFECT_TOTAL, "was put back", None),
    "duplicated-test": (duplicate_test, PERFECT_TOTAL, "duplicated cell", None),
    "converted-test": (convert_test, PERFECT_TOTAL, "restored from the source", None),
    "inflated-points": (inflate_points, PERFECT_TOTAL, "grading metadata", None),
    "renamed-grade-id": (rename_grade_id, PERFECT_TOTAL, "unknown grade_id", None),
    "broken-json": (broken_json, 0.0, "not a valid notebook", None),
    "oversized": (huge_notebook, 0.0, "limit 1 MB", None),
    "wrong-file-name": (wrong_name, PERFECT_TOTAL, "wrong file name", None),
    "symlinked-progress": (symlink_progress, PERFECT_TOTAL - 8, "is a link", None),
    # Fairness: a correct answer that writes to stderr keeps its points.
    "stderr-and-warnings": (prepend_to_solution("import sys, warnings\nsys.stderr.write('debug\\n')\n"
                                                "_original = None"), PERFECT_TOTAL, None, None),
    # Safe artifacts: scripts from a submission never reach feedback or reports.
    "script-injection": (xss, PERFECT_TOTAL, None, None),
}


class ListeningServer:
    """A TCP server on the teacher's loopback that counts connections (none may arrive)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port, self.connections, self.running = self.sock.getsockname()[1], 0, True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while self.running:
            try:
                connection, _ = self.sock.accept()
                self.connections += 1
                connection.close()
            except OSError:
                pass

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()


class Folder(type(Path())):
    port = 0


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    import notalone.grader as grader
    from notalone.sandbox import Limits

    course = copy_course(tmp_path_factory.mktemp("adversarial")).resolve()
    nbgrader(course, "db", "assignment", "add", ASSIGNMENT)
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    server = ListeningServer()
    build_submission(course, ASSIGNMENT, "canary", SPEC["perfect"])
    for name, (change, *_rest) in CASES.items():
        build_submission(course, ASSIGNMENT, name, SPEC["perfect"])
        folder = Folder(course / "submitted" / name / ASSIGNMENT)
        folder.port = server.port
        notebook = nbformat.read(folder / NOTEBOOK, as_version=4)
        if change(notebook, folder, course) != "written":
            nbformat.write(notebook, folder / NOTEBOOK)
    # The stderr case calls warnings from inside the graded function: patch its body to warn on every call.
    path = course / "submitted" / "stderr-and-warnings" / ASSIGNMENT / NOTEBOOK
    notebook = nbformat.read(path, as_version=4)
    cell = solution_cell(notebook)
    signature = "def find_red_flags(message: str) -> list[str]:\n"
    assert signature in cell.source
    cell.source = cell.source.replace(signature, signature + "    warnings.warn('checking'); print('checking', file=sys.stderr)\n", 1)
    nbformat.write(notebook, path)

    old_limit = grader.MAX_NOTEBOOK_MB
    grader.MAX_NOTEBOOK_MB = 1
    os.environ["NOTALONE_TEST_SECRET"] = SECRET
    try:
        outcomes = grader.grade(course, ASSIGNMENT, workers=2, limits=Limits(cell_seconds=3, notebook_seconds=12, memory_mb=1024,
                                                                               processes=32, output_kb=512))
    finally:
        grader.MAX_NOTEBOOK_MB = old_limit
        os.environ.pop("NOTALONE_TEST_SECRET", None)
        server.close()
    return course, {o.student: o for o in outcomes}, server


def total(course, student):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="not-alone") as gb:
        try:
            return gb.find_submission(ASSIGNMENT, student).code_score
        except Exception:  # noqa: BLE001 - missing submission
            return None


def solution_output(course, student):
    path = course / "autograded" / student / ASSIGNMENT / NOTEBOOK
    notebook = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for o in solution_cell(notebook).outputs)


def test_the_corpus_has_at_least_twenty_cases():
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_case_is_scored_correctly_or_flagged(graded, case):
    course, outcomes, _server = graded
    _change, expected_total, flag_words, output_words = CASES[case]
    outcome = outcomes[case]
    reasons = " | ".join(f.reason for f in outcome.flags)
    if flag_words:
        assert flag_words in reasons, f"expected a flag about {flag_words!r}, got: {reasons or 'no flag'}"
    else:
        assert not outcome.flags, f"unexpected flags: {reasons}"
    if expected_total is not None:
        score = total(course, case) or 0.0
        assert score == expected_total, f"{case}: score {score}, expected {expected_total}; flags: {reasons}"
    else:
        assert (total(course, case) or 0.0) < PERFECT_TOTAL, "a stopped notebook cannot keep the points of what did not run"
    if output_words:
        output = solution_output(course, case)
        assert output_words in output and "LEAKED" not in output, output


def test_the_canary_is_untouched_by_the_others(graded):
    course, outcomes, _ = graded
    assert not outcomes["canary"].flags
    assert total(course, "canary") == PERFECT_TOTAL


def test_nothing_reached_the_teachers_side(graded):
    course, _, server = graded
    assert server.connections == 0, "a kernel reached a server on the teacher's loopback"
    assert not (course / "hacked.txt").exists()
    leftovers = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if MARKER in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    leftovers.append(entry.name)
            except OSError:
                pass
    assert not leftovers, f"processes outlived their notebook: {leftovers}"


def test_the_stderr_case_is_decided_by_its_values_not_its_output(graded):
    course, _, _ = graded
    notebook = nbformat.read(course / "autograded" / "stderr-and-warnings" / ASSIGNMENT / NOTEBOOK, as_version=4)
    outputs = grade_cell(notebook, "red-flags-types").outputs
    assert [o.output_type for o in outputs] == ["display_data"], outputs
    assert "checks passed" in outputs[0].data["text/plain"], "the grader's verdict replaces what the kernel printed (stderr included)"


def test_feedback_and_report_carry_no_script(graded, tmp_path):
    from notalone.feedback import generate_feedback
    from notalone.report import write_report

    course, _, _ = graded
    shown = nbformat.read(course / "autograded" / "script-injection" / ASSIGNMENT / NOTEBOOK, as_version=4)
    rendered = json.dumps([c.source for c in shown.cells if c.cell_type == "markdown"] +
                          [o for c in shown.cells if c.cell_type == "code" for o in c.outputs])
    assert "onerror" not in rendered and "<script" not in rendered, "formgrader would render a student's script for the teacher"
    result = generate_feedback(course, ASSIGNMENT, "script-injection")
    assert result["success"], result
    page = (course / "feedback" / "script-injection" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text(encoding="utf-8")
    import re

    assert not re.search(r"<script[^>]*>[^<]*alert", page), "a student's script reached the feedback page"
    assert "onerror=" not in page
    assert "Tell a trusted adult." in page and "styled" in page, "the student's answer is still shown"
    assert "Score:" in page and "red-flags-types" in page, "the scores and the cells are still shown"
    assert active_content(page) == [], "the feedback page runs or loads something"
    assert links_without_rel(page) == []
    assert set(re.findall(r'([\w-]+)="[^"]*evil\.example', markup(page))) <= {"href"}, "only as a link the reader may follow"
    assert "cdnjs" not in page and "mathjax" not in markup(page).lower()
    folder = course / "feedback" / "script-injection" / ASSIGNMENT
    assert active_content((folder / "notes.html").read_text(encoding="utf-8")) == [], "a page handed in is made safe too"
    assert not (folder / "drawing.svg").exists(), "an SVG handed in could run a script when opened"
    paths = write_report(course, tmp_path / "report")
    report = paths[0].read_text(encoding="utf-8")
    assert "<script" not in report.lower() and "onerror" not in report
    assert active_content(report) == []


def test_feedback_never_shows_hidden_test_source(graded):
    from notalone.feedback import generate_feedback

    course, _, _ = graded
    build = nbformat.read(course / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    hidden = grade_cell(build, "red-flags-hidden").source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
    assert generate_feedback(course, ASSIGNMENT, "infinite-loop")["success"]
    page = next((course / "feedback" / "infinite-loop" / ASSIGNMENT).glob("*.html")).read_text(encoding="utf-8")
    import html as html_module

    text = html_module.unescape(page)
    for line in (line.strip() for line in hidden.splitlines()):
        if len(line) > 15:
            assert line not in text, f"hidden test line in feedback: {line!r}"
    assert "hidden tests: their code is not shown" in text
