"""The students' JupyterLab without a browser: the pre-save hook, the hidden nbgrader plugins, the code font,
the lesson-start rules that `notalone check` enforces, and the start-here text of the table of contents.
(tests/browser/test_student_lab_in_jupyterlab.py checks the same in a real JupyterLab.)"""

import json

import nbformat
import pytest

from notalone.course import load_manifest, navigation_markdown
from notalone.lesson_rules import RUN_ALL, lesson_start_problems
from notalone.student_lab import (PROGRESS_MIME, STUDENT_HIDDEN_PLUGINS, WIDGET_VIEW, drop_widget_outputs,
                                  use_course_fonts, without_widget_views)
from widgets.i18n import available_languages, ui_strings

from support import REPO

STUDENT_CONFIG = REPO / "scripts" / "student-jupyter"
VIEW = {WIDGET_VIEW: {"model_id": "abc", "version_major": 2, "version_minor": 0}, "text/plain": "VBox()"}


def _notebook(*cells, **metadata):
    notebook = nbformat.v4.new_notebook(metadata=metadata)
    notebook.cells = list(cells)
    return json.loads(nbformat.writes(notebook))


def _code(source, outputs=()):
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = [nbformat.from_dict(output) for output in outputs]
    return cell


def test_saving_drops_widget_views_and_state_but_keeps_other_outputs_and_the_hand_in():
    printed = {"output_type": "stream", "name": "stdout", "text": "3 messages\n"}
    hand_in = {"output_type": "display_data", "metadata": {}, "data": {**VIEW, PROGRESS_MIME: {"choices": ["a"]}}}
    model = {"type": "notebook", "content": _notebook(
        _code("chat", [{"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": VIEW}]),
        _code("print(3)", [printed]),
        _code("record", [hand_in]),
        widgets={"application/vnd.jupyter.widget-state+json": {"state": {}}})}
    drop_widget_outputs(model=model, path="unit01/unit01.vi.ipynb", contents_manager=None)
    cells = model["content"]["cells"]
    assert cells[0]["outputs"] == []
    assert [(o["output_type"], "".join(o["text"])) for o in cells[1]["outputs"]] == [("stream", "3 messages\n")]
    assert [set(o["data"]) for o in cells[2]["outputs"]] == [{"text/plain", PROGRESS_MIME}]
    assert "widgets" not in model["content"]["metadata"]


def test_other_files_are_saved_untouched():
    model = {"type": "file", "content": "chat = play_scenario(...)"}
    drop_widget_outputs(model=model, path="notes.txt", contents_manager=None)
    assert model == {"type": "file", "content": "chat = play_scenario(...)"}
    assert without_widget_views({"cells": [{"cell_type": "markdown", "source": "x"}]})["cells"][0]["source"] == "x"


def test_the_start_command_installs_the_hook_and_hides_exactly_the_teacher_plugins():
    server = json.loads((STUDENT_CONFIG / "jupyter_server_config.json").read_text())
    assert server["ContentsManager"]["pre_save_hook"] == "notalone.student_lab.drop_widget_outputs"
    disabled = json.loads((STUDENT_CONFIG / "labconfig" / "page_config.json").read_text())["disabledExtensions"]
    assert sorted(name for name, off in disabled.items() if off) == sorted(STUDENT_HIDDEN_PLUGINS)
    assert "@jupyter/nbgrader:assignment-list" not in disabled
    start = (REPO / "scripts" / "start.sh").read_text()
    assert 'JUPYTER_CONFIG_PATH="$PWD/scripts/student-jupyter' in start
    assert "notalone.student_lab scripts/jupyterlab-overrides.json" in start


