"""The teacher's course folder: set up from assessments/, students from a CSV, release, collect.

Everything stays in nbgrader's own layout (source/, release/, submitted/, autograded/,
feedback/, gradebook.db), so plain nbgrader commands and formgrader keep working.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import os
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .safe_text import printable

PROGRESS_FILE = "notalone-progress.json"
REVIEW_FOLDER = "collect-review"  # files that could be more than one student's, kept for the teacher to decide
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
MAX_ZIP_BYTES = 500 * 2**20
MAX_MEMBER_BYTES = 50 * 2**20


class CourseError(ValueError):
    """A teacher-facing problem: says which file, where, and what was expected."""


def repository_assessments() -> Path:
    """assessments/ of the course as shipped: this checkout's, or the copy installed with the package."""
    from .locations import course_root

    return course_root() / "assessments"


def ensure_scripts_on_path() -> None:
    """nbgrader's gradebook runs `alembic` from PATH: make this environment's scripts findable
    even when the environment is not activated."""
    import os
    import sys

    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")


def gradebook(root: Path):
    from nbgrader.api import Gradebook

    ensure_scripts_on_path()
    return Gradebook(f"sqlite:///{Path(root) / 'gradebook.db'}", course_id=course_id(root))


def course_id(root: Path) -> str:
    text = (Path(root) / "nbgrader_config.py").read_text(encoding="utf-8")
    match = re.search(r"course_id\s*=\s*['\"]([^'\"]+)['\"]", text)
    return match.group(1) if match else "not-alone"


