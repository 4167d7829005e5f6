"""check(): plain typed data, strict comparison, and grade cells the grader can decide outside the kernel."""

from __future__ import annotations

import json

import nbformat
import pytest

from notalone import scoring
from widgets.checks import check, outcome_of, plain, same, shown, verdict


class EqualsAnything:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


class SneakyList(list):
    def __eq__(self, other):
        return True


@pytest.mark.parametrize("value", [None, True, 0, 1.5, "bí mật", b"\x00", [1, "a"], (1,), {"k": [1.0]}, {2, 1}, frozenset({"x"})])
def test_plain_values_round_trip_as_json_and_equal_themselves(value):
    encoded = json.loads(json.dumps(plain(value)))
    assert same(encoded, plain(value))


@pytest.mark.parametrize("actual, expected", [
    (1, 1.0), (1.0, 1), (True, 1), ([1], (1,)), ("1", 1), ({"a": 1}, {"a": 1.0}), ({1, 2}, [1, 2]),
    (EqualsAnything(), [1]), (SneakyList([1]), [2]), (SneakyList([1]), [1]), (None, []),
])
def test_types_are_compared_exactly_and_tricks_never_equal(actual, expected):
    assert not same(plain(actual), plain(expected))


def test_floats_compare_within_the_tolerance_only_when_asked():
    assert same(plain(0.1 + 0.2), plain(0.3), tol=1e-9)
    assert not same(plain(0.1 + 0.2), plain(0.3))
    assert same(plain((21.01470001, "N")), plain((21.0147, "N")), tol=1e-6)


def test_dict_order_does_not_matter_but_keys_and_values_do():
    assert same(plain({"b": 2, "a": 1}), plain({"a": 1, "b": 2}))
    assert not same(plain({"a": 1}), plain({"a": 1, "b": 2}))


def test_check_passes_and_fails_with_clear_messages():
    check(sorted, [3, 1], expect=[1, 3])
    check(int, "x", raises=ValueError)
    with pytest.raises(AssertionError, match=r"sorted\(\[3, 1\]\) returned \[1, 3\], expected \(1, 3\)\nUse a tuple"):
        check(sorted, [3, 1], expect=(1, 3), why="Use a tuple")
    with pytest.raises(AssertionError, match="expected it to raise ValueError"):
        check(int, "3", raises=ValueError)
    with pytest.raises(AssertionError, match="raised ZeroDivisionError"):
        check(lambda: 1 / 0, expect=1)


def test_an_outcome_is_plain_data_even_for_hostile_objects():
    outcome = outcome_of(lambda: EqualsAnything(), ())
    assert outcome["returned"][0] == "other"
    assert verdict(outcome, expect=[1], has_expect=True) is not None
    assert verdict(None, expect=[1], has_expect=True).startswith("no result")
    assert shown(plain({"a": (1, None)})) == "{'a': (1, None)}"


SOURCE_CELLS = [
    ("setup", "from widgets import play_scenario, show_quiz\nfrom widgets.checks import check"),
    ("scenario", 'chat = play_scenario("x.scenario.yaml", graded=True)\nchat'),
    ("quiz", 'quiz = show_quiz("x.quiz.yaml")'),
]


def source_notebook(tmp_path, graded: dict[str, str]):
    notebook = nbformat.v4.new_notebook()
    for grade_id, code in SOURCE_CELLS + list(graded.items()):
        cell = nbformat.v4.new_code_cell(code)
        cell.metadata["nbgrader"] = {"grade": grade_id in graded, "grade_id": grade_id, "locked": True, "points": 1,
                                     "schema_version": 3, "solution": False, "task": False}
        notebook.cells.append(cell)
    path = tmp_path / "a.ipynb"
    nbformat.write(notebook, path)
    return path


