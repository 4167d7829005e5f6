"""Tests of a student's code that a grader can decide outside the student's kernel.

A grade cell is a list of `check(...)` calls:

    check(find_red_flags, "SECRET secret", expect=["secrecy"], why="Ignore upper and lower case.")
    check(dms_to_decimal, (1, 0, 0), "X", raises=ValueError)
    check(dms_to_decimal, (21, 0, 52.92), "N", expect=21.0147, tol=1e-6)
    check(lambda: MY_SCENARIO, satisfies="peer-scenario-valid")

In a student's notebook `check` runs the call and raises AssertionError with a clear message.
When the teacher grades, the grader sends the kernel the same calls WITHOUT the expected values
(`probe`): each result leaves the kernel as plain, typed data (`plain`), and the grader compares it
with the expected value it kept (`verdict`). An object that claims to equal anything, a patched
builtin, a fake output or a kernel that stops cannot make a check pass: only the right value can.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any, Callable

OUTCOME_MIME = "application/vnd.notalone.outcome+json"
MAX_ITEMS = 100_000
MAX_DEPTH = 32


class _Budget:
    def __init__(self):
        self.items = 0


def plain(value: Any, _budget: _Budget | None = None, _depth: int = 0) -> list:
    """A tagged, JSON-ready copy of `value` that keeps exact types: ["int", "3"], ["list", [...]], ...

    Only built-in data types are copied; anything else (a subclass included) becomes
    ["other", type name, short repr], which never equals an expected value."""
    budget = _budget or _Budget()
    budget.items += 1
    if budget.items > MAX_ITEMS or _depth > MAX_DEPTH:
        return ["other", "too-large", ""]
    kind = type(value)
    if value is None:
        return ["none"]
    if kind is bool:
        return ["bool", bool(value)]
    if kind is int:
        return ["int", int.__repr__(value)]
    if kind is float:
        return ["float", float.__repr__(value)]
    if kind is str:
        return ["str", str.__str__(value)]
    if kind is bytes:
        return ["bytes", base64.b64encode(bytes(value)).decode("ascii")]
    if kind in (list, tuple):
        return [kind.__name__, [plain(item, budget, _depth + 1) for item in list.__iter__(value)]
                if kind is list else [plain(item, budget, _depth + 1) for item in tuple.__iter__(value)]]
    if kind in (set, frozenset):
        items = [plain(item, budget, _depth + 1) for item in (set.__iter__(value) if kind is set else frozenset.__iter__(value))]
        return [kind.__name__, sorted(items, key=_sort_key)]
    if kind is dict:
        pairs = [[plain(key, budget, _depth + 1), plain(item, budget, _depth + 1)] for key, item in dict.items(value)]
        return ["dict", sorted(pairs, key=lambda pair: _sort_key(pair[0]))]
    try:
        text = object.__repr__(value)
    except Exception:  # noqa: BLE001 - a hostile object
        text = "?"
    return ["other", getattr(kind, "__name__", "?"), text[:200]]


def _sort_key(item: list) -> str:
    return json.dumps(item, sort_keys=True, ensure_ascii=False)


def same(actual: list, expected: list, tol: float | None = None) -> bool:
    """Whether two plain values are equal, type included; floats within `tol` when it is given."""
    if not (isinstance(actual, list) and isinstance(expected, list)) or not actual or actual[0] != expected[0]:
        return False
    tag = expected[0]
    if tag == "float":
        try:
            got, want = float(actual[1]), float(expected[1])
        except (TypeError, ValueError, IndexError):
            return False
        if tol is not None:
            return math.isclose(got, want, rel_tol=0.0, abs_tol=tol)
        return got == want
    if tag in ("list", "tuple", "set", "frozenset"):
        return len(actual) == 2 and isinstance(actual[1], list) and len(actual[1]) == len(expected[1]) and all(
            same(a, e, tol) for a, e in zip(actual[1], expected[1]))
    if tag == "dict":
        if len(actual) != 2 or not isinstance(actual[1], list) or len(actual[1]) != len(expected[1]):
            return False
        return all(isinstance(a, list) and len(a) == 2 and same(a[0], e[0]) and same(a[1], e[1], tol)
                   for a, e in zip(actual[1], expected[1]))
    if tag == "other":
        return False
    return actual == expected


def shown(value: list) -> str:
    """A plain value written as Python, for messages."""
    try:
        tag = value[0]
        if tag == "none":
            return "None"
        if tag == "bool":
            return repr(bool(value[1]))
        if tag in ("int", "float"):
            return str(value[1])
        if tag == "str":
            return repr(value[1])
        if tag == "bytes":
            return f"<{len(base64.b64decode(value[1]))} bytes>"
        if tag == "list":
            return "[" + ", ".join(shown(v) for v in value[1]) + "]"
        if tag == "tuple":
            items = [shown(v) for v in value[1]]
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if tag in ("set", "frozenset"):
            inner = ", ".join(shown(v) for v in value[1])
            return f"{tag}({{{inner}}})" if tag == "frozenset" else (f"{{{inner}}}" if inner else "set()")
        if tag == "dict":
            return "{" + ", ".join(f"{shown(k)}: {shown(v)}" for k, v in value[1]) + "}"
        return f"<{value[1]} object>"
    except Exception:  # noqa: BLE001 - a malformed outcome
        return "<unreadable value>"


def outcome_of(function: Callable, args: tuple) -> dict:
    """Run one call and describe what happened as plain data."""
    try:
        result = function(*args)
    except BaseException as error:  # noqa: BLE001 - what the student's code raised is the outcome
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        names = [getattr(cls, "__name__", "?") for cls in type(error).__mro__ if cls not in (object, BaseException)]
        return {"raised": names[:8], "message": str(error)[:300] if type(str(error)) is str else ""}
    return {"returned": plain(result)}


def verdict(outcome: dict | None, *, expect: Any = None, has_expect: bool = False, raises: str | None = None,
            tol: float | None = None, satisfies: str | None = None, context: Any = None) -> str | None:
    """None when the outcome meets the expectation, else why not. Used by the kernel-side `check`
    and, with the teacher's own copy of this module, by the grader."""
    if not isinstance(outcome, dict) or not ("returned" in outcome or "raised" in outcome):
        return "no result: the code stopped before this check ran, or the kernel ended"
    if raises is not None:
        names = outcome.get("raised")
        if isinstance(names, list) and raises in names:
            return None
        if names:
            return f"raised {names[0]}, expected {raises}"
        return f"returned {shown(outcome['returned'])}, expected it to raise {raises}"
    if "raised" in outcome:
        names = outcome["raised"] if isinstance(outcome["raised"], list) else ["?"]
        message = outcome.get("message") if isinstance(outcome.get("message"), str) else ""
        return f"raised {names[0] if names else '?'}" + (f": {message}" if message else "")
    if satisfies is not None:
        from .validators import run_validator

        return run_validator(satisfies, outcome["returned"], context)
    if has_expect:
        wanted = plain(expect)
        if not same(outcome["returned"], wanted, tol):
            return f"returned {shown(outcome['returned'])}, expected {shown(wanted)}" + (f" (within {tol})" if tol else "")
    return None


