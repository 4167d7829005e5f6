"""The sorting activity: content checks with located errors, the pure model, its progress, and the headless view."""

from __future__ import annotations

import html
import json

import pytest

from widgets import ContentError
from widgets.progress import PROGRESS_FILE, MemoryStore, ProgressStore
from widgets.sorter import SortAttempt, load_sort, saved_sort
from widgets.views.sorter import SorterView, show_sorter

from support import FIXTURES, REPO

TINY = FIXTURES / "tiny.sort.yaml"
TINY_TEXT = TINY.read_text(encoding="utf-8")


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    hits = [number for number, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


# Content -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(p.relative_to(REPO) for folder in ("lessons", "assessments")
                                        for p in (REPO / folder).rglob("*.sort.yaml")), ids=str)
def test_every_sorting_activity_in_the_course_loads(path):
    sort = load_sort(REPO / path)
    assert sort.items and len(sort.categories) >= 2
    assert {item.category for item in sort.items} <= {c.id for c in sort.categories}


def test_the_tiny_fixture_loads_with_every_field():
    sort = load_sort(TINY)
    assert sort.id == "tiny-sort" and sort.rule == "no-sharing"
    assert [c.id for c in sort.categories] == ["public", "never"]
    assert sort.categories[0].icon == "🌍" and sort.categories[0].description is None
    assert sort.categories[1].description == {"en": "not even with online friends", "vi": "kể cả bạn trên mạng"}
    assert [(i.id, i.category) for i in sort.items] == [("band", "public"), ("code", "never"), ("house", "never")]
    assert sort.item("code").explanation["vi"] == "Mã mở được tài khoản của bạn."
    with pytest.raises(KeyError, match="'nope' is not an item of 'tiny-sort'; expected one of: band, code, house"):
        sort.item("nope")