def assignments(root: Path) -> list[str]:
    return sorted(p.name for p in (Path(root) / "source").iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def init_course(destination: Path, template: Path | None = None) -> list[str]:
    """Copy nbgrader_config.py and source/ into `destination` and register every assignment in a new gradebook."""
    template = Path(template or repository_assessments())
    destination = Path(destination)
    if not (template / "nbgrader_config.py").exists() or not (template / "source").is_dir():
        raise CourseError(f"{printable(template)}: expected nbgrader_config.py and source/ (the course's assessments/ folder)")
    if destination.exists() and any(destination.iterdir()):
        raise CourseError(f"{printable(destination)} is not empty: choose a new folder (nothing was changed)")
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy2(template / "nbgrader_config.py", destination / "nbgrader_config.py")
    shutil.copytree(template / "source", destination / "source",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", PROGRESS_FILE))
    names = assignments(destination)
    with gradebook(destination) as gb:
        for name in names:
            gb.update_or_create_assignment(name)
    return names


def add_students(root: Path, csv_path: Path) -> list[str]:
    """Add or update students from a CSV with the columns id, first_name, last_name and (optional) email."""
    csv_path = Path(csv_path)
    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise CourseError(f"{printable(csv_path)}: cannot read it as UTF-8 text ({error})") from None
    rows = list(csv.DictReader(io.StringIO(text)))
    header = [h.strip().lower() for h in (next(csv.reader(io.StringIO(text)), []) or [])]
    if "id" not in header:
        raise CourseError(f"{printable(csv_path)}:1: expected a header row with the columns id, first_name, last_name, email; "
                          f"found: {printable(', '.join(header)) or 'nothing'}")
    problems, students, seen = [], [], {}
    for line, row in enumerate(rows, 2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        student = row.get("id", "")
        if not STUDENT_ID.match(student):
            problems.append(f"{printable(csv_path)}:{line}: id {printable(repr(student))} is not valid: use letters, digits, '.', '_' "
                            "or '-' (it names a folder)")
        elif student in seen:
            problems.append(f"{printable(csv_path)}:{line}: id {student!r} is already on line {seen[student]}")
        else:
            seen[student] = line
            students.append((student, row))
    if problems:
        raise CourseError("\n".join(problems))
    with gradebook(root) as gb:
        for student, row in students:
            gb.update_or_create_student(student, first_name=row.get("first_name") or None,
                                        last_name=row.get("last_name") or None, email=row.get("email") or None)
    return [student for student, _ in students]


def nbgrader_api(root: Path, overrides=None):
    """nbgrader's Python API for the course in `root`, configured as nbgrader would be there (Jupyter's
    configuration folders, then the course's nbgrader_config.py), and `overrides` (a Config)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from .config import course_config

    ensure_scripts_on_path()
    config = course_config(Path(root))
    if overrides is not None:
        config.merge(overrides)
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def release(root: Path, assignment: str, *, exchange: bool = False) -> dict:
    """nbgrader generate_assignment (and release_assignment to the exchange when asked)."""
    if assignment not in assignments(root):
        raise CourseError(f"{printable(root)}/source: no assignment {printable(repr(assignment))}; "
                          f"expected one of: {printable(', '.join(assignments(root)))}")
    api = nbgrader_api(root)
    result = api.generate_assignment(assignment, force=True)
    if result.get("success"):
        from .withhold import release_leaks

        leaks = release_leaks(Path(root) / "release" / assignment)
        if leaks:
            raise CourseError(f"the release of {assignment} still holds answers ({'; '.join(leaks[:5])}). Add "
                              "notalone.withhold.WithholdAnswers to c.GenerateAssignment.preprocessors in nbgrader_config.py "
                              "(as the course's own file does), then release again.")
    if result.get("success") and exchange:
        result = api.release_assignment(assignment)
    if not result.get("success"):
        raise CourseError(f"nbgrader could not release {assignment}:\n{result.get('error') or result.get('log')}")
    return result


@dataclass
class CollectReport:
    collected: dict = field(default_factory=dict)       # student -> [files]
    late: dict = field(default_factory=dict)            # student -> seconds late
    duplicates: list = field(default_factory=list)      # (student, kept, ignored)
    unknown: list = field(default_factory=list)         # files that match no student
    ambiguous: list = field(default_factory=list)       # (file, [students], where it is kept): collected for no one
    skipped: list = field(default_factory=list)         # (file, reason)
    missing: list = field(default_factory=list)         # students with nothing
    review: Path | None = None                          # the folder that keeps the ambiguous files

    def lines(self) -> list[str]:
        """The report for the teacher; names and ids with control or bidi characters are shown escaped."""
        p = printable
        out = [f"collected {len(self.collected)} submission(s)"]
        out += [f"late: {p(s)} ({_duration(v)} after the due date)" for s, v in sorted(self.late.items())]
        out += [f"duplicate: {p(s)}: kept {p(k)} (newest), ignored {p(i)}" for s, k, i in self.duplicates]
        out += [f"unknown student: {p(f)} matches no student id" for f in self.unknown]
        out += [f"ambiguous: {p(f)} names more than one student ({' and '.join(map(p, s))}): collected for none of them, "
                f"kept as {p(kept)}" for f, s, kept in self.ambiguous]
        out += [f"skipped: {p(f)}: {p(r)}" for f, r in self.skipped]
        out += [f"missing: {p(s)} submitted nothing" for s in self.missing]
        if self.ambiguous:
            out.append(f"to decide: the ambiguous files are in {p(self.review)}; when you know whose each one is, put it "
                       "under that student's name in the download and collect again")
        return out


def _duration(seconds: float) -> str:
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min {rest % 60} s"


@dataclass
class _Entry:
    name: str           # path inside the folder or zip
    modified: datetime
    read: object        # () -> bytes
    size: int


def _entries(source: Path) -> tuple[list[_Entry], list]:
    skipped = []
    if source.is_dir():
        entries = []
        for path in sorted(source.rglob("*")):
            if path.is_symlink():
                skipped.append((str(path.relative_to(source)), "a link, not a file"))
            elif path.is_file():
                entries.append(_Entry(str(path.relative_to(source)), datetime.fromtimestamp(path.stat().st_mtime, timezone.utc),
                                      path.read_bytes, path.stat().st_size))
        return entries, skipped
    if source.is_file() and source.suffix == ".ipynb":  # one student's one-file hand-in (e.g. from JupyterLite)
        return [_Entry(source.name, datetime.fromtimestamp(source.stat().st_mtime, timezone.utc), source.read_bytes,
                       source.stat().st_size)], skipped
    if not zipfile.is_zipfile(source):
        raise CourseError(f"{printable(source)}: expected a folder, a .zip file of notebooks, or one notebook (.ipynb)")
    archive = zipfile.ZipFile(source)
    entries, total = [], 0
    for info in archive.infolist():
        if info.is_dir():
            continue
        parts = Path(info.filename).parts
        if info.filename.startswith("/") or ".." in parts:
            skipped.append((info.filename, "unsafe path in the zip"))
            continue
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            skipped.append((info.filename, "a link, not a file"))
            continue
        total += info.file_size
        if info.file_size > MAX_MEMBER_BYTES or total > MAX_ZIP_BYTES:
            skipped.append((info.filename, f"too large ({info.file_size // 2**20} MB)"))
            continue
        modified = datetime(*info.date_time, tzinfo=timezone.utc)
        entries.append(_Entry(info.filename, modified, lambda info=info: archive.read(info), info.file_size))
    return entries, skipped


def _keep_for_review(entry: _Entry, folder: Path) -> Path:
    """Copy `entry` into `folder` under its own path (never over another file), with its time; returns the copy."""
    target = folder / entry.name
    if folder.resolve() not in target.resolve().parents:
        target = folder / Path(entry.name).name
    copy, number = target, 2
    while copy.exists():
        copy, number = target.with_name(f"{target.stem} ({number}){target.suffix}"), number + 1
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(entry.read())
    os.utime(copy, (entry.modified.timestamp(), entry.modified.timestamp()))
    return copy


def _tokens(name: str) -> set[str]:
    return {token.lower() for token in re.split(r"[^A-Za-z0-9]+", name) if token}


def collect(root: Path, assignment: str, source: Path | None = None, *, due: datetime | None = None) -> CollectReport:
    """Collect submissions into submitted/<student>/<assignment>/.

    source None: nbgrader's exchange (a shared JupyterHub). Otherwise a folder or zip (from an
    LMS or USB sticks): each file is matched to the student whose id appears in its path (or in
    the name of the folder or zip itself) as a whole word; the newest of duplicates is kept; a replaced submission is archived, not lost.
    A file whose path names more than one student (lan01/minh02_unit01.ipynb) is collected for
    none of them: it is copied into collect-review/<assignment>-<time>/ for the teacher to decide.
    """
    root = Path(root)
    report = CollectReport()
    if source is None:
        result = nbgrader_api(root).collect(assignment)
        if not result.get("success"):
            raise CourseError(f"nbgrader collect failed:\n{result.get('error') or result.get('log')}")
        with gradebook(root) as gb:
            for student in gb.students:
                folder = root / "submitted" / student.id / assignment
                if folder.exists():
                    report.collected[student.id] = sorted(p.name for p in folder.iterdir())
                else:
                    report.missing.append(student.id)
        return report
    source = Path(source)
    notebooks = sorted(p.name for p in (root / "source" / assignment).glob("*.ipynb"))
    if not notebooks:
        raise CourseError(f"{printable(root)}/source/{printable(assignment)}: no such assignment")
    with gradebook(root) as gb:
        students = [s.id for s in gb.students]
        record = gb.find_assignment(assignment)
        due = due or (record.duedate.replace(tzinfo=timezone.utc) if record.duedate else None)
    by_token = {s.lower(): s for s in students}
    entries, report.skipped = _entries(source)
    scope = source.stem if source.is_file() else source.name  # one student's own folder or zip names them too
    chosen: dict[tuple[str, str], _Entry] = {}
    held: list[tuple[_Entry, list[str]]] = []
    for entry in entries:
        matches = sorted({by_token[t] for t in _tokens(f"{scope}/{entry.name}") if t in by_token})
        if not matches:
            report.unknown.append(entry.name)
            continue
        base = Path(entry.name).name
        if base.endswith(".ipynb"):
            target = next((n for n in notebooks if n[:-6].lower() in base.lower()), notebooks[0] if len(notebooks) == 1 else base)
        elif "notalone-progress" in base:
            target = PROGRESS_FILE
        elif fnmatch.fnmatch(base, "*.yaml") or base == "timestamp.txt":
            continue  # course files come from source/; timestamps are taken from the files
        else:
            target = base
        if len(matches) > 1:
            # e.g. lan01/minh02_unit01.ipynb: whoever it belongs to, it must not replace (or become) either one's work
            held.append((entry, matches))
            continue
        key = (matches[0], target)
        if key in chosen:
            older, newer = sorted([chosen[key], entry], key=lambda e: e.modified)
            report.duplicates.append((matches[0], newer.name, older.name))
            chosen[key] = newer
        else:
            chosen[key] = entry
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    if held:
        report.review = root / REVIEW_FOLDER / f"{assignment}-{stamp}"
        for entry, matches in held:
            report.ambiguous.append((entry.name, matches, _keep_for_review(entry, report.review)))
    for student in sorted({s for s, _ in chosen}):
        folder = root / "submitted" / student / assignment
        if folder.exists():
            folder.rename(folder.with_name(f"{assignment}.replaced-{stamp}"))
        folder.mkdir(parents=True)
        files = {target: entry for (s, target), entry in chosen.items() if s == student}
        for target, entry in files.items():
            (folder / target).write_bytes(entry.read())
        submitted_at = max(e.modified for e in files.values())
        (folder / "timestamp.txt").write_text(submitted_at.strftime("%Y-%m-%d %H:%M:%S.%f %Z"), encoding="utf-8")
        report.collected[student] = sorted(files)
        if due and submitted_at > due:
            report.late[student] = (submitted_at - due).total_seconds()
    report.missing = [s for s in students if s not in report.collected and not (root / "submitted" / s / assignment).exists()]
    return report