def test_the_code_font_goes_into_user_settings_without_overriding_the_student(tmp_path):
    overrides = REPO / "scripts" / "jupyterlab-overrides.json"
    written = use_course_fonts(overrides, tmp_path)
    settings = json.loads(written.read_text())
    assert "Noto Sans Mono" in settings["overrides"]["code-font-family"]
    assert use_course_fonts(overrides, tmp_path) is None  # already there: nothing to do

    written.write_text('// my settings\n{"theme": "JupyterLab Dark", "overrides": {"code-font-family": "Courier"}}')
    assert use_course_fonts(overrides, tmp_path) is None
    written.write_text('{"theme": "JupyterLab Dark"}')
    merged = json.loads(use_course_fonts(overrides, tmp_path).read_text())
    assert merged["theme"] == "JupyterLab Dark" and "Noto Sans Mono" in merged["overrides"]["code-font-family"]
    written.write_text("{not json")
    assert use_course_fonts(overrides, tmp_path) is None and written.read_text() == "{not json"


def _lesson(tmp_path, language, first, *code):
    path = tmp_path / f"unit09-test.{language}.ipynb"
    notebook = _notebook(nbformat.v4.new_markdown_cell(first), *[_code(source) for source in code])
    return path, notebook


@pytest.mark.parametrize("language", ["en", "vi"])
def test_a_lesson_starting_cleanly_passes(tmp_path, language):
    path, notebook = _lesson(tmp_path, language, f"# Title\n\n> Choose **{RUN_ALL[language]}**.",
                             f'from widgets import use_language, play_scenario\nuse_language("{language}")\n'
                             'chat = play_scenario("x.scenario.yaml")\nchat',
                             'x = 1\nprint(x)')
    assert lesson_start_problems(path, notebook) == []


def test_the_first_cell_must_say_run_all_in_the_lessons_language(tmp_path):
    path, notebook = _lesson(tmp_path, "vi", "# Bài 9\n\nChoose **Run ▸ Run All Cells**.")
    [problem] = lesson_start_problems(path, notebook)
    assert (problem.where, RUN_ALL["vi"] in problem.message) == ("cell 1", True)
    assert path.name in problem.file


def test_a_widget_cell_that_needs_another_cell_is_named_with_what_it_lacks(tmp_path):
    path, notebook = _lesson(tmp_path, "vi", f"# Bài 9\n\n**{RUN_ALL['vi']}**",
                             'from widgets import use_language, play_scenario, ProgressStore\nuse_language("vi")\n'
                             'progress = ProgressStore.for_directory()',
                             'chat = play_scenario("x.scenario.yaml", store=progress)\nchat',
                             'from widgets import show_help_card\nshow_help_card()')
    problems = lesson_start_problems(path, notebook)
    messages = {(p.where, p.message.split(":")[0]) for p in problems}
    assert ("cell 3", "shows a widget (play_scenario) but uses play_scenario, progress from another cell") in messages
    assert ("cell 3", "shows a widget (play_scenario) but does not set the language") in messages
    assert ("cell 4", "shows a widget (show_help_card) but does not set the language") in messages
    assert len(problems) == 3


def test_a_language_keyword_on_every_widget_also_sets_the_language(tmp_path):
    path, notebook = _lesson(tmp_path, "vi", f"**{RUN_ALL['vi']}**",
                             'from widgets import show_rules, show_help_card\nshow_rules(language="vi")\n'
                             'show_help_card(language="vi")')
    assert lesson_start_problems(path, notebook) == []


def test_every_existing_lesson_and_knowledge_check_starts_cleanly():
    units, _ = load_manifest(REPO)
    paths = [REPO / "lessons" / notebook for unit in units for notebook in unit.notebooks.values()]
    assert len(paths) >= 20  # units 1-8 and the two knowledge checks, in two languages
    problems = [problem for path in paths for problem in lesson_start_problems(path, json.loads(path.read_text()))]
    assert not problems, "\n".join(map(str, problems))


def test_the_table_of_contents_says_where_to_start_in_every_language():
    page = navigation_markdown(REPO)
    for language in available_languages():
        start_here = ui_strings(language)["nav_start_here"]
        assert start_here in page and "Run ▸ Run All Cells" in start_here and "111" in start_here
