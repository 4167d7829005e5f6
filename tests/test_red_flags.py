"""The red-flag detector (widgets.red_flags), its rules file, its labelled data set and the message-checker view."""

import filecmp
import subprocess
import sys
import unicodedata

import pytest

from widgets import ContentError
from widgets.red_flags import (NO_SHORTHAND, Counts, LabelledMessage, RedFlagChecker, detect, evaluate, load_messages, load_rules,
                               load_shorthand, matches, normalize, readings, words)
from widgets.views.red_flag_checker import show_red_flag_checker

from support import REPO



def _bench():
    import importlib.util
    spec = importlib.util.spec_from_file_location("bench_red_flags", REPO / "bench" / "red_flags.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench_figures = _bench().figures

DATA = REPO / "lessons" / "unit04-no-secrets" / "data"
RULES_FILE = REPO / "widgets" / "data" / "keywords.red-flags.yaml"
SHORTHAND_FILE = REPO / "widgets" / "data" / "chat.shorthand.yaml"
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
    ("Cài app này đi rồi mình nói chuyện cho riêng tư", ["move-platform"]),  # worded around the old list
    ("gg! same time tomorrow?", []),
    ("", []),
])
def test_detect_finds_whole_words_with_or_without_accents(rules, text, expected):
    assert detect(text, rules) == expected


@pytest.mark.parametrize("text, expected", [
    ("ko dc ns vs ai nha", ["secrecy"]),  # không được nói với ai
    ("hok dc ke vs bme dau", ["secrecy"]),  # hok = không, bme = bố mẹ
    ("gửi a tấm hình của e đi", ["personal-info"]),  # a = anh, e = em, hình = ảnh, with a gap
    ("cho a xin sdt nha", ["personal-info"]),  # sdt = số điện thoại
    ("ck a 5tr trước 8h", ["money"]),  # ck = chuyển khoản; 5tr = 5 triệu = số tiền
    ("nap cho a 2 củ", ["money"]),
    ("pls send a pic of u rn", ["personal-info"]),  # pic = photo, u = you, rn = right now
    ("ur parents dont get u", ["isolation"]),  # dont = do not
    ("wanna meet irl?", ["meeting"]),  # irl = in real life
])
def test_detect_reads_chat_shorthand(rules, text, expected):
    assert detect(text, rules) == expected
    assert detect(text, load_rules(shorthand=NO_SHORTHAND)) != expected, "this case must need the shorthand table"


@pytest.mark.parametrize("text, expected", [
    ("gửi ảnh bài tập cho mình với", []),
    ("mẹ bảo đừng nói với em gái là có bánh", []),
    ("can u send a pic of the homework pls", []),
    ("lets meet at the library at 3, Minh is coming", []),
    ("mai nộp tiền quỹ lớp 50k nha", []),
])
def test_unless_phrases_leave_innocent_uses_alone(rules, text, expected):
    assert detect(text, rules) == expected


def test_detect_accepts_a_plain_keyword_table_and_sorts_each_category_once():
    table = {"zeta": ["ba chú mèo"], "alpha": ["meo", "mèo"], "unused": ["cho"]}
    assert detect("Nhà mình có BA CHÚ MÈO, mèo mèo!", table) == ["alpha", "zeta"]
    assert matches("mèo", table) == {"alpha": ["meo", "meo"]}


def test_no_accents_creates_the_collisions_the_lessons_talk_about(rules):
    plain = {"secrecy": ["bí mật", "don't tell"], "fear": ["không thì"]}  # a plain keyword list falls for them
    assert detect("em bi mat dien thoai roi", plain) == ["secrecy"]  # bị mất (lost) reads like bí mật (secret)
    assert detect("Mai lớp mình không thi đâu", plain) == ["fear"]  # không thi (no exam) reads like không thì (or else)
    assert detect("Don't tell anyone about the surprise party for Mum!", plain) == ["secrecy"]
    # the course's rules name these innocent uses under `unless`
    assert detect("em bi mat dien thoai roi", rules) == []
    assert detect("Mai lớp mình không thi đâu", rules) == []
    assert detect("Don't tell anyone about the surprise party for Mum!", rules) == []
    assert detect("Don't tell anyone about us, ok?", rules) == ["secrecy"]