CASES = {
    # name: (old, new, expected field path or None, line anchor in the broken text or None, expected words)
    "yaml-syntax": ("rule: no-sharing", "rule: [no-sharing", None, None, "while parsing a flow sequence"),
    "missing-field": ("title: {en: \"Share it?\", vi: \"Chia sẻ không?\"}\n", "", None, None, "'title' is a required property"),
    "unknown-field": ("rule: no-sharing", "rule: no-sharing\nscore: 10", "score", "score: 10", "expected only: categories, id, instructions, items, rule, title"),
    "bad-identifier": ("  - id: band", "  - id: Band Name", "items[0].id", "id: Band Name", "lower-case words joined by hyphens"),
    "missing-explanation": ("    explanation: {en: \"It shows your address.\", vi: \"Nó cho biết địa chỉ nhà bạn.\"}\n", "",
                            "items[2]", "  - id: house", "'explanation' is a required property"),
    "too-few-categories": ("  - id: never\n    icon: \"⛔\"\n    label: {en: \"Never share online\", vi: \"Không bao giờ chia sẻ\"}\n"
                           "    description: {en: \"not even with online friends\", vi: \"kể cả bạn trên mạng\"}\n", "",
                           "categories", "categories:", "expected at least 2 item(s), found 1"),
    "dangling-category": ("    category: never\n    explanation: {en: \"A code", "    category: secret\n    explanation: {en: \"A code",
                          "items[1].category", "category: secret", "'secret' is not a category of this activity; expected one of: public, never"),
    "duplicate-item": ("  - id: house", "  - id: code", "items[2].id", ("- id: code", 2), "item id 'code' is used twice"),
    "duplicate-category": ("  - id: never", "  - id: public", "categories[1].id", ("- id: public", 2), "category id 'public' is used twice"),
    "unknown-rule": ("rule: no-sharing", "rule: no-photos", "rule", "rule: no-photos", "unknown rule 'no-photos'"),
    "missing-translation": ("    text: {en: \"Your login code\", vi: \"Mã đăng nhập\"}", "    text: {en: \"Your login code\"}",
                            "items[1].text", "text: {en: \"Your login code\"}", "missing the 'vi' translation"),
    "unknown-language": ("title: {en: \"Share it?\", vi: \"Chia sẻ không?\"}", "title: {en: \"Share it?\", vi: \"Chia sẻ không?\", fr: \"Partager ?\"}",
                         "title.fr", "fr: \"Partager ?\"", "add widgets/locales/fr.yaml"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_sort_files_name_file_place_and_expectation(tmp_path, case):
    old, new, where, anchor, words = CASES[case]
    assert old in TINY_TEXT, f"test setup: {old!r} not in the fixture"
    text = TINY_TEXT.replace(old, new, 1)
    path = tmp_path / "broken.sort.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_sort(path)
    message = str(caught.value)
    assert "broken.sort.yaml" in message and words in message, message
    problem = next(p for p in caught.value.problems if words in str(p))
    assert problem.file.endswith("broken.sort.yaml")
    if where:
        assert problem.where == where, message
    if anchor:
        needle, occurrence = anchor if isinstance(anchor, tuple) else (anchor, 1)
        assert problem.line == line_of(text, needle, occurrence), message


def test_every_problem_is_listed_in_file_order(tmp_path):
    text = TINY_TEXT.replace("rule: no-sharing", "rule: no-photos").replace("    category: public", "    category: everyone")
    path = tmp_path / "two.sort.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_sort(path)
    assert [p.where for p in caught.value.problems] == ["rule", "items[0].category"]
    assert [p.line for p in caught.value.problems] == [line_of(text, "rule: no-photos"), line_of(text, "category: everyone")]


def test_a_missing_sort_file_is_named(tmp_path):
    with pytest.raises(ContentError, match="nothere.sort.yaml: file not found"):
        load_sort(tmp_path / "nothere.sort.yaml")


# Model ---------------------------------------------------------------------------------------

@pytest.fixture
def attempt():
    return SortAttempt(load_sort(TINY), MemoryStore())


def test_place_check_and_score(attempt):
    seen = []
    attempt.observe(lambda: seen.append(attempt.placements))
    assert attempt.unplaced == ["band", "code", "house"] and not attempt.complete and not attempt.checked
    attempt.place("band", "public")
    attempt.place("code", "public")
    attempt.place("house", "never")
    assert attempt.complete and attempt.placement("code") == "public"
    assert attempt.check() == 2
    assert attempt.checked and attempt.score == 2
    assert [(r.item.id, r.placed, r.correct) for r in attempt.results()] == [
        ("band", "public", True), ("code", "public", False), ("house", "never", True)]
    assert len(seen) == 4 and seen[0] == {"band": "public"}


def test_checking_needs_every_item_placed(attempt):
    attempt.place("band", "public")
    with pytest.raises(ValueError, match="not placed yet: code, house"):
        attempt.check()
    assert not attempt.checked


def test_none_takes_an_item_out_again(attempt):
    attempt.place("band", "public")
    attempt.place("band", None)
    assert attempt.placement("band") is None and attempt.unplaced == ["band", "code", "house"]


def test_unknown_items_and_categories_are_explained(attempt):
    with pytest.raises(KeyError, match="'pizza' is not an item of 'tiny-sort'"):
        attempt.place("pizza", "public")
    with pytest.raises(KeyError, match="'friends' is not a category of 'tiny-sort'; expected one of: public, never"):
        attempt.place("band", "friends")


def test_checked_answers_are_locked_until_reset(attempt):
    for item, category in (("band", "public"), ("code", "never"), ("house", "never")):
        attempt.place(item, category)
    assert attempt.check() == 3
    with pytest.raises(PermissionError, match="already checked; call reset"):
        attempt.place("band", "never")
    attempt.reset()
    assert not attempt.checked and attempt.placements == {} and attempt.unplaced == ["band", "code", "house"]


def test_progress_is_saved_resumed_and_earlier_attempts_are_kept(tmp_path):
    sort = load_sort(TINY)
    first = SortAttempt(sort, ProgressStore.for_directory(tmp_path))
    first.place("band", "public")
    resumed = SortAttempt(sort, ProgressStore.for_directory(tmp_path))
    assert resumed.placements == {"band": "public"} and not resumed.checked
    resumed.place("code", "never")
    resumed.place("house", "public")
    resumed.check()
    again = SortAttempt(sort, ProgressStore.for_directory(tmp_path))
    assert again.checked and again.score == 2
    again.reset()
    data = json.loads((tmp_path / PROGRESS_FILE).read_text(encoding="utf-8"))
    record = data["sorters"]["tiny-sort"]
    assert record["placements"] == {} and record["checked"] is False
    assert record["earlier_attempts"] == [{"placements": {"band": "public", "code": "never", "house": "public"}, "checked": True}]
    assert data["format"] == "notalone-progress/1" and data["scenarios"] == {} and data["quizzes"] == {}


def test_sorters_share_the_progress_file_with_quizzes_and_scenarios(tmp_path):
    store = ProgressStore.for_directory(tmp_path)
    SortAttempt(load_sort(TINY), store).place("band", "public")
    store.save_quiz_answers("some-quiz", {"q": ["a"]})
    store.save_choices("some-scenario", [("start", "safe")])
    reloaded = ProgressStore.for_directory(tmp_path)
    assert saved_sort(reloaded, "tiny-sort") == ({"band": "public"}, False)
    assert reloaded.quiz_answers("some-quiz") == {"q": ["a"]} and reloaded.choices("some-scenario") == [("start", "safe")]


def test_saved_placements_that_no_longer_fit_are_ignored(tmp_path):
    (tmp_path / PROGRESS_FILE).write_text(json.dumps({
        "format": "notalone-progress/1", "scenarios": {}, "quizzes": {},
        "sorters": {"tiny-sort": {"placements": {"band": "public", "gone": "public", "code": "nowhere", "house": 3},
                                  "checked": True}}}), encoding="utf-8")
    attempt = SortAttempt(load_sort(TINY), ProgressStore.for_directory(tmp_path))
    assert attempt.placements == {"band": "public"}
    assert not attempt.checked, "an incomplete sorting cannot stay checked"


def test_a_malformed_sorters_section_does_not_break_loading(tmp_path):
    (tmp_path / PROGRESS_FILE).write_text(json.dumps({"format": "notalone-progress/1", "scenarios": {}, "quizzes": {},
                                                      "sorters": ["not", "a", "mapping"]}), encoding="utf-8")
    attempt = SortAttempt(load_sort(TINY), ProgressStore.for_directory(tmp_path))
    assert attempt.placements == {}
    attempt.place("band", "public")
    assert saved_sort(ProgressStore.for_directory(tmp_path), "tiny-sort") == ({"band": "public"}, False)


def test_a_read_only_store_cannot_be_changed(tmp_path):
    key = tmp_path / "notalone-answer-key.json"
    key.write_text(json.dumps({"format": "notalone-progress/1", "scenarios": {}, "quizzes": {},
                               "sorters": {"tiny-sort": {"placements": {"band": "public"}, "checked": False}}}), encoding="utf-8")
    store = ProgressStore.for_directory(tmp_path)
    assert store.read_only
    attempt = SortAttempt(load_sort(TINY), store)
    assert attempt.placements == {"band": "public"}
    with pytest.raises(PermissionError, match="read-only"):
        attempt.place("code", "never")
    assert attempt.placements == {"band": "public"}, "a refused change leaves the attempt as it was"
    with pytest.raises(PermissionError, match="read-only"):
        attempt.check()
    with pytest.raises(PermissionError, match="read-only"):
        attempt.reset()


# Headless view ------------------------------------------------------------------------------

def dropdowns(view):
    return [item._choice for item in view._items]


def labels(dropdown):
    return tuple(label for label, _value in dropdown.options)


def test_the_view_lists_items_with_a_dropdown_of_categories(dummy_comm, in_tmp):
    view = show_sorter(TINY, language="en")
    assert isinstance(view, SorterView) and "notalone-sorter" in view._dom_classes
    assert "Share it?" in view._title.value and "No sharing personal information" in view._title.value
    assert "Never share online" in view._legend.value and "not even with online friends" in view._legend.value
    assert [item._text.value for item in view._items][0].endswith("Your favourite band</span>")
    assert labels(dropdowns(view)[0]) == ("Choose a category…", "🌍 Share publicly", "⛔ Never share online")
    assert all(d.value == "" for d in dropdowns(view))
    assert view._check.disabled and view._reset.layout.display == "none"
    assert "0 of 3 placed" in view._progress.value
    assert any(kwargs or args for c in dummy_comm for args, kwargs in c.messages), "state reaches the front end"


def test_choosing_in_the_dropdowns_then_checking_shows_results_and_explanations(dummy_comm, in_tmp):
    view = show_sorter(TINY, language="en")
    first, second, third = dropdowns(view)
    first.value = "public"  # what the browser does when the student picks an option
    assert view.model.placement("band") == "public" and "1 of 3 placed" in view._progress.value
    second.value = "public"
    assert view._check.disabled, "Check stays disabled until every item is placed"
    third.value = "never"
    assert not view._check.disabled
    view._check.click()
    assert view.model.checked and all(d.disabled for d in dropdowns(view))
    results = [html.unescape(item._result.value) for item in view._items]
    assert "Right." in results[0] and "notalone-sorter-right" in results[0] and "Tastes don't say where you are." in results[0]
    assert "You chose “Share publicly”." in results[1] and "this belongs in “Never share online”." in results[1]
    assert "A code opens your account." in results[1] and "notalone-sorter-wrong" in results[1]
    assert "2 of 3 in the right category." in view._score.value and "Sort again" in view._score.value
    assert view._check.layout.display == "none" and view._reset.layout.display is None
    view._reset.click()
    assert not view.model.checked and all(d.value == "" and not d.disabled for d in dropdowns(view))
    assert view._score.value == "" and all(item._result.value == "" for item in view._items)


def test_unplacing_with_the_placeholder(dummy_comm, in_tmp):
    view = show_sorter(TINY, language="en")
    dropdowns(view)[0].value = "public"
    dropdowns(view)[0].value = ""
    assert view.model.placement("band") is None


def test_programmatic_triggers_update_the_view(dummy_comm, in_tmp):
    view = show_sorter(TINY, language="en")
    view.place("band", "public")
    view.place("code", "never")
    view.place("house", "never")
    assert [d.value for d in dropdowns(view)] == ["public", "never", "never"]
    assert view.check() == 3
    assert "All correct" in view._score.value and "3 of 3" in view._score.value


def test_the_language_can_be_switched_in_the_widget(dummy_comm, in_tmp):
    view = show_sorter(TINY, language="en")
    view.place("band", "never")
    view._picker.value = "vi"
    assert "Chia sẻ không?" in view._title.value and "Ban nhạc yêu thích" in view._items[0]._text.value
    assert labels(dropdowns(view)[0]) == ("Chọn một nhóm…", "🌍 Chia sẻ công khai", "⛔ Không bao giờ chia sẻ")
    assert dropdowns(view)[0].value == "never", "switching language keeps the placements"
    view.place("code", "never")
    view.place("house", "never")
    view._check.click()
    assert "Chưa đúng: mục này thuộc nhóm “Chia sẻ công khai”." in view._items[0]._result.value
    assert "Xếp đúng 2/3 mục." in view._score.value


def test_rerunning_the_cell_resumes_the_sorting(dummy_comm, in_tmp):
    show_sorter(TINY, language="en").place("code", "never")
    view = show_sorter(TINY, language="en")
    assert dropdowns(view)[1].value == "never" and "1 of 3 placed" in view._progress.value
    assert (in_tmp / PROGRESS_FILE).is_file()


def test_an_answer_key_store_is_shown_read_only(dummy_comm, in_tmp):
    (in_tmp / "notalone-answer-key.json").write_text(json.dumps({
        "format": "notalone-progress/1", "scenarios": {}, "quizzes": {},
        "sorters": {"tiny-sort": {"placements": {"band": "public", "code": "never", "house": "never"}, "checked": True}}}),
        encoding="utf-8")
    view = show_sorter(TINY, language="en")
    assert all(d.disabled for d in dropdowns(view)) and view._check.disabled
    assert view._reset.layout.display == "none"
    assert "Instructor view" in view._status.value and "3 of 3" in view._score.value
    assert not (in_tmp / PROGRESS_FILE).exists()


def test_the_lesson_activities_render_in_both_languages(dummy_comm):
    for path in (REPO / "lessons" / "unit03-no-sharing" / "share-or-not.sort.yaml",
                 REPO / "lessons" / "unit05-block-and-report" / "what-comes-first.sort.yaml"):
        for language in ("en", "vi"):
            view = show_sorter(path, language=language, store=MemoryStore())
            for item in view.model.sort.items:
                view.place(item.id, item.category)
            view._check.click()
            assert view.model.score == len(view.model.sort.items)
            assert len(view._items) == len(view.model.sort.items)
