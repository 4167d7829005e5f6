"""The Vietnamese glossary (lessons/glossary.yaml) and its check in `notalone check`.

Narration and explanations use the one chosen form of each key term; the check names the file,
the place and the term to use for every variant, leaves dialogue alone, and fails only under
--strict.
"""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from notalone.cli import main
from notalone.course import check_course
from notalone.glossary import GLOSSARY, findings, glossary_problems, is_vietnamese, load_glossary

from support import REPO

QUIZ = "lessons/unit05-block-and-report/self-check.quiz.yaml"
SCENARIO = "lessons/unit01-online-kidnapping/dream-scholarship.scenario.yaml"
LESSON = "lessons/unit01-online-kidnapping/unit01-online-kidnapping.vi.ipynb"
ASSIGNMENT = "assessments/source/unit01-online-kidnapping/unit01-online-kidnapping.ipynb"


@pytest.fixture(scope="module")
def variants():
    found, problems = load_glossary(REPO / GLOSSARY)
    assert problems == []
    return found


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A copy of the course (lessons, assignments, teacher guide) to write variants into."""
    shutil.copytree(REPO / "lessons", tmp_path / "lessons", ignore=shutil.ignore_patterns("notalone-progress*"))
    shutil.copytree(REPO / "assessments" / "source", tmp_path / "assessments" / "source")
    shutil.copytree(REPO / "teacher-guide", tmp_path / "teacher-guide")
    monkeypatch.chdir(tmp_path)
    assert glossary_problems(tmp_path) == []
    return tmp_path


def warnings(root):
    return [p for p in glossary_problems(root) if p.severity == "warning"]


def replace_once(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def edit_notebook(path, change):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    change(notebook)
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False), encoding="utf-8")


# The glossary itself ------------------------------------------------------------------------

def test_the_glossary_fixes_the_key_terms(variants):
    terms = {term["en"]: term for term in yaml.safe_load((REPO / GLOSSARY).read_text(encoding="utf-8"))["terms"]}
    chosen = {english: term["vi"] for english, term in terms.items()}
    assert chosen["trusted adult"] == "người lớn đáng tin cậy"
    assert chosen["red flag (warning sign)"] == "dấu hiệu cảnh báo"
    assert chosen["hang up"] == "cúp máy"
    assert chosen["the 3 Nos"] == "3 Không" and chosen["the 3 Musts"] == "3 Phải"
    for english in ("online kidnapping", "block (an account)", "report (on a platform)", "verify (information)",
                    "personal information", "sensitive photo", "keep a secret", "stranger", "scam / scammer",
                    "fake police", "hotline (111)", "screenshot", "help card"):
        assert english in chosen, f"the glossary has no entry for {english!r}"
    # the known inconsistencies are listed as variants: "trusted adult" four ways, "red flag" and "hang up" two ways
    avoided = {variant.text for variant in variants}
    assert {"người lớn bạn tin tưởng", "người lớn đáng tin", "người lớn tin cậy", "người lớn mình tin tưởng"} <= avoided
    assert {"dấu hiệu nguy hiểm", "tắt máy"} <= avoided
    # regional differences are marked, and narration uses the northern form
    regional = {english: term["regional"] for english, term in terms.items() if "regional" in term}
    assert regional["parents"] == {"north": "bố mẹ", "south": "ba mẹ, ba má"}
    assert all(terms[english]["vi"] in forms["north"] for english, forms in regional.items())


def test_a_broken_glossary_is_an_error_with_its_line(course):
    path = course / GLOSSARY
    replace_once(path, "    vi: dấu hiệu cảnh báo\n", "")
    problems = glossary_problems(course)
    assert problems and all(p.severity == "error" for p in problems)
    assert any(p.file == str(GLOSSARY) and "vi" in p.message and p.line for p in problems)


def test_a_variant_that_is_the_chosen_term_is_an_error(course):
    replace_once(course / GLOSSARY, "      - dấu hiệu đáng ngờ\n", "      - dấu hiệu cảnh báo\n")
    (problem,) = [p for p in glossary_problems(course) if p.severity == "error"]
    assert "is the chosen term" in problem.message and problem.where.startswith("terms[")


# What is reported, and where ------------------------------------------------------------------

def test_a_variant_in_an_explanation_is_reported_with_its_line_field_and_the_term_to_use(course):
    path = course / QUIZ
    lines = path.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if "explanation:" in line and "{" not in line)
    vi = next(i for i in range(index, len(lines)) if lines[i].strip().startswith("vi:"))
    lines[vi] = lines[vi].replace('vi: "', 'vi: "Hãy kể với người lớn tin cậy. ', 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (problem,) = warnings(course)
    assert problem.file == QUIZ and problem.line == vi + 1
    assert problem.where.startswith("questions[") and problem.where.endswith(".explanation.vi")
    assert problem.message.startswith('"người lớn tin cậy": write "người lớn đáng tin cậy" (trusted adult')
    assert str(problem).startswith(f"{QUIZ}:{vi + 1}: questions[")
    assert "warning: " in str(problem)


def test_a_variant_in_a_lesson_cell_names_the_cell_and_line(course):
    def add(notebook):
        cell = next(c for c in notebook["cells"] if "narrative" in c["metadata"].get("tags", []))
        cell["source"] = ["Dòng đầu.\n", "Nếu sợ, hãy tắt máy và kể với bố mẹ.\n"]
    edit_notebook(course / LESSON, add)
    notebook = json.loads((course / LESSON).read_text(encoding="utf-8"))
    number = next(i for i, c in enumerate(notebook["cells"], 1) if "narrative" in c["metadata"].get("tags", []))
    (problem,) = warnings(course)
    assert (problem.file, problem.where) == (LESSON, f"cell {number}, line 2")
    assert 'write "cúp máy"' in problem.message


def test_dialogue_keeps_a_characters_voice(course):
    path = course / SCENARIO
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    messages = [m for node in data["nodes"].values() for m in node.get("messages", [])]
    spoken = next(m for m in messages if m.get("from", "contact") == "contact")
    spoken["text"]["vi"] = "Ba má bạn hông hiểu đâu. " + spoken["text"]["vi"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert warnings(course) == []
    narrator = next(m for m in messages if m.get("from") == "narrator")
    narrator["text"]["vi"] = "Ba mẹ bạn đến. " + narrator["text"]["vi"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (problem,) = warnings(course)
    assert ".messages[" in problem.where and 'write "bố mẹ"' in problem.message


def test_quotations_and_marked_paragraphs_are_dialogue(course, variants):
    assert findings('Kẻ xấu nhắn: "Đừng tắt máy, ba mẹ em không cần biết."', variants) == []
    assert [words for _, words, _ in findings("Cúp máy đi. Đừng tắt máy.", variants)] == ["tắt máy"]
    path = course / "teacher-guide" / "vi" / "unit01-online-kidnapping.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n<!-- dialogue -->\nKai: tui hông có ý gì đâu.\n\n"
                    "Hãy gọi đường dây nóng 111.\n", encoding="utf-8")
    (problem,) = warnings(course)
    assert problem.file == "teacher-guide/vi/unit01-online-kidnapping.md" and '"đường dây nóng"' in problem.message
    assert problem.line == len(path.read_text(encoding="utf-8").splitlines())


def test_the_chosen_term_and_its_accepted_forms_are_never_reported(variants):
    text = ("Hãy kể với người lớn đáng tin cậy. Chụp màn hình làm bằng chứng. Một tấm hình ảnh nhạy cảm. "
            "Bấm ⋯, chọn Block (Chặn). Tìm Report (Báo cáo). Công an giả. Bộ GD-ĐT.")
    assert findings(text, variants) == []


def test_only_the_vietnamese_half_of_a_bilingual_assignment_is_checked(course):
    def add(notebook):
        notebook["cells"][0]["source"] += ["\n\nBlock and report the account, then tell a trusted adult. · "
                                           "Hãy block tài khoản rồi kể với người lớn bạn tin tưởng.\n"]
    edit_notebook(course / ASSIGNMENT, add)
    found = sorted(p.message.split(":")[0] for p in warnings(course))
    assert found == ['"block"', '"người lớn bạn tin tưởng"']
    assert is_vietnamese("Hãy kể với người lớn") and not is_vietnamese("Tell a trusted adult, Đức")


# The command ---------------------------------------------------------------------------------

def test_a_variant_is_a_warning_that_fails_only_under_strict(course, capsys, monkeypatch):
    import notalone.cli

    monkeypatch.setattr(notalone.cli, "check_course", glossary_problems)  # this check alone, whatever else is in progress
    replace_once(course / QUIZ, 'vi: "', 'vi: "Gọi đường dây nóng 111. ')
    assert main(["check", "--root", str(course)]) == 0
    out = capsys.readouterr().out
    assert f"{QUIZ}:" in out and 'warning: "đường dây nóng": write "tổng đài" (hotline (111)' in out
    assert main(["check", "--root", str(course), "--strict"]) == 1


def test_check_course_runs_the_glossary_check(course):
    replace_once(course / QUIZ, 'vi: "', 'vi: "Gọi đường dây nóng 111. ')
    assert any(p.file == QUIZ and 'write "tổng đài"' in p.message and p.severity == "warning" for p in check_course(course))


# The course -----------------------------------------------------------------------------------

def test_the_course_uses_the_glossary_terms():
    problems = glossary_problems(REPO)
    assert problems == [], "\n".join(str(p) for p in problems)

