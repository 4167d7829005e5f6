"""Load YAML content files, validate them against a JSON schema and report problems with line numbers."""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import yaml

from .errors import ContentError, Problem, display_path

PathKey = tuple  # a path into the document: ("nodes", "hello", "messages", 0)


def format_path(path: Iterable) -> str:
    """('nodes', 'hello', 'options', 1) -> 'nodes.hello.options[1]'."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _line_map(node: yaml.Node, path: PathKey = ()) -> dict[PathKey, int]:
    lines = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            lines.update(_line_map(value, path + (key.value,)))
            lines[path + (key.value,)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(_line_map(item, path + (index,)))
    return lines


class Document:
    """A parsed content file that remembers where each value came from."""

    def __init__(self, path: str | Path, data: Any, lines: dict[PathKey, int]):
        self.path = Path(path)
        self.name = display_path(path)
        self.data = data
        self._lines = lines

    def line_of(self, path: Iterable) -> int | None:
        path = tuple(path)
        while path not in self._lines and path:
            path = path[:-1]
        return self._lines.get(path)

    def problem(self, path: Iterable, message: str, severity: str = "error") -> Problem:
        path = tuple(path)
        return Problem(self.name, format_path(path) if path else "", message, self.line_of(path), severity)

    def strings(self, data=None, path: PathKey = ()):
        """Every (path, string) in the document."""
        data = self.data if data is None else data
        if isinstance(data, str):
            yield path, data
        elif isinstance(data, dict):
            for key, value in data.items():
                yield from self.strings(value, path + (key,))
        elif isinstance(data, list):
            for index, value in enumerate(data):
                yield from self.strings(value, path + (index,))


SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, about ten times faster, where installed


def read_document(path: str | Path) -> Document:
    """Parse a YAML file, turning syntax errors into a ContentError that names the line."""
    path = Path(path)
    name = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError([Problem(name, "", "file not found")]) from None
    except UnicodeDecodeError as error:
        raise ContentError([Problem(name, "", f"not UTF-8 text ({error.reason} at byte {error.start})")]) from None
    try:
        node = yaml.compose(text, Loader=SafeLoader)
        data = yaml.load(text, Loader=SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark, context = error.problem_mark, error.context_mark
        detail = f" ({error.context} that starts on line {context.line + 1})" if error.context and context else ""
        raise ContentError([Problem(name, "", f"invalid YAML: {error.problem}{detail}", mark.line + 1 if mark else None)]) from None
    if node is None:
        raise ContentError([Problem(name, "", "the file is empty")])
    return Document(path, data, _line_map(node))


@lru_cache(maxsize=None)
def schema(name: str) -> dict:
    """A bundled JSON schema, e.g. schema('scenario')."""
    return json.loads(resources.files("widgets").joinpath("schemas", f"{name}.schema.json").read_text("utf-8"))


def _describe(error) -> str:
    if error.validator == "additionalProperties":
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return f"{error.message}; expected only: {allowed}"
    if error.validator == "required":
        return f"{error.message} (required field missing)"
    if error.validator == "propertyNames":
        return f"invalid key: {error.message}"
    if error.validator == "pattern":
        hint = error.schema.get("description")
        return f"{error.instance!r} is not valid: expected {hint}" if hint else error.message
    if error.validator == "enum":
        return f"{error.instance!r} is not one of: {', '.join(map(str, error.validator_value))}"
    if error.validator == "minItems":
        return f"expected at least {error.validator_value} item(s), found {len(error.instance)}"
    if error.validator == "maxItems":
        return f"expected at most {error.validator_value} item(s), found {len(error.instance)}"
    if error.validator == "type":
        return f"expected {error.validator_value}, found {type(error.instance).__name__} {error.instance!r}"
    return error.message


def schema_problems(document: Document, schema_name: str) -> list[Problem]:
    """Every schema violation in the document, in file order. In the browser (Pyodide, `notalone lite build`)
    there is none to find: jsonschema cannot run there, and the build checked every content file."""
    if sys.platform == "emscripten":
        return []
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema(schema_name))
    problems = []
    for error in validator.iter_errors(document.data):
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            extra = [k for k in error.instance if k not in error.schema.get("properties", {})]
            path = path + (extra[0],) if extra else path
        problems.append(document.problem(path, _describe(error)))
    return sorted(problems, key=lambda p: (p.line or 0, p.where))


def load_validated(path: str | Path, schema_name: str) -> Document:
    """Read a YAML file and check it against a bundled schema; raise ContentError listing all problems."""
    document = read_document(path)
    problems = schema_problems(document, schema_name)
    if problems:
        raise ContentError(problems)
    return document


def load_content(path: str | Path, schema_name: str, *checks) -> Document:
    """Read a content file and check it: the schema, then translations, then each of `checks`
    (functions of the Document returning Problems). Raise ContentError listing every problem in file order."""
    from .i18n import translation_problems

    document = load_validated(path, schema_name)
    problems = translation_problems(document)
    for check in checks:
        problems += check(document)
    if problems:
        raise ContentError(sorted(problems, key=lambda p: (p.line or 0, p.where)))
    return document
