"""The red-flag detector (widgets.red_flags), its rules file, its labelled data set and the message-checker view."""

import filecmp
import subprocess
import sys
import unicodedata

import pytest

from widgets import ContentError
from widgets.red_flags import (Counts, LabelledMessage, RedFlagChecker, detect, evaluate, load_messages, load_rules, matches,
                               normalize, words)
from widgets.views.red_flag_checker import show_red_flag_checker

from support import REPO

DATA = REPO / "lessons" / "unit04-no-secrets" / "data"
RULES_FILE = REPO / "widgets" / "data" / "keywords.red-flags.yaml"
CATEGORIES = ["secrecy", "isolation", "fear", "money", "move-platform", "personal-info", "meeting"]


@pytest.fixture(scope="module")
def rules():
    return load_rules()


@pytest.fixture(scope="module")
def messages():
    return load_messages(DATA / "messages.csv", CATEGORIES)


def line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


# normalize and words -------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("Đừng NÓI với bố mẹ!", "dung noi voi bo me!"),
    ("dung noi voi bo me", "dung noi voi bo me"),
    ("ĐƯỜNG ĐI", "duong di"),
    ("ăâêôơư ĂÂÊÔƠƯ", "aaeoou aaeoou"),
    ("Ồ, ỔN RỒI!!! 😊", "o, on roi!!! 😊"),
    (unicodedata.normalize("NFD", "Bí mật"), "bi mat"),
    (unicodedata.normalize("NFC", "Bí mật"), "bi mat"),
    ("Don't TELL", "don't tell"),
    ("", ""),
])
def test_normalize_lowercases_and_removes_accents(text, expected):
    result = normalize(text)
    assert isinstance(result, str) and result == expected


def test_words_split_on_everything_that_is_not_a_letter_or_digit():
    assert words("Đừng kể!!! Bí-mật, 500k 🤫") == ["dung", "ke", "bi", "mat", "500k"]
    assert words("don't tell") == ["don", "t", "tell"]


# detect ---------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("Chỉ hai đứa mình biết thôi, đừng kể với bố mẹ nha", ["secrecy"]),
    ("chi hai dua minh biet thoi, dung ke voi bo me nha", ["secrecy"]),
    (unicodedata.normalize("NFD", "CÔNG AN đang điều tra em, không được nói với bố mẹ"), ["fear", "secrecy"]),
    ("This is our SECRET. Add me on the other app", ["move-platform", "secrecy"]),
    ("Đừng tell bố mẹ nha, secret của tụi mình", ["secrecy"]),
    ("She is our class secretary", []),
    ("gg! same time tomorrow?", []),
    ("", []),
])
def test_detect_finds_whole_words_with_or_without_accents(rules, text, expected):
    assert detect(text, rules) == expected


def test_detect_accepts_a_plain_keyword_table_and_sorts_each_category_once():
    table = {"zeta": ["ba chú mèo"], "alpha": ["meo", "mèo"], "unused": ["cho"]}
    assert detect("Nhà mình có BA CHÚ MÈO, mèo mèo!", table) == ["alpha", "zeta"]
    assert matches("mèo", table) == {"alpha": ["meo", "meo"]}


def test_no_accents_creates_the_collisions_the_lessons_talk_about(rules):
    assert detect("em bi mat dien thoai roi", rules) == ["secrecy"]  # bị mất (lost) reads like bí mật (secret)
    assert detect("Mai lớp mình không thi đâu", rules) == ["fear"]  # không thi (no exam) reads like không thì (or else)
    assert detect("Don't tell anyone about the surprise party for Mum!", rules) == ["secrecy"]


def test_the_keyword_table_is_normalized_and_has_every_category(rules):
    table = rules.keyword_table()
    assert list(table) == CATEGORIES
    for keywords in table.values():
        assert keywords and all(keyword == " ".join(words(keyword)) for keyword in keywords)
        assert len(keywords) == len(set(keywords))
    assert "bi mat" in table["secrecy"] and "dont tell" in table["secrecy"]


# The shipped files ------------------------------------------------------------------
@pytest.mark.parametrize("copy", [
    DATA / "keywords.red-flags.yaml",
    REPO / "assessments" / "source" / "unit04-no-secrets" / "keywords.red-flags.yaml",
    REPO / "assessments" / "source" / "unit08-capstone" / "keywords.red-flags.yaml",
])
def test_every_copy_of_the_rules_is_identical(copy):
    assert filecmp.cmp(copy, RULES_FILE, shallow=False), f"{copy} differs from {RULES_FILE}: copy it again"
    load_rules(copy)


