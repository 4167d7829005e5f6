"""Every figure in the course traces to lessons/facts.yaml, the course's own list of facts and sources.

The test reads the student-facing content (the lesson notebooks in every language, the lessons'
YAML and Markdown, the assignment sources and their YAML, the help card and rules, and the teacher
guide), picks out every *figure* (see FIGURE below), and fails, naming the file and the place
(line, or cell and line), when a figure is not one of the figures of lessons/facts.yaml.

A figure is a number written the way statistics are written:
- a percentage: 77%, 1,325% (1.325% in Vietnamese), 90 %;
- a year: 2024, 10/10/2025;
- a quantity after "more than", "over", "nearly", "about", "hơn", "gần", "khoảng"...: over 50, hơn 50;
- a number with a plus sign: 50+;
- a number with million, billion, thousand (triệu, tỷ, nghìn): 12 million, 1,5 tỷ;
- a count of cases, victims, schools, provinces, people...: 381 cases, 28 vụ, 2,000 schools;
- an age range: aged 18 to 22, 18-22, 12–24 tuổi.
Everything else (unit numbers, points, times, list positions, 111 and 113...) is not a figure.

What is never checked (the allow-list, kept short on purpose):
- code: code cells, inline `code` and fenced blocks (Python examples, ISO timestamps, hashes);
- links (URLs) and HTML tags;
- money amounts with a currency (50,000 VND, 5 triệu đồng): the prices of the fictional chats;
- the hotline numbers 111 and 113 (never a figure by the rules above anyway);
- figures about the course's own synthetic data (the detector's precision and recall in Unit 8):
  those are listed in facts.yaml too, under `course_data`, with the file that computes them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from support import REPO

FACTS = REPO / "lessons" / "facts.yaml"

# ------------------------------------------------------------------------------ finding figures

NUMBER = r"\d+(?:[.,]\d+)*"
SCALE = {"thousand": 10**3, "nghìn": 10**3, "ngàn": 10**3, "million": 10**6, "triệu": 10**6,
         "billion": 10**9, "tỷ": 10**9, "tỉ": 10**9}
CURRENCY = r"(?:đồng|dong|VND|VNĐ|₫|USD|\$)"
# Words that make a number a statistic. "about", "at least", "up to" (khoảng, ít nhất) are left out:
# in the course they count minutes and points ("about 30 minutes", "up to 2 points").
QUANTIFIERS = r"more than|over|nearly|almost|hơn|gần|lên tới|lên đến"
COUNT_NOUNS = (r"cases|case|victims|schools|provinces|influencers|people|views|children|adolescents|"
               r"young people|teenagers|students|pupils|girls|boys|women|"
               r"vụ|vụ việc|nạn nhân|trường|tỉnh|tỉnh thành|tỉnh, thành phố|người|lượt xem|trẻ em|"
               r"thanh thiếu niên|học sinh|người trẻ|em")
AGE_WORDS = r"(?:aged|ages|age|years old|tuổi|độ tuổi)"


def age_range(n: int) -> str:
    return rf"(?P<low{n}>{NUMBER})\s?(?:–|—|-|to|đến|tới)\s?(?P<high{n}>{NUMBER})"


FIGURE = re.compile(
    rf"(?P<percent>{NUMBER})\s?%"
    rf"|{AGE_WORDS}\s+(?:from\s+|từ\s+)?{age_range(1)}"
    rf"|{age_range(2)}\s+{AGE_WORDS}"
    rf"|(?P<scaled>{NUMBER})\s+(?P<scale>{'|'.join(SCALE)})\b"
    rf"|(?P<plus>{NUMBER})\+(?!\s*\d)"
    rf"|(?<![\w.,/-])(?<!Grade )(?<!grade )(?<!lớp )(?<!Lớp )(?P<counted>{NUMBER})\s+(?:{COUNT_NOUNS})\b"
    rf"|\b(?:{QUANTIFIERS})\s+(?P<quantified>{NUMBER})(?P<qpercent>\s?%)?(?:\s+(?P<qscale>{'|'.join(SCALE)})\b)?"
    rf"|(?<![\w.,])(?P<year>(?:19|20)\d\d)(?![\w]|[.,]\d)",
    re.IGNORECASE)
MONEY = re.compile(rf"{NUMBER}(?:\s*(?:{'|'.join(SCALE)}))?\s*{CURRENCY}|{CURRENCY}\s*{NUMBER}", re.IGNORECASE)
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)
LINK = re.compile(r"https?://\S+|\]\([^)]*\)|<[^>]+>")
TIME = re.compile(r"\b\d{1,2}:\d\d\b")


def number(text: str) -> float:
    """The value of a written number: a separator followed by exactly three digits groups
    thousands (1,325 and 1.325 are 1325), any other is the decimal point (1.5 and 1,5 are 1.5)."""
    groups = re.split(r"[.,]", text)
    if len(groups) > 1 and all(len(g) == 3 for g in groups[1:]):
        return float("".join(groups))
    if len(groups) == 2:
        return float(groups[0] + "." + groups[1])
    return float("".join(groups))


def canonical(value: float, percent: bool = False) -> str:
    text = f"{value:.10g}"
    return text + "%" if percent else text


def figures(text: str) -> list[tuple[str, str]]:
    """(figure as canonical text, as written) for every figure in `text`, outside code, links and prices."""
    text = CODE.sub(" ", text)
    text = LINK.sub(" ", text)
    text = MONEY.sub(" ", text)
    text = TIME.sub(" ", text)
    found = []
    for match in FIGURE.finditer(text):
        written = match.group(0)
        if match["percent"]:
            found.append((canonical(number(match["percent"]), percent=True), written))
        elif match["low1"] or match["low2"]:
            for low_high in ("low1", "high1") if match["low1"] else ("low2", "high2"):
                found.append((canonical(number(match[low_high])), written))
        elif match["scaled"]:
            found.append((canonical(number(match["scaled"]) * SCALE[match["scale"].lower()]), written))
        elif match["quantified"]:
            scale = SCALE[match["qscale"].lower()] if match["qscale"] else 1
            found.append((canonical(number(match["quantified"]) * scale, percent=bool(match["qpercent"])), written))
        else:
            value = match["plus"] or match["counted"] or match["year"]
            found.append((canonical(number(value)), written))
    return found


# ------------------------------------------------------------------------------ the content

@dataclass(frozen=True)
class Text:
    path: Path
    place: str      # "line 12" or "cell 3, line 2"
    text: str


# In a scenario, the story itself is fiction: the chat messages and narration, what the student
# says (an option's text), the contact and the "2 days later" lines. Its prompts, red flags,
# feedback, endings and content warning teach, and are checked.
STORY_KEYS = {"messages", "contact", "when"}


def localized_texts(path: Path):
    """Every language's text in a YAML file (the values of `en:` and `vi:` keys), with its line."""
    scenario = path.name.endswith(".scenario.yaml")

    def walk(node, keys):
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if scenario and (key.value in STORY_KEYS or (key.value == "text" and "options" in keys)):
                    continue
                if isinstance(value, yaml.ScalarNode) and key.value in LANGUAGES:
                    yield value.start_mark.line + 1, value.value
                else:
                    yield from walk(value, keys + (key.value,))
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                yield from walk(item, keys)
    root = yaml.compose(path.read_text(encoding="utf-8"))
    for line, text in walk(root, ()) if root is not None else ():
        yield Text(path, f"line {line}", text)