def test_the_plan_sends_no_expected_value_to_the_kernel(tmp_path):
    path = source_notebook(tmp_path, {
        "d1": '"""Decision 1."""\nchat.model.check_decision("d1")',
        "q1": 'quiz.model.check_answer("q1")',
        "code": ('check(f, "visible", expect=["seen-in-release"])\n### BEGIN HIDDEN TESTS\n'
                 'check(f, "hidden input", expect=["the-secret-expected-value"], why="a hint")\n'
                 'check(f, 22 / 7, expect=(22 / 30, -1), tol=1e-9)\ncheck(f, None, raises=TypeError)\n### END HIDDEN TESTS'),
    })
    plans = scoring.plan_notebook(path)
    assert (plans["d1"].kind, plans["d1"].content, plans["d1"].item) == ("decision", "x.scenario.yaml", "d1")
    assert (plans["q1"].kind, plans["q1"].content, plans["q1"].item) == ("answer", "x.quiz.yaml", "q1")
    code = plans["code"]
    assert [c.hidden for c in code.checks] == [False, True, True, True]
    assert code.checks[2].expect == (22 / 30, -1) and code.checks[3].raises == "TypeError"
    assert "the-secret-expected-value" not in code.kernel_source and "seen-in-release" not in code.kernel_source
    assert "hidden input" in code.kernel_source and "_notalone_probe(1, f, 'hidden input')" in code.kernel_source
    assert "check_decision" not in plans["d1"].kernel_source


@pytest.mark.parametrize("code, words", [
    ("assert f(1) == 2", "decides with check(...) calls only"),
    ("for x in [1]:\n    check(f, x, expect=1)", "top level"),
    ("check(f, 1, expect=g())", "must be a literal"),
    ("check(f, 1)", "exactly one of expect=, raises= or satisfies="),
    ("check(f, 1, expect=1, raises=ValueError)", "exactly one of"),
    ("check(f, 1, expected=1)", "no keyword 'expected'"),
    ("print(f(1))", "an autograded cell must be check(...) calls"),
    ('other.model.check_decision("d1")', "'other' is not set by"),
    ("check(f, 1, expect=1", "not valid Python"),
])
def test_a_cell_the_grader_cannot_decide_is_an_authoring_error_that_says_where(tmp_path, code, words):
    path = source_notebook(tmp_path, {"broken-cell": code})
    with pytest.raises(scoring.AuthoringError) as error:
        scoring.plan_notebook(path)
    assert "a.ipynb, cell 'broken-cell'" in str(error.value) and words in str(error.value)


def test_a_code_cell_without_hidden_check_is_reported(tmp_path):
    path = source_notebook(tmp_path, {"visible-only": "check(f, 1, expect=1)"})
    problems = scoring.authoring_problems(path)
    assert problems and "no hidden check" in problems[0]


def test_grading_stops_before_anyone_when_a_cell_cannot_be_decided(tmp_path, capsys):
    from notalone.cli import main

    course = tmp_path / "course"
    notebook = source_notebook(tmp_path, {"old-style": "assert f(1) == 2"})
    (course / "source" / "a1").mkdir(parents=True)
    notebook.rename(course / "source" / "a1" / "a.ipynb")
    (course / "submitted" / "student" / "a1").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    assert main(["grade", "a1", "--course", str(course), "--no-sandbox"]) == 2
    err = capsys.readouterr().err
    assert "nobody was graded" in err and "a.ipynb, cell 'old-style', line 1" in err
    assert not (course / "autograded").exists()


@pytest.mark.parametrize("code, flagged", [
    ("from widgets.red_flags import detect as d\ndef find_red_flags(m):\n    return d(m, {})", True),
    ("import widgets.red_flags as w\ndef find_red_flags(m):\n    return w.detect(m, {})", True),
    ("m = __import__('wid' 'gets.red_flags')", True),
    ("from widgets.red_flags import load_rules\nRULES = load_rules()", False),
    ("def find_red_flags(message):\n    return sorted({c for c, ws in T.items() if any(w in message for w in ws)})", False),
])
def test_a_solution_taken_from_the_course_library_is_flagged_for_the_teacher(code, flagged):
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(code)
    cell.metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False, "grade_id": "s"}
    notebook.cells = [cell, nbformat.v4.new_code_cell("x = 1")]
    found = scoring.borrowed_from_the_course(notebook, frozenset({"load_rules"}))
    assert bool(found) == flagged, found