@pytest.mark.parametrize("copy", [
    REPO / "assessments" / "source" / "unit04-no-secrets" / "messages.csv",
    REPO / "assessments" / "source" / "unit08-capstone" / "messages.csv",
])
def test_every_copy_of_the_data_set_is_identical(copy):
    assert filecmp.cmp(copy, DATA / "messages.csv", shallow=False), f"{copy} differs from the lesson's messages.csv"


def test_the_data_set_is_large_balanced_and_labelled(messages):
    assert len(messages) >= 120
    by_language = {language: sum(m.language == language for m in messages) for language in ("en", "vi")}
    assert by_language["en"] + by_language["vi"] == len(messages)
    assert abs(by_language["en"] - by_language["vi"]) <= 0.1 * len(messages), by_language
    risky = [m for m in messages if m.labels]
    assert 0.35 * len(messages) <= len(risky) <= 0.65 * len(messages)
    for category in CATEGORIES:
        assert sum(category in m.labels for m in messages) >= 10, category
    assert len({m.id for m in messages}) == len(messages)


def test_the_data_set_has_the_tricky_cases(messages):
    texts = {m.id: m for m in messages}
    def harmless(fragment):
        return any(fragment in normalize(m.text) and not m.labels for m in messages)
    assert harmless("surprise party") and harmless("bua tiec bat ngo")
    assert harmless("bi mat dien thoai")  # without accents: bị mất, not bí mật
    assert any(normalize(m.text).startswith("dung noi voi bo me") and m.text == normalize(m.text) for m in messages)
    assert sum(m.text != unicodedata.normalize("NFC", m.text) for m in messages) >= 2  # typed decomposed
    assert any("tell" in m.text and m.language == "vi" for m in messages)  # code-switching
    assert texts["en-004"].labels == {"secrecy"}  # guilt without keywords


def test_the_reference_detector_on_the_data_set(rules, messages):
    """The lessons quote these numbers: keep them in step if the rules or the data change."""
    result = evaluate(messages, rules)
    assert (result.exact, result.total) == (110, 163)
    assert (result.risky.tp, result.risky.fn, result.risky.fp, result.risky.tn) == (78, 5, 34, 46)
    assert (result.overall.tp, result.overall.fp, result.overall.fn) == (93, 38, 17)
    assert result.per_category["secrecy"] == Counts(22, 8, 5, 128)
    assert result.per_category["personal-info"].recall == 1.0
    assert [m.id for m, _ in result.misses] == ["en-004", "en-039", "vi-004", "vi-040", "vi-041"]


def test_precision_and_recall_are_zero_without_a_denominator():
    assert Counts().precision == 0.0 and Counts().recall == 0.0
    assert isinstance(Counts().precision, float)
    assert Counts(tp=3, fp=1, fn=1).precision == 0.75


def test_evaluate_accepts_a_callable_detector():
    data = [LabelledMessage("a", "en", "x", frozenset({"secrecy"})), LabelledMessage("b", "en", "y", frozenset())]
    result = evaluate(data, lambda text: ["secrecy"], categories=["secrecy"])
    assert result.per_category["secrecy"] == Counts(tp=1, fp=1)
    assert [m.id for m, _ in result.false_alarms] == ["b"]


# Bad rules files: every problem names file, line and field ----------------------------
RULES_TEXT = RULES_FILE.read_text(encoding="utf-8")

RULES_CASES = {
    # name: (old, new, expected field path, line anchor in the broken text, expected words)
    "unknown-rule": ("    rule: no-secrets", "    rule: no-lies", "categories.secrecy.rule", "rule: no-lies", "unknown rule 'no-lies'"),
    "missing-language": ('      vi: ["bí mật", ', '      fr: ["bí mật", ', "categories.secrecy.keywords", "keywords:", "no 'vi' keywords"),
    "duplicate-after-normalizing": ('"bí mật", "giữ kín"', '"bí mật", "BI MAT", "giữ kín"', "categories.secrecy.keywords.vi[1]", '"BI MAT"',
                                    "is the same as keyword 'bí mật' (vi) once accents and case are ignored"),
    "no-letters": ('"secret", "secrets"', '"secret", "!!!", "secrets"', "categories.secrecy.keywords.en[1]", '"!!!"', "can never match"),
    "unknown-field": ("    rule: no-secrets", "    rule: no-secrets\n    colour: red", "categories.secrecy.colour", "colour: red",
                      "expected only: explain, keywords, label, rule"),
    "missing-translation": ('      en: "Secrecy"\n      vi: "Đòi giữ bí mật"', '      en: "Secrecy"', "categories.secrecy.label", "    label:",
                            "missing the 'vi' translation"),
    "bad-category-id": ("  secrecy:\n", "  Secrecy Tactics:\n", "categories", "categories:", "expected lower-case words joined by hyphens"),
}


