"""One-file hand-in: the saved choices inside the notebook (widgets/progress.py writes them,
notalone/handin.py reads them as untrusted input, and grading stages them)."""

from __future__ import annotations

import json

import nbformat
import pytest

from notalone import handin
from notalone.grader import stage_submission
from widgets.progress import FORMAT, PROGRESS_FILE, RECORD_DISPLAY_ID, RECORD_MIME, ProgressStore

PROGRESS = {"format": FORMAT, "seed": "abc123",
            "scenarios": {"dream-scholarship": {"choices": [{"node": "hello", "option": "tell-parents"}], "earlier_attempts": []}},
            "quizzes": {"self-check": {"answers": {"q1": ["b"]}, "earlier_attempts": [{"q1": ["a"]}]}}}


def notebook_with(*records, path):
    cells = [nbformat.v4.new_markdown_cell("# Lesson")]
    for record in records:
        cell = nbformat.v4.new_code_cell("chat")
        cell.outputs = [nbformat.v4.new_output("display_data", data={RECORD_MIME: record, "text/plain": "saved"},
                                               metadata={})]
        cells.append(cell)
    notebook = nbformat.v4.new_notebook(cells=cells)
    nbformat.write(notebook, path)
    return path


def test_the_record_round_trips_and_the_newest_wins(tmp_path):
    older = {**PROGRESS, "scenarios": {}}
    path = notebook_with({"progress": older, "saved_at": 10.0}, {"progress": PROGRESS, "saved_at": 20.5}, path=tmp_path / "a.ipynb")
    assert handin.embedded_progress(path) == PROGRESS
    assert handin.embedded_progress(notebook_with(path=tmp_path / "none.ipynb")) is None


@pytest.mark.parametrize("record, complaint", [
    ({"progress": PROGRESS}, "saved_at"),
    ({"progress": PROGRESS, "saved_at": "yesterday"}, "saved_at"),
    ({"progress": {**PROGRESS, "format": "other"}, "saved_at": 1}, "format"),
    ({"progress": {**PROGRESS, "scenarios": {"s": {"choices": [{"node": "a"}]}}}, "saved_at": 1}, "scenarios.s.choices[0]"),
    ({"progress": {**PROGRESS, "scenarios": {"s": {"choices": [{"node": "a", "option": "x" * 500}]}}}, "saved_at": 1}, "option"),
    ({"progress": {**PROGRESS, "quizzes": {"q": {"answers": {"q1": "b"}}}}, "saved_at": 1}, "quizzes.q.answers.q1"),
    ({"progress": {**PROGRESS, "scenarios": {"s": {"choices": [{"node": "a", "option": "b"}] * 2000}}}, "saved_at": 1}, "at most"),
])
def test_a_bad_record_is_refused_naming_the_file_and_cell(tmp_path, record, complaint):
    path = notebook_with(record, path=tmp_path / "lan01_unit01.ipynb")
    with pytest.raises(handin.HandinError) as error:
        handin.embedded_progress(path)
    assert "lan01_unit01.ipynb: cell 2" in str(error.value) and complaint in str(error.value)


def test_an_unreadable_or_huge_notebook_is_refused(tmp_path, monkeypatch):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(handin.HandinError, match="broken.ipynb: not a readable notebook"):
        handin.embedded_progress(broken)
    monkeypatch.setattr(handin, "MAX_NOTEBOOK_BYTES", 10)
    with pytest.raises(handin.HandinError, match="larger than"):
        handin.embedded_progress(notebook_with(path=tmp_path / "big.ipynb"))


def test_staging_uses_the_notebook_only_when_no_progress_file_was_handed_in(tmp_path):
    notebook_with({"progress": PROGRESS, "saved_at": 1}, path=tmp_path / "unit01.ipynb")
    assert handin.stage_embedded_progress(tmp_path) == []
    assert json.loads((tmp_path / PROGRESS_FILE).read_text(encoding="utf-8")) == PROGRESS
    handed_in = {"format": FORMAT, "scenarios": {}, "quizzes": {}}
    (tmp_path / PROGRESS_FILE).write_text(json.dumps(handed_in), encoding="utf-8")
    assert handin.stage_embedded_progress(tmp_path) == []
    assert json.loads((tmp_path / PROGRESS_FILE).read_text(encoding="utf-8")) == handed_in  # the file wins


def test_a_bad_record_is_flagged_and_not_used(tmp_path):
    notebook_with({"progress": "nope", "saved_at": 1}, path=tmp_path / "unit01.ipynb")
    flags = handin.stage_embedded_progress(tmp_path)
    assert flags and flags[0][0] == "invalid" and "unit01.ipynb: cell 2" in flags[0][1] and flags[0][2] == "unit01"
    assert not (tmp_path / PROGRESS_FILE).exists()


def test_grading_stages_a_one_file_hand_in(tmp_path):
    root = tmp_path / "course"
    (root / "source" / "unit01").mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), root / "source" / "unit01" / "unit01.ipynb")
    submitted = root / "submitted" / "lan01" / "unit01"
    submitted.mkdir(parents=True)
    notebook_with({"progress": PROGRESS, "saved_at": 1}, path=submitted / "unit01.ipynb")
    flags = stage_submission(root, "unit01", "lan01")
    assert not [f for f in flags if f.kind == "invalid"], flags
    staged = next(root.rglob(f"lan01/unit01/{PROGRESS_FILE}"))
    assert json.loads(staged.read_text(encoding="utf-8")) == PROGRESS
    assert not (submitted / PROGRESS_FILE).exists()  # the student's files are never changed


def test_the_kernel_shows_the_record_and_updates_it_after_every_save(tmp_path, monkeypatch):
    import IPython
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", lambda bundle, **kw: shown.append(("display", bundle, kw)))
    monkeypatch.setattr(IPython.display, "update_display", lambda bundle, **kw: shown.append(("update", bundle, kw)))
    monkeypatch.setattr(ProgressStore, "_record_shown", False)
    store = ProgressStore(tmp_path / PROGRESS_FILE)
    store.save_choices("dream", [("hello", "a")])
    assert shown == []  # nothing to update before the record is shown
    store.show_record("vi")
    store.save_choices("dream", [("hello", "a"), ("next", "b")])
    assert [kind for kind, _, _ in shown] == ["display", "update"]
    assert all(kw == {"raw": True, "display_id": RECORD_DISPLAY_ID} for _, _, kw in shown)
    bundle = shown[-1][1]
    assert bundle[RECORD_MIME]["progress"] == json.loads((tmp_path / PROGRESS_FILE).read_text(encoding="utf-8"))
    assert "2 câu trả lời" in bundle["text/plain"]
    path = notebook_with(bundle[RECORD_MIME], path=tmp_path / "unit01.ipynb")
    assert handin.embedded_progress(path) == bundle[RECORD_MIME]["progress"]
