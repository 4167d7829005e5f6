"""The Vietnamese glossary check: narration uses the one chosen form of each key term.

`lessons/glossary.yaml` fixes each term (English -> the one Vietnamese term) and lists the
variants to avoid. This check reads it and warns, with the file and the place, wherever Vietnamese
narration or an explanation uses a variant, naming the term to write instead.

What counts as Vietnamese narration:
- the `vi` text of every content file in lessons/ and assessments/source/, and of the help card
  and rules in widgets/data/; every string of widgets/locales/vi*.yaml;
- the Markdown cells of lessons/**/*.vi.ipynb, and the Vietnamese parts of the bilingual
  assignment notebooks;
- the Vietnamese Markdown: lessons/**/*.vi.md, teacher-guide/vi/*.md, and the Vietnamese parts of
  the other teacher-guide pages.

Dialogue keeps a character's voice and is not checked: chat messages spoken by a character
(`from: contact` or `from: student`), words inside quotation marks, a Markdown paragraph that
starts with `<!-- dialogue -->`, inline code, code blocks and code cells, and the red-flag keyword
lists (words manipulators write).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from widgets import ContentError
from widgets.content import load_validated, read_document
from widgets.errors import Problem, display_path

GLOSSARY = Path("lessons") / "glossary.yaml"
DIALOGUE_MARK = "<!-- dialogue -->"

# Letters only Vietnamese uses (English text has none): tells the Vietnamese half of a bilingual line.
_VIETNAMESE_LETTERS = set("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹáàãéèíìóòõúùý")
# Spans that are someone else's words or not prose: quotations, inline code, link targets, comments,
# file names and paths ("unit05-block-and-report/unit05-block-and-report.vi.ipynb").
_EXEMPT = re.compile(r'"[^"\n]*"|“[^”]*”|‘[^’]*’|«[^»]*»|(?<!\w)\'[^\'\n]+\'(?!\w)|`[^`\n]*`|\]\([^)\s]*\)|<!--.*?-->'
                     r'|[\w.-]*/[\w./-]*\.[A-Za-z]+|[\w-]+(?:\.[\w-]+)*\.(?:md|ipynb|ya?ml|json|html|csv|py|txt|png|jpe?g)\b',
                     re.DOTALL)
_BILINGUAL_SPLIT = re.compile(r"\s+[·/|]\s+|\|")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _words(phrase: str) -> re.Pattern:
    """A phrase as whole words, any case, any run of spaces between its words."""
    body = r"\s+".join(re.escape(word) for word in _nfc(phrase).split())
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Variant:
    term: str  # the English term, e.g. "trusted adult"
    text: str  # the variant, e.g. "người lớn tin cậy"
    use: str  # what to write instead
    pattern: re.Pattern
    allowed: tuple  # patterns of phrases that contain the variant and are fine
    key: str = ""  # the variant in lower case, single-spaced: a plain substring of every match

    def message(self, found: str) -> str:
        return f'"{found}": write "{self.use}" ({self.term}; see {GLOSSARY.as_posix()})'


def load_glossary(path: Path) -> tuple[list[Variant], list[Problem]]:
    """The variants to report, and every problem with the glossary file itself."""
    try:
        document = load_validated(path, "glossary")
    except ContentError as error:
        return [], error.problems
    variants, problems, seen = [], [], {}
    for index, term in enumerate(document.data["terms"]):
        where = ("terms", index)
        if term["id"] in seen:
            problems.append(document.problem(where + ("id",), f"term {term['id']!r} is listed twice"))
        seen[term["id"]] = index
        chosen = [term["vi"], *term.get("also", [])]
        for v_index, item in enumerate(term["avoid"]):
            item = {"text": item} if isinstance(item, str) else item
            if _nfc(item["text"]).lower() in {_nfc(form).lower() for form in chosen}:
                problems.append(document.problem(where + ("avoid", v_index),
                                                 f"{item['text']!r} is the chosen term (vi or also) and cannot be a variant"))
                continue
            allowed = tuple(_words(phrase) for phrase in [*chosen, *item.get("except", [])])
            text = _nfc(item["text"])
            variants.append(Variant(term["en"], text, item.get("use", term["vi"]), _words(text), allowed,
                                    " ".join(text.lower().split())))
    return variants, problems


def _covered(spans, start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def findings(text: str, variants: list[Variant]) -> list[tuple[int, str, Variant]]:
    """(offset, words found, variant) for each variant in `text`, outside quotations and code."""
    text = _nfc(text)
    lowered = " ".join(text.lower().split())
    variants = [variant for variant in variants if variant.key in lowered]  # most texts have none: done at once
    if not variants:
        return []
    exempt = [m.span() for m in _EXEMPT.finditer(text)]
    found = []
    for variant in variants:
        matches = [match.span() for match in variant.pattern.finditer(text)]
        if not matches:
            continue
        allowed = [m.span() for pattern in variant.allowed for m in pattern.finditer(text)]
        found += [(start, end, variant) for start, end in matches
                  if not _covered(exempt, start, end) and not _covered(allowed, start, end)]
    # One report per place: the longest variant wins where two overlap ("người lớn bạn tin" in "... tin tưởng").
    found.sort(key=lambda item: (item[0], -(item[1] - item[0])))
    kept, last_end = [], -1
    for start, end, variant in found:
        if start >= last_end:
            kept.append((start, text[start:end], variant))
            last_end = end
    return kept


def is_vietnamese(text: str) -> bool:
    """Whether a piece of a bilingual line is Vietnamese: many of its words have Vietnamese letters."""
    words = re.findall(r"\w+", text.lower())
    if not words:
        return False
    marked = sum(1 for word in words if set(_nfc(word)) & _VIETNAMESE_LETTERS)
    return marked / len(words) >= 0.3


def _vietnamese_parts(line: str) -> list[str]:
    return [part for part in _BILINGUAL_SPLIT.split(line) if is_vietnamese(part)]


def markdown_findings(text: str, variants: list[Variant], bilingual: bool) -> list[tuple[int, str, Variant]]:
    """(line number, words found, variant) in Markdown: prose only, no code, no dialogue paragraphs."""
    result, in_code, skip_paragraph = [], False, False
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if in_code:
            continue
        if not stripped:
            skip_paragraph = False
            continue
        if stripped.startswith(DIALOGUE_MARK):
            skip_paragraph = True
        if skip_paragraph:
            continue
        for part in (_vietnamese_parts(line) if bilingual else [line]):
            result += [(number, words, variant) for _, words, variant in findings(part, variants)]
    return result


def _is_dialogue(data, path: tuple) -> bool:
    """A scenario chat message spoken by a character (not the narrator)."""
    for index, key in enumerate(path[:-1]):
        if key == "messages" and isinstance(path[index + 1], int):
            node = data
            for step in path[:index + 2]:
                node = node[step]
            return isinstance(node, dict) and node.get("from", "contact") != "narrator"
    return False


def yaml_problems(path: Path, variants: list[Variant], every_string: bool = False) -> list[Problem]:
    try:
        document = read_document(path)
    except ContentError:
        return []  # the content checks report it
    problems = []
    for where, text in document.strings():
        if not (every_string or (where and where[-1] == "vi")) or _is_dialogue(document.data, where):
            continue
        problems += [document.problem(where, variant.message(words), "warning") for _, words, variant in findings(text, variants)]
    return problems


def notebook_problems(path: Path, variants: list[Variant], bilingual: bool) -> list[Problem]:
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return []  # the notebook checks report it
    problems = []
    for index, cell in enumerate(notebook.get("cells", []), 1):
        if cell.get("cell_type") != "markdown":
            continue
        text = cell.get("source", "")
        text = "".join(text) if isinstance(text, list) else text
        problems += [Problem(display_path(path), f"cell {index}, line {line}", variant.message(words), severity="warning")
                     for line, words, variant in markdown_findings(text, variants, bilingual)]
    return problems


def markdown_problems(path: Path, variants: list[Variant], bilingual: bool) -> list[Problem]:
    text = path.read_text(encoding="utf-8")
    return [Problem(display_path(path), "", variant.message(words), line, "warning")
            for line, words, variant in markdown_findings(text, variants, bilingual)]


def _files(folder: Path, pattern: str) -> list[Path]:
    return sorted(p for p in folder.rglob(pattern) if ".ipynb_checkpoints" not in p.parts) if folder.is_dir() else []


def glossary_problems(root: Path) -> list[Problem]:
    """Every variant of a glossary term in the course's Vietnamese narration (warnings), and every
    problem with the glossary itself (errors). A course without a glossary has nothing to check."""
    root = Path(root)
    if not (root / GLOSSARY).is_file():
        return []
    variants, problems = load_glossary(root / GLOSSARY)
    if not variants:
        return problems
    lessons, source, widgets = root / "lessons", root / "assessments" / "source", root / "widgets"
    for path in _files(lessons, "*.yaml") + _files(source, "*.yaml") + _files(widgets / "data", "*.yaml"):
        if path.resolve() != (root / GLOSSARY).resolve() and not path.name.endswith(".red-flags.yaml"):
            problems += yaml_problems(path, variants)
    for path in _files(widgets / "locales", "vi*.yaml"):
        if path.name == "vi.yaml" or path.name.startswith("vi."):
            problems += yaml_problems(path, variants, every_string=True)
    for path in _files(lessons, "*.vi.ipynb"):
        problems += notebook_problems(path, variants, bilingual=False)
    for path in _files(source, "*.ipynb"):
        problems += notebook_problems(path, variants, bilingual=True)
    for path in _files(lessons, "*.vi.md"):
        problems += markdown_problems(path, variants, bilingual=False)
    guide = root / "teacher-guide"
    for path in _files(guide, "*.md"):
        vietnamese = "vi" in path.relative_to(guide).parts[:-1] or path.name.endswith(".vi.md")
        problems += markdown_problems(path, variants, bilingual=not vietnamese)
    return problems


__all__ = ["GLOSSARY", "Variant", "load_glossary", "findings", "markdown_findings", "glossary_problems", "is_vietnamese"]