def test_the_keyword_table_is_normalized_and_has_every_category(rules):
    table = rules.keyword_table()
    assert list(table) == CATEGORIES
    for keywords in table.values():
        assert keywords and all(keyword == " ... ".join(" ".join(words(piece)) for piece in keyword.split("...")) for keyword in keywords)
        assert len(keywords) == len(set(keywords))
    assert "bi mat" in table["secrecy"] and "do not tell" in table["secrecy"] and "gui anh ... anh" in table["personal-info"]


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


def test_the_data_set_is_large_balanced_labelled_and_split(messages):
    assert len(messages) >= 400
    by_language = {language: sum(m.language == language for m in messages) for language in ("en", "vi")}
    assert by_language["en"] + by_language["vi"] == len(messages)
    assert abs(by_language["en"] - by_language["vi"]) <= 0.1 * len(messages), by_language
    risky = [m for m in messages if m.labels]
    assert 0.35 * len(messages) <= len(risky) <= 0.65 * len(messages)
    assert {m.split for m in messages} == {"train", "test"}
    held_out = [m for m in messages if m.split == "test"]
    assert len(held_out) >= 0.4 * len(messages)
    for language in ("en", "vi"):
        part = [m for m in held_out if m.language == language]
        assert sum(not m.labels for m in part) >= 40, language  # enough harmless messages to measure 5%
        for category in CATEGORIES:
            assert sum(category in m.labels for m in part) >= 5, (language, category)
    assert len({m.id for m in messages}) == len(messages)
    assert len({normalize(m.text) for m in messages}) == len(messages), "a message is repeated"


def test_the_data_set_has_the_tricky_cases(messages):
    texts = {m.id: m for m in messages}
    def harmless(fragment, split=None):
        return any(fragment in normalize(m.text) and not m.labels and split in (None, m.split) for m in messages)
    assert harmless("surprise party") and harmless("bua tiec bat ngo")
    assert harmless("bi mat dien thoai")  # without accents: bị mất, not bí mật
    assert harmless("gui anh bai tap", "test") and harmless("me bao dung noi voi em gai", "test")  # the examples
    assert any(normalize(m.text).startswith("dung noi voi bo me") and m.text == normalize(m.text) for m in messages)
    assert sum(m.text != unicodedata.normalize("NFC", m.text) for m in messages) >= 2  # typed decomposed
    assert any("tell" in m.text and m.language == "vi" for m in messages)  # code-switching
    assert texts["en-004"].labels == {"secrecy"}  # guilt without keywords
    for split in ("train", "test"):  # teen shorthand and chat-speak on both sides
        part = [words(m.text) for m in messages if m.split == split]
        for shorthand in ("ko", "dc", "e", "a", "ib", "u", "ur", "pic"):
            assert any(shorthand in w for w in part), (split, shorthand)


def test_the_held_out_part_finds_85_percent_with_at_most_5_percent_false_alarms(rules):
    """The issue's bar, per language, on messages nobody looked at while writing the keywords and the shorthand."""
    figures = bench_figures("test", rules)
    for language in ("en", "vi"):
        found = figures[language]
        assert found["recall"] >= 0.85, (language, found["recall"])  # risky messages with at least one flag
        assert found["false_alarm_rate"] <= 0.05, (language, found["false_alarm_rate"], found["false_alarms"])


def test_without_the_shorthand_table_the_held_out_recall_falls():
    figures = bench_figures("test", load_rules(shorthand=NO_SHORTHAND))
    assert min(figures[language]["recall"] for language in ("en", "vi")) < 0.85