def markdown_cells(path: Path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "markdown":
            for number_, line in enumerate("".join(cell["source"]).splitlines(), 1):
                yield Text(path, f"cell {index}, line {number_}", line)


def markdown_lines(path: Path):
    in_code = False
    for number_, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.lstrip().startswith("```"):
            in_code = not in_code
        elif not in_code:
            yield Text(path, f"line {number_}", line)


LANGUAGES = ("en", "vi")
NOT_CONTENT = {"manifest.yaml", "glossary.yaml", "facts.yaml"}


def content_files() -> list[Path]:
    """The student-facing content and the teacher guide (generated HTML is checked through its Markdown)."""
    files = []
    for folder in (REPO / "lessons", REPO / "assessments" / "source"):
        files += sorted(folder.rglob("*.ipynb"))
        files += sorted(p for p in folder.rglob("*.yaml") if p.name not in NOT_CONTENT)
        files += sorted(p for p in folder.rglob("*.md") if p.name != "README.md")
    files += [REPO / "widgets" / "data" / name for name in ("help-card.yaml", "rules.yaml")]
    files += sorted((REPO / "teacher-guide").rglob("*.md"))
    return [p for p in files if ".ipynb_checkpoints" not in p.parts]


def texts(path: Path):
    if path.suffix == ".ipynb":
        return markdown_cells(path)
    if path.suffix == ".yaml":
        return localized_texts(path)
    return markdown_lines(path)


# ------------------------------------------------------------------------------ the facts file

def load_facts(path: Path = FACTS) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def known_figures(facts: dict) -> set[str]:
    """Every figure the facts file allows: those of its facts and of the course's own data."""
    known = set()
    for entry in facts["facts"] + facts.get("course_data", []):
        for figure in entry["figures"]:
            known |= {value for value, _ in figures(str(figure))} or {canonical(number(str(figure)))}
    return known


def unknown_figures(facts: dict, files) -> list[str]:
    known = known_figures(facts)
    problems = []
    for path in files:
        for item in texts(path):
            for value, written in figures(item.text):
                if value not in known:
                    problems.append(f"{item.path.relative_to(REPO) if item.path.is_relative_to(REPO) else item.path}:"
                                    f" {item.place}: {written!r} ({value}) is not a figure of lessons/facts.yaml:"
                                    f" add the fact with its source, or correct the text")
    return problems


# ------------------------------------------------------------------------------ tests

def test_every_figure_in_the_course_is_in_the_facts_file():
    problems = unknown_figures(load_facts(), content_files())
    assert not problems, "\n" + "\n".join(problems)


def test_the_content_files_are_found():
    names = {p.relative_to(REPO).as_posix() for p in content_files()}
    for expected in ("lessons/unit01-online-kidnapping/unit01-online-kidnapping.vi.ipynb",
                     "lessons/unit01-online-kidnapping/self-check.quiz.yaml",
                     "assessments/source/unit02-no-links-calls-meetings/unit02-check.quiz.yaml",
                     "assessments/source/header.ipynb",
                     "lessons/unit07-share-with-family/handout.vi.md",
                     "widgets/data/help-card.yaml",
                     "teacher-guide/README.md"):
        assert expected in names, expected


def test_the_facts_file_is_complete():
    facts = load_facts()
    sources = {source["id"]: source for source in facts["sources"]}
    assert len(sources) == len(facts["sources"]), "two sources share an id"
    for source in facts["sources"]:
        assert source.get("publisher") and (source.get("url") or source.get("date") or source.get("title")), \
            f"{source['id']}: a source needs its publisher and an address, a date or a title to look it up"
    ids = [entry["id"] for entry in facts["facts"] + facts.get("course_data", [])]
    assert len(ids) == len(set(ids)), "two facts share an id"
    for fact in facts["facts"]:
        assert set(fact["claim"]) == set(LANGUAGES), f"{fact['id']}: a claim in every language"
        assert fact["sources"] and set(fact["sources"]) <= set(sources), f"{fact['id']}: unknown or missing source"
        for language in LANGUAGES:
            written = {value for value, _ in figures(fact["claim"][language])}
            for figure in fact["figures"]:
                values = {value for value, _ in figures(str(figure))}
                assert values <= written, f"{fact['id']}: the {language} claim does not state {figure!r}"
    cited = {source for fact in facts["facts"] for source in fact["sources"]}
    assert set(sources) <= cited, f"sources that no fact cites: {sorted(set(sources) - cited)}"
    for entry in facts.get("course_data", []):
        assert (REPO / entry["computed_in"]).exists(), f"{entry['id']}: {entry['computed_in']} does not exist"


@pytest.mark.parametrize("written, value", [
    ("Over 77% of children", "77%"), ("Hơn 77 % trẻ em", "77%"),
    ("rose 1,325% from 2023", "1325%"), ("tăng 1.325%", "1325%"),
    ("over 50 cases", "50"), ("hơn 50 vụ", "50"), ("50+ cases", "50"),
    ("381 cases of online child abuse", "381"), ("28 vụ", "28"), ("more than 2,000 schools", "2000"),
    ("12 million young people", "12000000"), ("12 triệu thanh thiếu niên", "12000000"),
    ("1.5 billion views", "1500000000"), ("1,5 tỷ lượt xem", "1500000000"),
    ("launched on 10/10/2025", "2025"), ("in 2024", "2024"),
])
def test_figures_are_found_and_read_the_same_way_in_both_languages(written, value):
    assert value in {found for found, _ in figures(written)}


@pytest.mark.parametrize("written, values", [
    ("all victims were aged 18 to 22", {"18", "22"}), ("từ 18 đến 22 tuổi", {"18", "22"}),
    ("aged 18-22", {"18", "22"}), ("young people (aged 12–24)", {"12", "24"}),
])
def test_age_ranges_are_figures(written, values):
    assert values <= {found for found, _ in figures(written)}


@pytest.mark.parametrize("written", [
    "Unit 8", "Bài 2", "Decision 1 (1 point)", "5 decisions, quiz 3, Python 9", "0-4 min", "12-16 min",
    "call 111 (free, 24/7) or 113", "Send 50,000 VND for shipping", "cần 50 triệu đồng", "5.000.000 đồng",
    "Thursday, 6:30 am", "`2025-11-12T10:22:05+07:00` is a timestamp", "see https://example.test/2024/99%",
    "step 3 of 6", "a 45-minute plan",
])
def test_non_figures_are_ignored(written):
    assert figures(written) == []


def test_the_test_flags_a_figure_that_is_not_in_the_facts_file(tmp_path):
    """The check can fail: a made-up statistic in a lesson is reported with its file and place."""
    facts = load_facts()
    lesson = tmp_path / "lesson.en.ipynb"
    lesson.write_text(json.dumps({"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["## Why it matters\n", "\n",
                                                              "- Over 77% of children go online every day.\n",
                                                              "- 42% of teenagers were contacted by a stranger in 2019.\n"]},
        {"cell_type": "code", "metadata": {}, "source": ["print('63% in code is not checked')"]}]}), encoding="utf-8")
    quiz = tmp_path / "made-up.quiz.yaml"
    quiz.write_text("id: q\nquestions:\n  - prompt:\n      en: \"Police handled 51 cases.\"\n"
                    "      vi: \"Công an đã xử lý hơn 50 vụ.\"\n", encoding="utf-8")
    problems = unknown_figures(facts, [lesson, quiz])
    assert len(problems) == 3, problems
    assert "lesson.en.ipynb: cell 0, line 4: '42%'" in problems[0]
    assert "cell 0, line 4: '2019'" in problems[1]
    assert "made-up.quiz.yaml: line 4: '51 cases'" in problems[2]
