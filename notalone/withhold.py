"""Keep answer keys out of everything a student or a student's kernel gets.

- At release, nbgrader's GenerateAssignment runs `WithholdAnswers` (set in the course's
  nbgrader_config.py): every scenario and quiz file copied into release/ is replaced by its copy
  without the key (widgets.answers.withhold_answers).
- When grading, the kernel's folder gets the same withheld copies (`withhold_folder`).
- `release_leaks` lists any key left in a folder; `notalone release` refuses to finish while there is one.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from nbgrader.preprocessors import NbGraderPreprocessor

from widgets.answers import leaked_answers, withhold_answers
from widgets.content import SafeLoader

# File pattern -> content kind, for the kinds that have an answer key.
KEYED_FILES = {"*.scenario.yaml": "scenario", "*.quiz.yaml": "quiz"}


def keyed_files(folder: Path):
    """(path, kind) of every file in `folder` (recursively) of a kind with an answer key."""
    for pattern, kind in KEYED_FILES.items():
        for path in sorted(Path(folder).rglob(pattern)):
            if path.is_file() and not path.is_symlink():
                yield path, kind


def withhold_file(path: Path, kind: str) -> None:
    """Rewrite `path` without its key. Raises ValueError naming the file when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: cannot withhold its answers, it is not readable YAML ({error})") from None
    mode = path.stat().st_mode
    path.chmod(mode | 0o200)
    path.write_text(_withheld_text(path.name, kind, text), encoding="utf-8")
    path.chmod(mode)


_WITHHELD: dict[tuple, str] = {}


def _withheld_text(name: str, kind: str, text: str) -> str:
    """The released text of an author's file (remembered: grading withholds the same files for every student)."""
    if (name, kind, text) not in _WITHHELD:
        try:
            data = yaml.load(text, Loader=SafeLoader)
        except yaml.YAMLError as error:
            raise ValueError(f"{name}: cannot withhold its answers, it is not readable YAML ({error})") from None
        if not isinstance(data, dict):
            raise ValueError(f"{name}: cannot withhold its answers, expected a mapping at the top level")
        header = f"# Released copy of {name}: the answers are kept by your teacher's grader.\n"
        _WITHHELD[(name, kind, text)] = header + yaml.safe_dump(withhold_answers(kind, data), allow_unicode=True,
                                                                sort_keys=False, width=100)
    return _WITHHELD[(name, kind, text)]


def withhold_folder(folder: Path) -> list[Path]:
    """Withhold the answers of every keyed file in `folder`; returns the files rewritten."""
    done = []
    for path, kind in keyed_files(folder):
        withhold_file(path, kind)
        done.append(path)
    return done


def release_leaks(folder: Path) -> list[str]:
    """Every place in `folder` that still holds an answer (file: field path)."""
    leaks = []
    for path, kind in keyed_files(folder):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if isinstance(data, dict):
            leaks += [f"{path.relative_to(folder)}: {place}" for place in leaked_answers(kind, data)]
    return leaks


class WithholdAnswers(NbGraderPreprocessor):
    """GenerateAssignment step: replace the copied scenario and quiz files of the release with key-free copies."""

    def preprocess(self, nb, resources):
        assignment = resources["nbgrader"]["assignment"]
        coursedir = _coursedir(self)
        release = Path(coursedir.format_path(coursedir.release_directory, ".", assignment))
        withhold_folder(release)
        leaks = release_leaks(release)
        if leaks:
            raise ValueError(f"answers left in the release of {assignment}: {', '.join(leaks)}")
        return nb, resources


def _coursedir(preprocessor):
    parent = preprocessor.parent
    while parent is not None:
        if getattr(parent, "coursedir", None) is not None:
            return parent.coursedir
        parent = getattr(parent, "parent", None)
    from nbgrader.coursedir import CourseDirectory

    return CourseDirectory(config=preprocessor.config)


__all__ = ["KEYED_FILES", "WithholdAnswers", "keyed_files", "release_leaks", "withhold_folder"]
