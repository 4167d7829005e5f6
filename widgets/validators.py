"""Named checks of a value that no fixed expected value can describe (`check(..., satisfies=NAME)`).

Each takes the plain value a student's code produced (widgets.checks.plain) and a folder to read
the assignment's own files from, and returns None when the value passes, else why not. The grader
runs them with its own copy of this module, outside the student's kernel. To add one, write a
function and register it in VALIDATORS: nothing else changes.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Callable

Validator = Callable[[list, Path, str], "str | None"]


def _text(value: list) -> str | None:
    return value[1] if isinstance(value, list) and len(value) == 2 and value[0] == "str" and isinstance(value[1], str) else None


def _load_peer_scenario(value: list):
    """(scenario, texts, None) for the student's scenario text, or (None, None, why not)."""
    import tempfile

    from .content import read_document
    from .errors import ContentError
    from .scenario import load_scenario

    text = _text(value)
    if text is None:
        return None, None, "MY_SCENARIO must be the text of your scenario (a str between triple quotes)"
    if len(text) > 200_000:
        return None, None, "MY_SCENARIO is too long (over 200,000 characters)"
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "my-scenario.scenario.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            return load_scenario(path), [t for _, t in read_document(path).strings()], None
        except ContentError as error:
            return None, None, ("the engine found problems in your scenario / phần mềm tìm thấy lỗi trong tình huống "
                                "của bạn:\n" + str(error).replace(str(path), "MY_SCENARIO"))


def peer_scenario_valid(value: list, folder: Path, argument: str) -> str | None:
    """A scenario (YAML text) that the engine loads, with its own id and no ✏️ placeholder left."""
    scenario, texts, problem = _load_peer_scenario(value)
    if problem:
        return problem
    if scenario.id == "my-scenario":
        return "give your scenario its own id / hãy đặt id riêng cho tình huống của bạn"
    left = [t for t in texts if "✏️" in t]
    if left:
        return f"some ✏️ texts are still to be written, e.g. {left[0]!r} / vẫn còn chỗ ✏️ chưa viết"
    return None


def peer_scenario_structure(value: list, folder: Path, argument: str) -> str | None:
    """At least 3 decision points, each with a safe option and both languages, and a safe or helped ending."""
    mine, _texts, problem = _load_peer_scenario(value)
    if problem:
        return "your scenario does not load yet: fix the problems the cell above reports"
    decisions = mine.decision_nodes
    if len(decisions) < 3:
        return (f"your scenario has {len(decisions)} decision point(s); write at least 3 / "
                f"tình huống có {len(decisions)} lựa chọn; cần ít nhất 3")
    for node_id in decisions:
        decision = mine.nodes[node_id].decision
        if not any(option.safe for option in decision.options):
            return f"{node_id}: no option is marked safe: true"
        for text_ in [decision.prompt, decision.red_flag] + [option.text for option in decision.options]:
            if not {"en", "vi"} <= set(text_ or {}):
                return f"{node_id}: every text needs English (en) and Vietnamese (vi)"
    if not any(node.ending and node.ending.outcome in ("safe", "helped") for node in mine.nodes.values()):
        return "add at least one ending with outcome: safe or helped / thêm ít nhất một kết thúc safe hoặc helped"
    return None


def photo_without_exif(value: list, folder: Path, argument: str) -> str | None:
    """The bytes of an image file: no EXIF left, and the same picture (size and pixels) as the
    original photo named by the argument, e.g. satisfies="photo-without-exif:photos/sample-photo-1.jpg"."""
    try:
        from PIL import Image, ImageChops, ImageStat
    except ImportError:  # the browser version of the course (JupyterLite) has no Pillow
        return ("this check needs Pillow, which the browser version of the course does not have: open the notebook "
                "in JupyterLab to check it here, or hand it in (your teacher's grading checks it)")

    if not (isinstance(value, list) and len(value) == 2 and value[0] == "bytes" and isinstance(value[1], str)):
        return "expected the bytes of the copy (the file strip_metadata wrote)"
    data = base64.b64decode(value[1], validate=False)
    if len(data) > 20 * 2**20:
        return "the copy is larger than 20 MB"
    original_path = (folder / argument).resolve()
    if not original_path.is_relative_to(folder.resolve()) or not original_path.is_file():
        return f"the original photo {argument!r} is missing"
    try:
        with Image.open(io.BytesIO(data)) as copy, Image.open(original_path) as original:
            left = len(copy.getexif())
            if left:
                return f"the copy still has {left} EXIF entries"
            if copy.size != original.size:
                return f"the copy should be {original.size} pixels, not {copy.size}"
            difference = ImageStat.Stat(ImageChops.difference(copy.convert("RGB"), original.convert("RGB"))).mean
            if max(difference) > 12:
                return "the copy does not show the same picture as the original"
    except Exception as error:  # noqa: BLE001 - the student's bytes may be anything
        return f"the copy is not a readable image ({type(error).__name__})"
    return None


VALIDATORS: dict[str, Validator] = {
    "peer-scenario-valid": peer_scenario_valid,
    "peer-scenario-structure": peer_scenario_structure,
    "photo-without-exif": photo_without_exif,
}


def run_validator(spec: str, value: list, folder: Path | None) -> str | None:
    """`spec` is NAME or NAME:ARGUMENT. `folder` holds the assignment's files (the kernel's working folder
    in a notebook; the teacher's source folder when grading)."""
    name, _, argument = spec.partition(":")
    validate = VALIDATORS.get(name)
    if validate is None:
        return f"unknown check {name!r}; expected one of: {', '.join(VALIDATORS)}"
    return validate(value, Path(folder) if folder is not None else Path.cwd(), argument)