def test_the_benchmark_script_prints_every_category_per_language():
    result = subprocess.run([sys.executable, str(REPO / "bench" / "red_flags.py")], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("split: test")
    for language in ("en", "vi"):
        block = result.stdout.split(f"\n{language}: ")[1]
        assert all(f"  {category} " in block for category in CATEGORIES)
        assert "false-alarm rate on harmless messages" in block


def test_the_reference_detector_on_the_data_set(rules, messages):
    """The lessons and assignments quote these numbers: keep them in step if the rules or the data change."""
    result = evaluate(messages, rules)
    assert (result.exact, result.total) == (456, 481)
    held_out = evaluate([m for m in messages if m.split == "test"], rules)
    assert (held_out.risky.tp, held_out.risky.fn, held_out.risky.fp, held_out.risky.tn) == (99, 6, 3, 94)
    assert held_out.per_category["personal-info"] == Counts(25, 0, 3, 174)
    assert held_out.per_category["meeting"] == Counts(14, 1, 3, 184)


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
                      "expected only: explain, keywords, label, rule, unless"),
    "missing-translation": ('      en: "Secrecy"\n      vi: "Đòi giữ bí mật"', '      en: "Secrecy"', "categories.secrecy.label", "    label:",
                            "missing the 'vi' translation"),
    "bad-category-id": ("  secrecy:\n", "  Secrecy Tactics:\n", "categories", "categories:", "expected lower-case words joined by hyphens"),
    "empty-gap": ('"secret", "secrets"', '"secret", "secrets", "... tell"', "categories.secrecy.keywords.en[2]", '"... tell"',
                  "has no letters or digits before or after '...'"),
    "unless-repeats-a-keyword": ('unless:\n      en: ["surprise",', 'unless:\n      en: ["SECRET", "surprise",', "categories.secrecy.unless.en[0]",
                                 '"SECRET", "surprise"', "is the same as keyword 'secret' (en)"),
    "unless-unknown-language": ('unless:\n      en: ["surprise",', 'unless:\n      fr: ["fête"]\n      en: ["surprise",', "categories.secrecy.unless.fr",
                                'fr: ["fête"]', "unknown language 'fr'"),
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


# The shorthand table ------------------------------------------------------------------------
def test_readings_keep_the_word_and_add_every_meaning():
    lattice = readings("Mk của e là gì, ĐC ko?")
    assert lattice[0] == [("mk",), ("mat", "khau"), ("minh",)]  # ambiguous: both meanings are read
    assert lattice[2] == [("e",), ("em",)] and lattice[5] == [("dc",), ("duoc",)]  # đ -> d before the table
    assert lattice[6] == [("ko",), ("khong",)]
    assert readings("k nha")[0] == [("k",), ("khong",), ("ok",)]  # the same form in two languages: both meanings


@pytest.mark.parametrize("text, reading", [
    ("5tr", ("5", "trieu")), ("500k", ("500", "nghin")), ("2 củ", ("2", "trieu")), ("1m", ("1", "trieu")),
    ("2 triệu", ("2", "trieu")), ("3 lít", ("3", "tram", "nghin")),
])
def test_money_shorthand_reads_as_the_amount_and_as_so_tien(text, reading):
    lattice = readings(text)
    assert len(lattice) == 1 and reading in lattice[0] and ("so", "tien") in lattice[0]


def test_expand_shows_how_the_checker_read_a_message():
    assert load_shorthand().expand("ko dc ns vs ai") == "khong duoc noi voi ai"
    assert load_shorthand().expand("u up? send pic rn") == "you up send photo right now"
    assert NO_SHORTHAND.expand("ko dc") == "ko dc"


SHORTHAND_TEXT = SHORTHAND_FILE.read_text(encoding="utf-8")

SHORTHAND_CASES = {
    # name: (old, new, expected field path, line anchor, expected words)
    "two-words": ('    ko: "không"\n', '    ko: "không"\n    "k o": "không"\n', "words.vi.k o", '"k o"', "must be one word"),
    "same-form-with-accents": ('    ko: "không"\n', '    ko: "không"\n    kó: "không"\n', "words.vi.kó", "kó:", "is the same form as 'ko'"),
    "empty-meaning": ('    ns: "nói"\n', '    ns: "!!"\n', "words.vi.ns", 'ns: "!!"', "has no letters or digits"),
    "unit-twice": ('["tr", "triệu",', '["tr", "k", "triệu",', "amounts[1].units[1]", '["tr", "k", "triệu",', "already listed in amounts[0]"),
    "unknown-language": ("  en:\n    u:", "  fr:\n    stp: \"s'il te plaît\"\n  en:\n    u:", "words.fr", "  fr:", "unknown language 'fr'"),
    "wrong-type": ('    ns: "nói"\n', '    ns: 3\n', "words.vi.ns", "ns: 3", "is not valid"),
    "unknown-field": ("amounts:\n", "sayings: {}\namounts:\n", "sayings", "sayings:", "expected only: amounts, id, words"),
}