def _message(function: Callable, args: tuple, problem: str, why: str) -> str:
    name = getattr(function, "__name__", "the function")
    call = "the check" if name == "<lambda>" else f"{name}({', '.join(repr(a) for a in args)})"
    return f"{call} {problem}" + (f"\n{why}" if why else "")


def check(function: Callable, *args: Any, expect: Any = None, raises: type | None = None, tol: float | None = None,
          satisfies: str | None = None, why: str = "", **unexpected: Any) -> None:
    """Call `function(*args)` and raise AssertionError unless the result is `expect` (type included),
    or it raises `raises`, or it passes the named check `satisfies`."""
    if unexpected:
        raise TypeError(f"check() got unknown keyword(s): {', '.join(unexpected)}; expected expect=, raises=, tol=, satisfies=, why=")
    has_expect = raises is None and satisfies is None
    outcome = outcome_of(function, args)
    problem = verdict(outcome, expect=expect, has_expect=has_expect, raises=getattr(raises, "__name__", raises),
                      tol=tol, satisfies=satisfies, context=None)
    if problem:
        raise AssertionError(_message(function, args, problem, why))


def probe(case: int, function: Callable, *args: Any) -> None:
    """Grading only: run one call and publish its outcome as plain data for the grader (never raises)."""
    outcome = outcome_of(function, args)
    from IPython.display import publish_display_data

    publish_display_data({OUTCOME_MIME: {"case": case, "outcome": outcome}})
