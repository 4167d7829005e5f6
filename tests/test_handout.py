"""The printable family handout of Unit 7 and the renderer behind it (notalone/handout.py).

The HTML handouts are generated from their Markdown by render_handout(); these tests keep the
two in step, check that both hold the key items (111, 113 and the six rules, in each
language), that the lessons link to them, and that the renderer escapes text, loads nothing
from outside and names the line of anything outside its Markdown subset.
(The one-printed-page check needs Chromium: tests/browser/test_unit07_in_jupyterlab.py.)
"""

from __future__ import annotations

import html
import json
import re

import pytest

from notalone.handout import main, render_handout, write_handout
from notalone.notebooks import path_problems
from widgets import ContentError
from widgets.rules import rules

from support import REPO

UNIT = REPO / "lessons" / "unit07-share-with-family"
LANGUAGES = ("en", "vi")


def plain(text: str) -> str:
    """Visible text of a handout, Markdown or HTML: no head, tags, heading or list markers, **; spaces collapsed."""
    text = re.sub(r"<head>.*?</head>", " ", text, flags=re.S)
    text = re.sub(r"^\s*(#{1,6}|[-*]|\d{1,3}[.)])\s+", "", text, flags=re.M)
    text = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"</?strong>", "", text))).replace("**", "")
    return re.sub(r"\s+", " ", text).strip().casefold()


def rule_titles(language: str) -> list[str]:
    return [rule.title[language] for rule in rules().values()]


# The handouts themselves ------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_the_html_handout_is_generated_from_its_markdown(language):
    markdown = UNIT / f"handout.{language}.md"
    committed = (UNIT / f"handout.{language}.html").read_text(encoding="utf-8")
    assert committed == render_handout(markdown), (
        f"{markdown.name} and its HTML differ: run `python -m notalone.handout {markdown.relative_to(REPO)}`")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", ["md", "html"])
def test_the_handout_holds_the_key_items(language, kind):
    text = plain((UNIT / f"handout.{language}.{kind}").read_text(encoding="utf-8"))
    for number in ("111", "113"):
        assert re.search(rf"\b{number}\b", text), f"handout.{language}.{kind} does not mention {number}"
    for title in rule_titles(language):
        assert plain(title) in text, f"handout.{language}.{kind} does not state the rule {title!r}"
    assert "24/7" in text


def test_markdown_and_html_hold_the_same_items():
    for language in LANGUAGES:
        markdown = plain((UNIT / f"handout.{language}.md").read_text(encoding="utf-8"))
        page = plain((UNIT / f"handout.{language}.html").read_text(encoding="utf-8"))
        assert markdown == page, f"handout.{language}: the HTML text is not the Markdown's"


def test_the_html_handouts_need_nothing_from_outside():
    for language in LANGUAGES:
        page = (UNIT / f"handout.{language}.html").read_text(encoding="utf-8")
        assert f'<html lang="{language}">' in page
        assert '<meta charset="utf-8">' in page
        assert "@page" in page and "@media print" in page
        for outside in ("http:", "https:", "//", "src=", "href=", "<link", "<script", "@import", "url("):
            assert outside not in page.replace("<!DOCTYPE html>", ""), f"handout.{language}.html contains {outside!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_lesson_links_the_handout(language):
    path = UNIT / f"{UNIT.name}.{language}.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    markdown = "\n".join("".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                         for cell in notebook["cells"] if cell["cell_type"] == "markdown")
    assert f"](handout.{language}.html)" in markdown, f"{path.name} does not link handout.{language}.html"
    assert not path_problems(path, notebook), "a link in the lesson does not resolve"


# The renderer ----------------------------------------------------------------------------------

def write(tmp_path, text: str, name: str = "handout.vi.md"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_subset_renders_headings_lists_bold_and_paragraphs(tmp_path):
    page = render_handout(write(tmp_path, "# Title **now**\n\nFirst line\nsecond line.\n\n## Rules\n\n"
                                          "- **No** one\n- two\n  continued\n\n1. first\n2. second\n\n### Small\n"))
    assert '<html lang="vi">' in page
    assert "<title>Title now</title>" in page
    assert "<h1>Title <strong>now</strong></h1>" in page
    assert "<p>First line second line.</p>" in page
    assert "<h2>Rules</h2>" in page and "<h3>Small</h3>" in page
    assert "<ul>\n<li><strong>No</strong> one</li>\n<li>two continued</li>\n</ul>" in page
    assert "<ol>\n<li>first</li>\n<li>second</li>\n</ol>" in page


def test_text_is_escaped(tmp_path):
    page = render_handout(write(tmp_path, '# A <b> & "c"\n\nSo: 5 < 6 & <script>x</script>\n'))
    body = page.split("<main>")[1]
    assert "<script>" not in body and "<b>" not in body
    assert "&lt;script&gt;x&lt;/script&gt;" in body
    assert "5 &lt; 6 &amp;" in body
    assert "<h1>A &lt;b&gt; &amp; &quot;c&quot;</h1>" in body
    assert "<title>A &lt;b&gt; &amp; &quot;c&quot;</title>" in page


def test_language_comes_from_the_file_name(tmp_path):
    assert '<html lang="en">' in render_handout(write(tmp_path, "# Hi\n", "handout.en.md"))
    assert '<html lang="en">' in render_handout(write(tmp_path, "# Hi\n", "family.md"))


@pytest.mark.parametrize("line, words", [
    ("| a | b |", "tables"),
    ("![logo](logo.png)", "images"),
    ("```", "code blocks"),
    ("<div>hi</div>", "raw HTML"),
    ("> quoted", "block quotes"),
    ("  - nested", "nested lists"),
    ("Some **bold text", "unclosed **"),
])
def test_markdown_outside_the_subset_is_reported_with_its_line(tmp_path, line, words):
    path = write(tmp_path, f"# Title\n\n- item\n{line}\n")
    with pytest.raises(ContentError) as error:
        render_handout(path)
    [problem] = error.value.problems
    assert problem.line == 4 and words in problem.message
    assert str(problem).startswith(f"{problem.file}:4: ") and problem.file.endswith("handout.vi.md")


def test_write_handout_and_the_command(tmp_path, capsys):
    first = write(tmp_path, "# One\n\n- **111**\n", "one.en.md")
    assert write_handout(first) == tmp_path / "one.en.html"
    assert (tmp_path / "one.en.html").read_text(encoding="utf-8") == render_handout(first)
    second = write(tmp_path, "# Two\n", "two.vi.md")
    bad = write(tmp_path, "| table |\n", "bad.en.md")
    assert main([str(second), str(bad)]) == 1
    output = capsys.readouterr()
    assert "two.vi.html" in output.out and "bad.en.md:1: " in output.err
    assert (tmp_path / "two.vi.html").exists() and not (tmp_path / "bad.en.html").exists()