@pytest.mark.parametrize("case", sorted(SHORTHAND_CASES))
def test_bad_shorthand_files_name_file_place_and_expectation(tmp_path, case):
    old, new, where, anchor, expected_words = SHORTHAND_CASES[case]
    assert old in SHORTHAND_TEXT, f"test setup: {old!r} not in the shorthand file"
    text = SHORTHAND_TEXT.replace(old, new, 1)
    path = tmp_path / "broken.shorthand.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_shorthand(path)
    assert "broken.shorthand.yaml" in str(caught.value)
    problem = next((p for p in caught.value.problems if expected_words in str(p)), None)
    assert problem is not None, str(caught.value)
    assert problem.where == where
    assert problem.line == line_of(text, anchor), str(caught.value)


def test_notalone_check_checks_the_shorthand_file(tmp_path):
    from notalone.course import content_files, loader_for

    assert SHORTHAND_FILE in content_files(REPO) and loader_for(SHORTHAND_FILE) is load_shorthand
    broken = tmp_path / "widgets" / "data" / "chat.shorthand.yaml"
    broken.parent.mkdir(parents=True)
    broken.write_text(SHORTHAND_TEXT.replace('    ns: "nói"\n', '    ns: "!!"\n', 1), encoding="utf-8")
    from notalone.course import check_course

    problems = [p for p in check_course(tmp_path) if p.file.endswith("chat.shorthand.yaml")]
    assert [(p.where, p.line) for p in problems] == [("words.vi.ns", line_of(broken.read_text(encoding="utf-8"), 'ns: "!!"'))]


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
    path.write_text("id,language,text,labels,split\nm1,en,hello,,train\nm2,en,hi,,later\n", encoding="utf-8")
    with pytest.raises(ContentError, match="'later' is not one of: train, test") as caught:
        load_messages(path)
    assert [(p.where, p.line) for p in caught.value.problems] == [("split", 3)]
    path.write_text("id,text\nm1,hello\n", encoding="utf-8")
    with pytest.raises(ContentError, match="expected the columns id, language, text, labels"):
        load_messages(path)
    with pytest.raises(ContentError, match="file not found"):
        load_messages(tmp_path / "missing.csv")


# The checker: model and headless view ------------------------------------------------------
def test_the_checker_model_checks_and_tells_its_observers(rules):
    checker, seen = RedFlagChecker(rules), []
    checker.observe(lambda: seen.append(checker.categories))
    assert checker.check("dung ke voi ai, cho anh xin so dien thoai") == ["personal-info", "secrecy"]
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


@pytest.mark.parametrize("language, not_safe, musts", [
    ("en", "does not mean the message is safe", ["Block and report", "verify", "share it with your family", "111"]),
    ("vi", "không có nghĩa là tin nhắn an toàn", ["Chặn và báo cáo", "xác minh", "chia sẻ với gia đình", "111"]),
])
def test_nothing_found_never_reads_as_safe_and_says_what_to_do(dummy_comm, language, not_safe, musts):
    view = show_red_flag_checker(language=language)
    view.check("mai đi học sớm nha cả lớp")
    result = view._result.value
    assert not_safe in result and all(must in result for must in musts) and "✅" not in result
    view.check("ko dc ns vs ai nha")
    assert all(must in view._result.value for must in musts), "the found result says what to do as well"


def test_the_checker_shows_how_it_read_chat_shorthand(dummy_comm):
    view = show_red_flag_checker(language="en")
    view.check("ko dc ns vs ai nha")
    assert "Read as" in view._read_as.value and "khong duoc noi voi ai nha" in view._read_as.value
    view.check("Bí mật nha")  # nothing to expand: nothing shown
    assert view._read_as.value == ""
    assert "notalone-red-flag-input" in view._text._dom_classes  # the stylesheet's hook for the interface font


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