@pytest.mark.parametrize("case", sorted(RULES_CASES))
def test_bad_rules_files_name_file_place_and_expectation(tmp_path, case):
    old, new, where, anchor, expected_words = RULES_CASES[case]
    assert old in RULES_TEXT, f"test setup: {old!r} not in the rules file"
    text = RULES_TEXT.replace(old, new, 1)
    path = tmp_path / "broken.red-flags.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_rules(path)
    assert "broken.red-flags.yaml" in str(caught.value)
    problem = next((p for p in caught.value.problems if expected_words in str(p)), None)
    assert problem is not None, str(caught.value)
    assert problem.where == where
    if anchor:
        assert problem.line == line_of(text, anchor), str(caught.value)


# Bad data sets ---------------------------------------------------------------------------
def test_bad_data_sets_name_the_line_and_column(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text("id,language,text,labels\nm1,en,hello,\nm1,en,hi again,secrecy\nm3,fr,salut,\nm4,vi,chào,scary\n",
                    encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_messages(path, CATEGORIES)
    problems = {(p.where, p.line) for p in caught.value.problems}
    assert problems == {("id", 3), ("language", 4), ("labels", 5)}, str(caught.value)
    assert "unknown category 'scary'" in str(caught.value)
    path.write_text("id,text\nm1,hello\n", encoding="utf-8")
    with pytest.raises(ContentError, match="expected the columns id, language, text, labels"):
        load_messages(path)
    with pytest.raises(ContentError, match="file not found"):
        load_messages(tmp_path / "missing.csv")


# The checker: model and headless view ------------------------------------------------------
def test_the_checker_model_checks_and_tells_its_observers(rules):
    checker, seen = RedFlagChecker(rules), []
    checker.observe(lambda: seen.append(checker.categories))
    assert checker.check("dung ke voi ai, gui anh so dien thoai") == ["personal-info", "secrecy"]
    assert checker.found["secrecy"] == ["dung ke"] and seen == [["personal-info", "secrecy"]]
    with pytest.raises(TypeError, match="needs the message as a str"):
        checker.check(42)


def test_typing_a_message_shows_its_red_flags(dummy_comm):
    view = show_red_flag_checker(language="en")
    assert "notalone-red-flag-checker" in view._dom_classes
    assert "Type a message" in view._result.value
    view._text.value = "Bí mật nha, đừng kể với bố mẹ"  # what typing in the box does
    assert "Red flags found: 1" in view._result.value and "Secrecy" in view._result.value
    assert "“dung ke”" in view._result.value and "No following requests to keep secrets" in view._result.value
    assert view.check("gg! same time tomorrow?") == []
    assert "No red-flag words found" in view._result.value and view._text.value == "gg! same time tomorrow?"


def test_the_check_button_and_the_language_picker(dummy_comm):
    view = show_red_flag_checker(language="en")
    view._text.value = "Công an đây. Chuyển tiền ngay, không thì em bị bắt"
    view.model.check("")  # forget the result: the button checks what is in the box again
    view._button.click()
    assert view.model.categories == ["fear", "money"]
    view._picker.value = "vi"
    assert "Dọa dẫm, đe dọa" in view._result.value and "Đòi tiền" in view._result.value
    assert view._button.description == "Kiểm tra" and "Số dấu hiệu cảnh báo tìm thấy: 2" in view._result.value


def test_checker_text_is_escaped(dummy_comm, tmp_path):
    hostile = tmp_path / "hostile.red-flags.yaml"
    hostile.write_text(RULES_TEXT.replace('en: "Secrecy"', 'en: "<script>alert(1)</script>"', 1), encoding="utf-8")
    view = show_red_flag_checker(hostile, language="en")
    view.check("<b>secret</b>")
    assert "<script>" not in view._result.value and "&lt;script&gt;" in view._result.value


def test_the_detector_does_not_need_ipywidgets():
    code = ("import sys; sys.modules['ipywidgets'] = None\n"
            "from widgets.red_flags import detect, load_rules\n"
            "print(detect('Đừng KỂ với ai', load_rules()))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['secrecy']"
