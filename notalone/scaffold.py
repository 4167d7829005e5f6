"""`notalone new`: scaffold lessons and scenarios from the templates in notalone/templates/."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from string import Template

import nbformat
import yaml

from widgets.i18n import FALLBACK_LANGUAGE, available_languages

from .course import MANIFEST, navigation_markdown

UNTRANSLATED = "TODO(translate): "
IDENTIFIER = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class ScaffoldError(ValueError):
    pass


def _template(name: str) -> str:
    return resources.files("notalone").joinpath("templates", name).read_text("utf-8")


def _check_identifier(kind: str, value: str) -> None:
    if not IDENTIFIER.match(value):
        raise ScaffoldError(f"{kind} {value!r} is not valid: use lower-case words joined by hyphens, e.g. unit09-safe-gaming")


def titles(given: dict[str, str | None]) -> dict[str, str]:
    """A title in every language; languages the author did not give are marked for translation."""
    known = {lang: text for lang, text in given.items() if text}
    if not known:
        raise ScaffoldError("give a title in at least one language, e.g. --title-en 'Safe gaming'")
    source = known.get(FALLBACK_LANGUAGE) or next(iter(known.values()))
    return {lang: known.get(lang) or UNTRANSLATED + source for lang in available_languages()}


def _yaml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _complete_translations(data):
    """Give every localized text every language the course has; missing ones are marked for translation."""
    if isinstance(data, dict):
        if FALLBACK_LANGUAGE in data and all(isinstance(v, str) for v in data.values()):
            return {**data, **{lang: UNTRANSLATED + data[FALLBACK_LANGUAGE] for lang in available_languages() if lang not in data}}
        return {key: _complete_translations(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_complete_translations(item) for item in data]
    return data


def _localized_template(name: str, values: dict[str, str]) -> str:
    """Fill a YAML template (keeping its header comment) with every text in every language."""
    text = Template(_template(name)).safe_substitute({k: v.replace('"', '\\"') for k, v in values.items()})
    header = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line + "\n")
    data = _complete_translations(yaml.safe_load(text))
    return "".join(header) + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110)


def new_scenario(root: Path, unit_id: str, name: str, title: dict[str, str | None]) -> Path:
    """lessons/<unit>/<name>.scenario.yaml: a small valid graph to rewrite."""
    _check_identifier("scenario name", name)
    folder = root / "lessons" / unit_id
    if not folder.is_dir():
        raise ScaffoldError(f"lessons/{unit_id} does not exist; create the lesson first with `notalone new lesson {unit_id}`")
    path = folder / f"{name}.scenario.yaml"
    if path.exists():
        raise ScaffoldError(f"{path.relative_to(root)} already exists; nothing was changed")
    full = titles(title)
    values = {"scenario_id": f"{unit_id.split('-')[0]}-{name}", **{f"title_{lang}": text for lang, text in full.items()}}
    path.write_text(_localized_template("scenario.yaml", values), encoding="utf-8")
    return path


def _lesson_notebook(language: str, values: dict[str, str]) -> nbformat.NotebookNode:
    spec = yaml.safe_load(_template("lesson.yaml"))
    notebook = nbformat.v4.new_notebook()
    notebook.metadata = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
                         "language_info": {"name": "python"}}
    for number, cell in enumerate(spec["cells"], 1):
        if cell["type"] == "code":
            text = Template(cell["source"]).safe_substitute(values, language=language).rstrip("\n")
            new = nbformat.v4.new_code_cell(text)
        else:
            body = cell.get(language) or UNTRANSLATED + cell[FALLBACK_LANGUAGE]
            new = nbformat.v4.new_markdown_cell(Template(body).safe_substitute(values).rstrip("\n"))
        new.metadata = {"tags": [cell["section"]]}
        new.id = f"{cell['section']}-{number}"
        notebook.cells.append(new)
    return notebook


def new_lesson(root: Path, unit_id: str, title: dict[str, str | None], rules: list[str] | None = None) -> list[Path]:
    """A unit folder with a lesson notebook per language, a scenario and a self-check, registered in the manifest."""
    _check_identifier("unit id", unit_id)
    folder = root / "lessons" / unit_id
    if folder.exists():
        raise ScaffoldError(f"lessons/{unit_id} already exists; nothing was changed")
    full = titles(title)
    manifest = root / MANIFEST
    if unit_id in {u.get("id") for u in (yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}).get("units", [])}:
        raise ScaffoldError(f"{MANIFEST} already lists {unit_id!r}; nothing was changed")
    folder.mkdir(parents=True)
    values = {"scenario": "scenario.scenario.yaml", "quiz": "self-check.quiz.yaml",
              **{f"title_{lang}": text for lang, text in full.items()}}
    created = [new_scenario(root, unit_id, "scenario", title)]
    quiz = folder / "self-check.quiz.yaml"
    quiz.write_text(_localized_template("quiz.yaml", {"quiz_id": f"{unit_id.split('-')[0]}-self-check"}), encoding="utf-8")
    created.append(quiz)
    notebooks = {}
    for language in available_languages():
        path = folder / f"{folder.name}.{language}.ipynb"
        path.write_text(json.dumps(_lesson_notebook(language, values), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        notebooks[language] = f"{unit_id}/{path.name}"
        created.append(path)
    entry = (f"  - id: {unit_id}\n"
             f"    title: {{{', '.join(f'{lang}: {_yaml_string(text)}' for lang, text in full.items())}}}\n"
             f"    notebooks: {{{', '.join(f'{lang}: {nb}' for lang, nb in notebooks.items())}}}\n"
             f"    rules: [{', '.join(rules or [])}]\n")
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text + ("" if text.endswith("\n") else "\n") + entry, encoding="utf-8")
    (root / "lessons" / "README.md").write_text(navigation_markdown(root), encoding="utf-8")
    return created + [manifest, root / "lessons" / "README.md"]
