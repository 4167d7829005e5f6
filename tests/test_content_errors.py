"""Malformed content files get errors that name the file, the place (field path and line) and what was expected."""

import pytest

from widgets import ContentError, load_quiz, load_scenario

from support import FIXTURES

TINY = (FIXTURES / "tiny.scenario.yaml").read_text(encoding="utf-8")
TINY_QUIZ = (FIXTURES / "tiny.quiz.yaml").read_text(encoding="utf-8")


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line number of the n-th line containing `needle`."""
    hits = [number for number, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


def broken(tmp_path, source: str, old: str, new: str, name="broken.scenario.yaml"):
    assert old in source, f"test setup: {old!r} not in fixture"
    text = source.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path, text


SCENARIO_CASES = {
    # name: (old, new, expected field path, line anchor in the broken text, expected words)
    "yaml-syntax": ("      rule: no-strangers", "      rule: [no-strangers", None, None, "while parsing a flow sequence that starts on line 15"),
    "missing-field": ("start: hello\n", "", None, None, "'start' is a required property"),
    "wrong-type": ("          safe: true\n          feedback: {en: \"Good", "          safe: yes please\n          feedback: {en: \"Good",
                   "nodes.hello.decision.options[0].safe", "safe: yes please", "expected boolean"),
    "unknown-field": ("  avatar: \"🙂\"", "  avatar: \"🙂\"\n  photo: me.jpg", "contact.photo", "photo: me.jpg", "expected only: avatar, name, platform"),
    "bad-identifier": ("        - id: stay", "        - id: Stay Here", "nodes.hello.decision.options[0].id", "id: Stay Here", "lower-case words joined by hyphens"),
    "bad-outcome": ("outcome: safe", "outcome: great", "nodes.safe-end.ending.outcome", "outcome: great", "not one of: safe, helped, at-risk"),
    "dangling-next": ("          next: safe-end", "          next: nowhere", "nodes.later.decision.options[0].next", "next: nowhere",
                      "'nowhere' is not a node in this scenario"),
    "bad-start": ("start: hello", "start: hi", "start", "start: hi", "'hi' is not a node"),
    "unknown-rule": ("rule: no-secrets", "rule: no-lies", "nodes.later.decision.rule", "rule: no-lies", "unknown rule 'no-lies'"),
    "missing-translation": ("      prompt: {en: \"What now?\", vi: \"Giờ thì sao?\"}", "      prompt: {en: \"What now?\"}",
                            "nodes.later.decision.prompt", "prompt: {en: \"What now?\"}", "missing the 'vi' translation"),
    "unknown-language": ("title: {en: \"Tiny\", vi: \"Nhỏ\"}", "title: {en: \"Tiny\", vi: \"Nhỏ\", fr: \"Petit\"}", "title.fr", "fr: \"Petit\"",
                         "add widgets/locales/fr.yaml"),
    "no-safe-option": ("          safe: true\n          feedback: {en: \"Sharing", "          safe: false\n          feedback: {en: \"Sharing",
                       "nodes.later.decision.options", ("options:", 2), "every decision needs a safe way out"),
    "duplicate-option": ("        - id: move", "        - id: stay", "nodes.hello.decision.options[1].id", ("- id: stay", 2), "used twice"),
    "loop": ("          next: risk-end", "          next: hello", "nodes.later", "  later:", "loop: hello -> later -> hello"),
    "decision-and-ending": ("  safe-end:\n    messages:", "  safe-end:\n    decision: {prompt: {en: a, vi: b}, red_flag: {en: a, vi: b}, rule: no-secrets, options: []}\n    messages:",
                            "nodes.safe-end.decision.options", None, "expected at least 2 item(s), found 0"),
    "neither-decision-nor-ending": ("    ending:\n      outcome: safe", "    notes: x\n    ending_:\n      outcome: safe", "nodes.safe-end.notes", "notes: x",
                                    "expected only: decision, ending, messages, when"),
}


@pytest.mark.parametrize("case", sorted(SCENARIO_CASES))
def test_scenario_errors_name_file_place_and_expectation(tmp_path, case):
    old, new, where, anchor, words = SCENARIO_CASES[case]
    path, text = broken(tmp_path, TINY, old, new)
    with pytest.raises(ContentError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert "broken.scenario.yaml" in message
    assert words in message
    problem = next(p for p in caught.value.problems if words in p.message or words in str(p))
    if where:
        assert problem.where == where
    if anchor:
        needle, occurrence = anchor if isinstance(anchor, tuple) else (anchor, 1)
        assert problem.line == line_of(text, needle, occurrence), message


def test_unreachable_nodes_are_reported(tmp_path):
    extra = ("  island:\n    messages: []\n    ending:\n      outcome: safe\n      title: {en: a, vi: b}\n"
             "      text: {en: a, vi: b}\n")
    path, text = broken(tmp_path, TINY, "  risk-end:\n", extra + "  risk-end:\n")
    with pytest.raises(ContentError, match="node 'island' cannot be reached from start 'hello'") as caught:
        load_scenario(path)
    assert caught.value.problems[0].line == line_of(text, "island:")


def test_a_node_with_neither_decision_nor_ending_is_explained(tmp_path):
    path, _ = broken(tmp_path, TINY, "    ending:\n      outcome: at-risk\n      title: {en: \"Still time to ask for help\", vi: \"Vẫn kịp nhờ giúp đỡ\"}\n"
                     "      text: {en: \"Tell a trusted adult or call 111.\", vi: \"Hãy kể với người lớn bạn tin hoặc gọi 111.\"}\n", "")
    with pytest.raises(ContentError, match="nodes.risk-end: a node needs exactly one of 'decision'"):
        load_scenario(path)


def test_every_problem_is_listed_not_just_the_first(tmp_path):
    path, _ = broken(tmp_path, TINY, "rule: no-secrets", "rule: no-lies")
    path.write_text(path.read_text().replace("next: safe-end", "next: nowhere"))
    with pytest.raises(ContentError) as caught:
        load_scenario(path)
    assert len(caught.value.problems) == 2


@pytest.mark.parametrize("text, words", [("", "the file is empty"), (b"\xff\xfe", "not UTF-8"), ("- just\n- a list\n", "expected object")])
def test_empty_or_foreign_files(tmp_path, text, words):
    path = tmp_path / "odd.scenario.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(ContentError, match=words):
        load_scenario(path)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ContentError, match="nothere.scenario.yaml: file not found"):
        load_scenario(tmp_path / "nothere.scenario.yaml")


QUIZ_CASES = {
    "two-correct-in-single": ("        correct: false\n        explanation: {en: \"Real", "        correct: true\n        explanation: {en: \"Real",
                              "questions[0].options", "exactly one correct option, found 2"),
    "missing-explanation": ("        explanation: {en: \"Yes.\", vi: \"Đúng.\"}\n      - id: share", "      - id: share",
                            "questions[1].options[0]", "'explanation' is required"),
    "bad-kind": ("kind: multiple", "kind: many", "questions[1].kind", "not one of: single, multiple"),
    "key-in-withheld-quiz": ("id: tiny-quiz", "id: tiny-quiz\nanswers: withheld", "questions[0].options[0].correct", "must not hold part of one"),
}


@pytest.mark.parametrize("case", sorted(QUIZ_CASES))
def test_quiz_errors_name_file_place_and_expectation(tmp_path, case):
    old, new, where, words = QUIZ_CASES[case]
    path, _ = broken(tmp_path, TINY_QUIZ, old, new, name="broken.quiz.yaml")
    with pytest.raises(ContentError) as caught:
        load_quiz(path)
    problem = next(p for p in caught.value.problems if words in p.message)
    assert problem.file.endswith("broken.quiz.yaml") and problem.where == where and problem.line
