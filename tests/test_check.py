"""`notalone check` catches each class of author mistake and names the file and the place."""

import json
import shutil

import pytest

from notalone.cli import main
from notalone.course import check_course

from support import REPO

LESSON = "lessons/unit01-online-kidnapping/unit01-online-kidnapping.en.ipynb"
SCENARIO = "lessons/unit01-online-kidnapping/dream-scholarship.scenario.yaml"
QUIZ = "lessons/unit01-online-kidnapping/self-check.quiz.yaml"
ASSIGNMENT = "assessments/source/unit01-online-kidnapping/unit01-online-kidnapping.ipynb"


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A clean copy of the course to break."""
    shutil.copytree(REPO / "lessons", tmp_path / "lessons", ignore=shutil.ignore_patterns("notalone-progress*"))
    shutil.copytree(REPO / "assessments" / "source", tmp_path / "assessments" / "source")
    monkeypatch.chdir(tmp_path)
    assert check_course(tmp_path) == []
    return tmp_path


def edit_notebook(path, change):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    change(notebook)
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False), encoding="utf-8")


def cells_tagged(notebook, tag):
    return [cell for cell in notebook["cells"] if tag in cell["metadata"].get("tags", [])]


def only_problem(course, file, where_prefix=""):
    problems = check_course(course)
    assert len(problems) >= 1
    matching = [p for p in problems if p.file == file and p.where.startswith(where_prefix)]
    assert matching, f"expected a problem in {file} at {where_prefix!r}, got: {problems}"
    return matching[0]


def test_schema_errors_name_the_line(course):
    path = course / SCENARIO
    text = path.read_text(encoding="utf-8").replace("rule: no-secrets", "rule: keep-quiet", 1)
    path.write_text(text, encoding="utf-8")
    problem = only_problem(course, SCENARIO)
    assert "unknown rule 'keep-quiet'" in problem.message
    assert text.splitlines()[problem.line - 1].strip() == "rule: keep-quiet"


def test_missing_translations_are_found(course):
    path = course / QUIZ
    lines = path.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("vi:"))
    del lines[index]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problem = only_problem(course, QUIZ)
    assert "missing the 'vi' translation" in problem.message and problem.line


def test_a_lesson_missing_a_section_is_reported(course):
    def drop_key_points(notebook):
        for cell in cells_tagged(notebook, "key-points"):
            cell["metadata"]["tags"].remove("key-points")
    edit_notebook(course / LESSON, drop_key_points)
    assert "missing the 'key-points' section" in only_problem(course, LESSON, "cells").message


def test_sections_out_of_order_are_reported(course):
    def move_help_card_first(notebook):
        cards = cells_tagged(notebook, "help-card")
        notebook["cells"] = cards + [c for c in notebook["cells"] if c not in cards]
    edit_notebook(course / LESSON, move_help_card_first)
    problem = only_problem(course, LESSON, "cell")
    assert "out of order" in problem.message


def test_outputs_and_volatile_metadata_are_reported(course):
    def run_it(notebook):
        code = next(i for i, c in enumerate(notebook["cells"]) if c["cell_type"] == "code")
        notebook["cells"][code]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hi"}]
        notebook["cells"][code]["metadata"]["execution"] = {"iopub.status.busy": "2026-11-24"}
        notebook["metadata"]["widgets"] = {"state": {}}
    edit_notebook(course / LESSON, run_it)
    messages = [str(p) for p in check_course(course)]
    assert any("committed with outputs" in m and LESSON in m and "cell " in m for m in messages)
    assert any("volatile cell metadata 'execution'" in m for m in messages)
    assert any("metadata.widgets" in m for m in messages)
    assert main(["clean", str(course / LESSON)]) == 0
    assert check_course(course) == []


def test_paths_that_do_not_resolve_are_reported(course):
    def break_paths(notebook):
        code = next(c for c in cells_tagged(notebook, "scenario") if c["cell_type"] == "code")
        code["source"] = 'chat = play_scenario("kind-strnager.scenario.yaml")\nchat'
        markdown = next(c for c in notebook["cells"] if c["cell_type"] == "markdown")
        markdown["source"] += "\n\n![map](images/missing.png) [next](https://example.com/lesson)"
    edit_notebook(course / LESSON, break_paths)
    messages = [str(p) for p in check_course(course)]
    assert any("'kind-strnager.scenario.yaml' does not exist" in m for m in messages)
    assert any("'images/missing.png' does not exist" in m for m in messages)
    assert any("must work offline" in m for m in messages)


def grade_cells(notebook):
    return [c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]


@pytest.mark.parametrize("defect, words", [
    ("duplicate-grade-id", "is used twice"),
    ("no-points", "needs points > 0"),
    ("no-skill-tag", "needs a skill tag"),
    ("unbalanced-markers", "unbalanced markers"),
])
def test_nbgrader_metadata_problems(course, defect, words):
    def damage(notebook):
        first, second = grade_cells(notebook)[:2]
        if defect == "duplicate-grade-id":
            second["metadata"]["nbgrader"]["grade_id"] = first["metadata"]["nbgrader"]["grade_id"]
        elif defect == "no-points":
            first["metadata"]["nbgrader"]["points"] = 0
        elif defect == "no-skill-tag":
            first["metadata"]["tags"] = [t for t in first["metadata"].get("tags", []) if not t.startswith("skill:")]
        else:
            first["source"] = (first["source"] if isinstance(first["source"], str) else "".join(first["source"])) + "\n### BEGIN HIDDEN TESTS\n"
    edit_notebook(course / ASSIGNMENT, damage)
    problem = only_problem(course, ASSIGNMENT, "cell ")
    assert words in problem.message


def test_manifest_problems_are_reported(course):
    path = course / "lessons" / "manifest.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("/unit01-online-kidnapping.vi.ipynb", "/unit01-online-kidnapping.vn.ipynb"), encoding="utf-8")
    messages = [str(p) for p in check_course(course)]
    assert any("lessons/manifest.yaml" in m and "units[0].notebooks.vi" in m and "does not exist" in m for m in messages)
    assert any("unit01-online-kidnapping.vi.ipynb" in m and "not listed" in m for m in messages)


def test_the_command_exits_nonzero_and_prints_locations(course, capsys):
    path = course / SCENARIO
    path.write_text(path.read_text(encoding="utf-8").replace("safe: true", "safe: maybe", 1), encoding="utf-8")
    (course / "lessons" / "README.md").unlink(missing_ok=True)
    assert main(["check", "--root", str(course)]) == 1
    out = capsys.readouterr().out
    assert f"{SCENARIO}:" in out and "expected boolean" in out


def test_help_is_there_for_every_subcommand(capsys):
    for command in ([], ["check"], ["nav"], ["clean"]):
        with pytest.raises(SystemExit) as exit_:
            main(command + ["--help"])
        assert exit_.value.code == 0
        assert "usage: notalone" in capsys.readouterr().out


def test_scenario_graph_problems_are_reported_with_their_node(course):
    path = course / SCENARIO
    text = path.read_text(encoding="utf-8")
    broken = text.replace("next: end-safe-early", "next: start", 1)
    assert broken != text
    path.write_text(broken, encoding="utf-8")
    problems = [p for p in check_course(course) if p.file == SCENARIO]
    assert any("loop:" in p.message and p.where.startswith("nodes.") and p.line for p in problems), problems
    assert any("cannot be reached" in p.message for p in problems), "the ending no longer reached is reported too"


GRADED_CHAT = "assessments/source/unit01-online-kidnapping/unit01-check.scenario.yaml"
GRADED_QUIZ = "assessments/source/unit01-online-kidnapping/unit01-check.quiz.yaml"


def test_a_graded_chat_whose_path_depends_on_the_choice_is_an_error(course):
    import yaml

    path = course / GRADED_CHAT
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    text = path.read_text(encoding="utf-8")
    first = data["nodes"][data["start"]]["decision"]["options"][0]
    later = [n for n in data["nodes"] if n not in (data["start"], first["next"])][0]
    lines = text.splitlines()
    # Send the first option of the first decision somewhere else than its siblings.
    index = next(i for i, line in enumerate(lines) if line.strip() == f"next: {first['next']}")
    lines[index] = lines[index].replace(first["next"], later)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problem = only_problem(course, GRADED_CHAT, f"nodes.{data['start']}.decision.options")
    assert "must lead to the same node" in problem.message and problem.line


def test_a_grade_cell_decided_in_the_kernel_is_an_error_that_names_cell_and_line(course):
    def change(notebook):
        cell = next(c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "red-flags-types")
        cell["source"] = ['"""Old style."""\n', "assert find_red_flags('') == []\n"]

    edit_notebook(course / ASSIGNMENT, change)
    problem = only_problem(course, ASSIGNMENT)
    assert "cell 'red-flags-types', line 2" in problem.message and "check(...) calls only" in problem.message


def test_a_right_answer_much_longer_than_the_others_is_a_warning(course):
    import yaml

    path = course / GRADED_QUIZ
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    right = next(o for o in data["questions"][0]["options"] if o.get("correct"))
    text = path.read_text(encoding="utf-8")
    old = right["text"]["en"]
    assert text.count(old) >= 1
    path.write_text(text.replace(old, old + " and then tell a trusted adult about everything that happened in detail", 1),
                    encoding="utf-8")
    problems = [p for p in check_course(course) if p.severity == "warning" and "much longer" in p.message]
    assert problems and problems[0].file == GRADED_QUIZ and data["questions"][0]["id"] in problems[0].where


# Safeguarding: the content warning, the help card at the end, one name per role --------------------

WARNED_CHAT = "assessments/source/unit04-no-secrets/unit04-check.scenario.yaml"
LESSON_CHAT = "lessons/unit07-share-with-family/talk-to-mum.scenario.yaml"


def replace_in(path, old, new, count=1):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def edit_warning(path, language, change):
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("content_warning:")
    index = next(i for i in range(start + 1, start + 3) if lines[i].startswith(f"  {language}: "))
    changed = change(lines[index])
    assert changed != lines[index]
    lines[index] = changed
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_every_chat_warning_names_111_and_says_the_student_can_stop(course):
    edit_warning(course / WARNED_CHAT, "vi", lambda line: line.replace("111", "cho thầy cô"))
    edit_warning(course / WARNED_CHAT, "en", lambda line: line.replace("You can stop at any time and talk", "Talk"))
    problems = [p for p in check_course(course) if p.file == WARNED_CHAT]
    assert any(p.where == "content_warning.vi" and "must name 111" in p.message and p.line for p in problems), problems
    assert any(p.where == "content_warning.en" and "can stop at any time" in p.message for p in problems), problems
    assert not any(p.where == "content_warning.en" and "111" in p.message for p in problems), "the English text still names 111"


def test_a_chat_without_a_content_warning_is_an_error(course):
    path = course / LESSON_CHAT
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("content_warning:")
    del lines[start:start + 3]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problem = only_problem(course, LESSON_CHAT, "content_warning")
    assert "needs a content_warning" in problem.message and "111" in problem.message


def test_the_course_passes_the_safeguarding_checks():
    from notalone.course import content_files
    from notalone.safeguarding import warning_problems
    from widgets.content import read_document

    chats = [path for path in content_files(REPO) if path.name.endswith(".scenario.yaml")]
    assert len(chats) >= 18 and any("my-scenario" in path.name for path in chats), "the student template is checked too"
    assert [p for path in chats for p in warning_problems(read_document(path))] == []
    problems = check_course(REPO)
    assert not [p for p in problems if "help card" in p.message or "one name, one role" in p.message
                or "'characters'" in p.message], problems


def test_a_lesson_that_does_not_end_with_the_help_card_is_reported(course):
    def add_a_last_cell(notebook):
        notebook["cells"].append({"cell_type": "markdown", "id": "goodbye", "metadata": {}, "source": ["See you next week!"]})
    edit_notebook(course / LESSON, add_a_last_cell)
    problem = only_problem(course, LESSON, "cell ")
    assert "must end with the help card" in problem.message and "show_help_card()" in problem.message


def test_an_assignment_that_does_not_end_with_the_help_card_is_reported(course):
    def drop_the_help_card(notebook):
        assert "show_help_card()" in "".join(notebook["cells"][-1]["source"])
        notebook["cells"].pop()
    edit_notebook(course / ASSIGNMENT, drop_the_help_card)
    problem = only_problem(course, ASSIGNMENT, "cell ")
    assert "must end with the help card" in problem.message


def test_the_help_card_of_an_assignment_is_not_a_grade_cell(course):
    def grade_the_help_card(notebook):
        notebook["cells"][-1]["metadata"]["nbgrader"].update(grade=True, points=1)
        notebook["cells"][-1]["metadata"]["tags"] = ["help-card", "skill:must-share"]
    edit_notebook(course / ASSIGNMENT, grade_the_help_card)
    problem = only_problem(course, ASSIGNMENT, "cell ")
    assert "must not be a grade cell" in problem.message


UNIT03_CHAT = "lessons/unit03-no-sharing/modelling-agency.scenario.yaml"
UNIT07_CHAT = "lessons/unit07-share-with-family/friend-secret.scenario.yaml"


def test_a_name_with_two_roles_is_an_error_in_both_files(course):
    # The old unit 3 story: the scammer was called Vy, the name of the best friend of unit 7.
    path = course / UNIT03_CHAT
    path.write_text(path.read_text(encoding="utf-8").replace("Diệp", "Vy"), encoding="utf-8")
    problems = [p for p in check_course(course) if "one name, one role" in p.message]
    here = next(p for p in problems if p.file == UNIT03_CHAT)
    assert "'Vy' is a scammer here but a friend in" in here.message and UNIT07_CHAT in here.message
    assert here.where.startswith("characters[") and here.line
    assert any(p.file == UNIT07_CHAT and "'Vy' is a friend here but a scammer in" in p.message for p in problems)


def test_a_chat_that_mentions_a_known_name_without_declaring_it_is_an_error(course):
    path = course / "assessments/source/unit07-share-with-family/unit07-check.scenario.yaml"
    replace_in(path, "  - {name: Hạnh, role: teacher}\n", "")
    problem = only_problem(course, "assessments/source/unit07-share-with-family/unit07-check.scenario.yaml", "nodes.")
    assert "mentions 'Hạnh' (a teacher in" in problem.message and "'characters'" in problem.message and problem.line


def test_a_declared_name_the_chat_never_uses_is_an_error(course):
    replace_in(course / UNIT03_CHAT, "  - {name: Minh, role: friend}\n", "  - {name: Minh, role: friend}\n  - {name: Zed, role: friend}\n")
    problem = only_problem(course, UNIT03_CHAT, "characters[")
    assert "'Zed' does not appear" in problem.message


def test_a_role_outside_the_list_is_a_schema_error(course):
    replace_in(course / UNIT03_CHAT, "{name: Minh, role: friend}", "{name: Minh, role: buddy}")
    problem = only_problem(course, UNIT03_CHAT, "characters[")
    assert "'buddy' is not one of" in problem.message


@pytest.mark.parametrize("name, text, expected", [
    ("Lâm", 'Một người tự xưng là "Đại úy Lâm" bên công an.', True),
    ("Lâm", "He says he is Captain Lâm of the police.", True),
    ("Lâm", "Quán cà phê Cỏ May gần bến xe Phước Lâm.", False),  # a place, not the person
    ("Minh", "Nhà nghỉ Bình Minh trên phố Hoa Mai.", False),
    ("Hạnh", "Kể với cô Hạnh chủ nhiệm.", True),
    ("Vy", "Tell Vy, your family or a teacher.", True),
    ("Vy", "Vyvy and Vy_2 are other names.", False),
    ("Hà", "Chị Hà lắng nghe.", True),
])
def test_what_counts_as_mentioning_a_name(name, text, expected):
    from notalone.safeguarding import mentions

    assert mentions(name, text) is expected
