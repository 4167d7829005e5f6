"""`notalone demo DIR`: a whole class in one command, so a teacher can try the cycle before their class does.

It sets up a course from assessments/, adds about 30 made-up students, releases every assignment,
writes realistic mixed submissions (scenario choices, quiz answers, code and reflections that
depend on each student's invented mastery of each rule; some late, one missing, a few with the
kinds of problems real classes have), grades them and writes the class report.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from importlib import resources
from pathlib import Path

import nbformat
import yaml

from widgets import load_quiz, load_scenario
from widgets.progress import ANSWER_KEY_FILE, PROGRESS_FILE, ProgressStore
from widgets.rules import rules

from .safe_csv import write_rows
from .teacher import add_students, collect, gradebook, init_course, release


@lru_cache(maxsize=None)
def class_data() -> dict:
    return yaml.safe_load(resources.files("notalone").joinpath("data", "demo-class.yaml").read_text("utf-8"))


def make_students(count: int, rng: random.Random) -> list[dict]:
    data, students = class_data(), []
    for number in range(1, count + 1):
        weak = rng.choice(list(rules()))
        mastery = {rule: min(0.97, max(0.15, rng.gauss(0.72, 0.15) - (0.3 if rule == weak else 0))) for rule in rules()}
        students.append({"id": f"hs{number:02d}", "first_name": rng.choice(data["given_names"]),
                         "last_name": rng.choice(data["family_names"]), "mastery": mastery,
                         "coding": min(0.95, max(0.1, rng.gauss(0.65, 0.2)))})
    return students


def _strip_markers(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def _play(scenario, mastery: dict, rng: random.Random) -> list[tuple[str, str]]:
    node, choices = scenario.nodes[scenario.start], []
    while node.decision:
        safe = [o for o in node.decision.options if o.safe]
        unsafe = [o for o in node.decision.options if not o.safe] or safe
        option = rng.choice(safe if rng.random() < mastery.get(node.decision.rule, 0.6) else unsafe)
        choices.append((node.id, option.id))
        node = scenario.nodes[option.next]
    return choices


def write_submission(root: Path, assignment: str, student: dict, rng: random.Random, submitted_at: datetime,
                     folder: Path | None = None) -> Path:
    """`folder` (default submitted/<student>/<assignment>/) built from the release, as this student might have done it."""
    release_dir, source_dir = root / "release" / assignment, root / "source" / assignment
    folder = folder or root / "submitted" / student["id"] / assignment
    shutil.copytree(release_dir, folder)
    (folder / "timestamp.txt").write_text(submitted_at.strftime("%Y-%m-%d %H:%M:%S.%f %Z"), encoding="utf-8")
    mean_mastery = sum(student["mastery"].values()) / len(student["mastery"])
    for path in sorted(release_dir.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        source = {c.metadata["nbgrader"]["grade_id"]: c for c in nbformat.read(source_dir / path.name, as_version=4).cells
                  if "nbgrader" in c.metadata}
        for cell in notebook.cells:
            meta = cell.metadata.get("nbgrader", {})
            if not meta.get("solution"):
                continue
            if cell.cell_type == "code" and rng.random() < student["coding"]:
                cell.source = _strip_markers(source[meta["grade_id"]].source)
            elif cell.cell_type == "markdown" and rng.random() < 0.85:
                cell.source = rng.choice(class_data()["reflections"])
        nbformat.write(notebook, folder / path.name)
    key_path = source_dir / ANSWER_KEY_FILE
    key = json.loads(key_path.read_text(encoding="utf-8")) if key_path.exists() else {}
    store = ProgressStore(folder / PROGRESS_FILE)
    for path in sorted(release_dir.glob("*.scenario.yaml")):
        scenario = load_scenario(source_dir / path.name)  # the author's file: the made-up class knows what is safe
        store.save_choices(scenario.id, _play(scenario, student["mastery"], rng))
    for path in sorted(release_dir.glob("*.quiz.yaml")):
        quiz = load_quiz(path)
        answers = key.get("quizzes", {}).get(quiz.id, {}).get("answers", {})
        chosen = {}
        for question in quiz.questions:
            right = answers.get(question.id)
            if right and rng.random() < student["mastery"].get(question.rule or "", mean_mastery):
                chosen[question.id] = right
            else:
                wrong = [o.id for o in question.options if o.id not in (right or [])] or [question.options[0].id]
                chosen[question.id] = [rng.choice(wrong)]
        store.save_quiz_answers(quiz.id, chosen)
    for section, entries in key.items():  # other activities (sorters, ...) as the answer key, if mastered
        if section not in ("format", "scenarios", "quizzes") and isinstance(entries, dict) and rng.random() < mean_mastery:
            for key, record in entries.items():
                if isinstance(record, dict):
                    store.update_entry(section, key, lambda saved, record=record: saved.update(json.loads(json.dumps(record))))
    for path in folder.rglob("*"):
        os.utime(path, (submitted_at.timestamp(), submitted_at.timestamp()))
    return folder


def build_class(root: Path, *, students: int = 30, seed: int = 2025, problems: bool = True,
                assignment_names: list[str] | None = None) -> dict:
    """Set up the course and its submissions. Returns {"students": [...], "assignments": [...], "notes": [...]}."""
    rng = random.Random(seed)
    root = Path(root)
    names = init_course(root)
    if assignment_names:
        names = [n for n in names if n in assignment_names]
    roster = make_students(students, rng)
    write_rows(root / "students.csv", ["id", "first_name", "last_name", "email"],
               ([student["id"], student["first_name"], student["last_name"], ""] for student in roster))
    add_students(root, root / "students.csv")
    due = datetime.now(timezone.utc) - timedelta(days=1)
    notes = []
    for assignment in names:
        release(root, assignment)
        with gradebook(root) as gb:
            gb.update_or_create_assignment(assignment, duedate=due.replace(tzinfo=None))
        # Handed in as a class does it: an LMS download with a folder per student, collected by `notalone collect`
        # (which also files a notebook saved under a wrong name under the right one, for every grader).
        inbox = root / "downloads" / assignment
        for index, student in enumerate(roster):
            if problems and index == len(roster) - 1:
                notes.append(f"{student['id']} did not hand in {assignment}")
                continue
            late = problems and rng.random() < 0.1
            submitted = due + timedelta(hours=rng.randint(1, 30)) if late else due - timedelta(hours=rng.randint(1, 48))
            folder = write_submission(root, assignment, student, rng, submitted, inbox / student["id"])
            if problems and index == 0:
                notebook = next(folder.glob("*.ipynb"))
                notebook.rename(folder / f"{notebook.stem} (1).ipynb")
                notes.append(f"{student['id']} handed in {assignment} under a wrong file name")
            if problems and index == 1:
                notebook = next(folder.glob("*.ipynb"))
                data = json.loads(notebook.read_text(encoding="utf-8"))
                for cell in data["cells"]:
                    if cell.get("metadata", {}).get("nbgrader", {}).get("grade") and cell["cell_type"] == "code":
                        cell["source"] = '"""Edited by the student."""\npass'
                        break
                notebook.write_text(json.dumps(data), encoding="utf-8")
                notes.append(f"{student['id']} edited a test cell in {assignment}")
        if inbox.exists():
            collect(root, assignment, inbox)
    return {"students": [s["id"] for s in roster], "assignments": names, "notes": notes}
