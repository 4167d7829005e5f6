"""`notalone new`: a scaffolded lesson or scenario passes `check` and plays."""

import shutil

import nbformat
import pytest
from nbclient import NotebookClient

from notalone.cli import main
from notalone.course import check_course, load_manifest
from widgets import load_scenario
from widgets.scenario import ScenarioRun

from support import REPO


@pytest.fixture
def course(tmp_path, monkeypatch):
    shutil.copytree(REPO / "lessons", tmp_path / "lessons", ignore=shutil.ignore_patterns("notalone-progress*"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def errors(problems):
    return [p for p in problems if p.severity == "error"]


def test_a_new_lesson_is_registered_checks_clean_and_executes(course):
    assert main(["new", "lesson", "unit09-safe-gaming", "--title-en", "Safe gaming", "--title-vi", "Chơi game an toàn",
                 "--rules", "no-strangers", "must-share"]) == 0
    units, problems = load_manifest(course)
    units = [unit for unit in units if unit.kind == "unit"]  # the closing pledge is listed after the units
    assert not problems and units[-1].id == "unit09-safe-gaming" and units[-1].rules == ("no-strangers", "must-share")
    assert "Chơi game an toàn" in (course / "lessons" / "README.md").read_text(encoding="utf-8")
    problems = check_course(course)
    assert errors(problems) == []
    assert any("placeholder text" in p.message for p in problems), "TODO text is listed as a warning"
    assert main(["check", "--strict"]) == 1 and main(["check"]) == 0
    for language in ("en", "vi"):
        path = course / "lessons" / "unit09-safe-gaming" / f"unit09-safe-gaming.{language}.ipynb"
        notebook = nbformat.read(path, as_version=4)
        NotebookClient(notebook, timeout=120, resources={"metadata": {"path": str(path.parent)}}).execute()
        outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
        assert not [o for o in outputs if o.output_type == "error"]


def test_a_new_scenario_plays_to_every_ending(course):
    main(["new", "lesson", "unit09-safe-gaming", "--title-en", "Safe gaming", "--title-vi", "Chơi game an toàn"])
    assert main(["new", "scenario", "unit09-safe-gaming", "fake-giveaway", "--title-en", "A fake giveaway"]) == 0
    path = course / "lessons" / "unit09-safe-gaming" / "fake-giveaway.scenario.yaml"
    scenario = load_scenario(path)
    assert scenario.title["vi"] == "TODO(translate): A fake giveaway"
    endings = set()
    for first in ("safe-reply", "risky-reply"):
        for second in ("tell-family", "keep-secret"):
            run = ScenarioRun(scenario)
            run.choose(first)
            if not run.finished:
                run.choose(second)
            endings.add(run.ending)
    assert endings == {"safe-ending", "helped-ending", "at-risk-ending"}
    assert errors(check_course(course)) == []
    assert any(p.file.endswith("fake-giveaway.scenario.yaml") and "untranslated" in p.message for p in check_course(course))


def test_scaffolding_never_overwrites(course, capsys):
    assert main(["new", "lesson", "unit01-online-kidnapping", "--title-en", "Again"]) == 1
    assert "already exists; nothing was changed" in capsys.readouterr().err
    assert main(["new", "scenario", "unit01-online-kidnapping", "dream-scholarship", "--title-en", "x"]) == 1
    assert main(["new", "lesson", "Unit 9", "--title-en", "x"]) == 1
    assert "lower-case words joined by hyphens" in capsys.readouterr().err
    assert main(["new", "scenario", "unit42-nowhere", "x", "--title-en", "x"]) == 1
