"""Printable handouts: a small Markdown subset rendered to one self-contained HTML page.

A handout (for example ``lessons/unit07-share-with-family/handout.en.md``) is written in
Markdown and printed from its HTML twin (``handout.en.html``), which this module generates:

    python -m notalone.handout lessons/unit07-share-with-family/handout.*.md

The HTML has its print stylesheet inline and loads nothing else (no fonts, images, scripts or
links), so it opens and prints offline. Every piece of text is HTML-escaped.

The Markdown subset, one block per group of lines separated by blank lines:

- headings: ``# Title`` to ``###### Small heading`` (one line each);
- bullet lists (``- item`` or ``* item``) and numbered lists (``1. item``); an indented line
  continues the item above it; nested lists are not supported;
- paragraphs: any other lines, joined with spaces;
- inline: ``**bold**`` only.

Anything outside the subset that would print wrongly (tables, images, code fences, raw HTML,
block quotes, nested lists, an unclosed ``**``) raises ``widgets.ContentError`` naming the file
and line, like every other content check in the course.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from pathlib import Path

from widgets.errors import ContentError, Problem, display_path

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
BULLET = re.compile(r"^[-*]\s+(.*)$")
NUMBERED = re.compile(r"^\d{1,3}[.)]\s+(.*)$")
BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
LANGUAGE = re.compile(r"\.([a-z]{2,3})\.md$")
UNSUPPORTED = (
    (re.compile(r"^\|"), "tables are not supported in handouts; use a list"),
    (re.compile(r"^(```|~~~)"), "code blocks are not supported in handouts"),
    (re.compile(r"^!\["), "images are not supported in handouts: the page must print without other files"),
    (re.compile(r"^<"), "raw HTML is not supported in handouts; write Markdown"),
    (re.compile(r"^>"), "block quotes are not supported in handouts; use a paragraph"),
    (re.compile(r"^\s+([-*]|\d{1,3}[.)])\s"), "nested lists are not supported in handouts"),
)

STYLE = """\
@page { size: A4; margin: 11mm 12mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; background: #eceff1; color: #1b1b1b;
       font-family: "Noto Sans", "DejaVu Sans", "Segoe UI", Arial, sans-serif;
       font-size: 10.6pt; line-height: 1.32; }
main { background: #fff; max-width: 186mm; margin: 8mm auto; padding: 9mm 10mm;
       columns: 2; column-gap: 7mm; box-shadow: 0 1px 4px rgba(0, 0, 0, .25); }
h1 { column-span: all; margin: 0 0 2.5mm; font-size: 17pt; line-height: 1.15; color: #0b4f6c; }
h1 + p { column-span: all; margin: 0 0 3mm; padding: 2mm 3mm; background: #e8f4f8;
         border-left: 1.2mm solid #0b4f6c; }
h2, h3, h4, h5, h6 { margin: 2.6mm 0 1mm; color: #0b4f6c; break-after: avoid; page-break-after: avoid; }
h2 { font-size: 12.5pt; border-bottom: .3mm solid #9cc3d5; }
h3, h4, h5, h6 { font-size: 11pt; }
p { margin: 0 0 1.6mm; }
ul, ol { margin: 0 0 1.6mm; padding-left: 5mm; break-inside: avoid; page-break-inside: avoid; }
li { margin: 0 0 .7mm; }
strong { color: #7a1f00; }
main > p:last-child { column-span: all; margin: 2.5mm 0 0; padding-top: 1.5mm;
                      border-top: .3mm solid #bbb; font-size: 7.8pt; color: #555; }
@media print {
  body { background: #fff; }
  main { margin: 0; max-width: none; padding: 0; box-shadow: none; }
}
"""


def _inline(text: str, path: Path, line: int) -> str:
    """Escape text for HTML, then turn **bold** into <strong>."""
    escaped = BOLD.sub(r"<strong>\1</strong>", html.escape(text, quote=True))
    if "**" in escaped:
        raise ContentError([Problem(display_path(path), "", "unclosed ** (bold needs an opening and a closing **)", line)])
    return escaped


def _blocks(text: str, path: Path) -> list[tuple[str, list[tuple[str, int]]]]:
    """Split the Markdown into blocks: (kind, [(text, line number), ...])."""
    blocks: list[tuple[str, list[tuple[str, int]]]] = []
    problems: list[Problem] = []
    current: tuple[str, list[tuple[str, int]]] | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line.strip():
            current = None
            continue
        for pattern, message in UNSUPPORTED:
            if pattern.match(line):
                problems.append(Problem(display_path(path), "", message, number))
                break
        else:
            stripped, indented = line.strip(), raw[:1].isspace()
            heading = None if indented else HEADING.match(stripped)
            item = None if indented else (BULLET.match(stripped) or NUMBERED.match(stripped))
            if heading:
                blocks.append((f"h{len(heading.group(1))}", [(heading.group(2), number)]))
                current = None
            elif item:
                kind = "ul" if BULLET.match(stripped) else "ol"
                if current is None or current[0] != kind:
                    current = (kind, [])
                    blocks.append(current)
                current[1].append((item.group(1), number))
            elif current is not None and current[0] in ("ul", "ol") and indented:
                text_so_far, start = current[1][-1]
                current[1][-1] = (f"{text_so_far} {stripped}", start)
            elif current is not None and current[0] == "p":
                current[1].append((stripped, number))
            else:
                current = ("p", [(stripped, number)])
                blocks.append(current)
    if problems:
        raise ContentError(problems)
    return blocks


def render_handout(markdown_path: str | Path) -> str:
    """The handout in `markdown_path` as one self-contained, printable HTML page.

    The page's language (``<html lang>``) comes from the file name: ``handout.vi.md`` is
    Vietnamese; without a language in the name it is English. The first ``#`` heading is also
    the page title. Raises ContentError (file and line) for Markdown outside the subset.
    """
    path = Path(markdown_path)
    text = path.read_text(encoding="utf-8")
    language = match.group(1) if (match := LANGUAGE.search(path.name)) else "en"
    body, title = [], None
    for kind, lines in _blocks(text, path):
        if kind in ("ul", "ol"):
            items = "".join(f"<li>{_inline(item, path, line)}</li>\n" for item, line in lines)
            body.append(f"<{kind}>\n{items}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{_inline(' '.join(item for item, _ in lines), path, lines[0][1])}</p>")
        else:
            heading, line = lines[0]
            if kind == "h1" and title is None:
                title = re.sub(r"\*\*", "", heading)
            body.append(f"<{kind}>{_inline(heading, path, line)}</{kind}>")
    if title is None:
        title = path.stem
    content = "\n".join(body)
    return (f'<!DOCTYPE html>\n<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n"
            f"<!-- Generated from {html.escape(path.name)} by notalone.handout: edit the Markdown, then run "
            f"`python -m notalone.handout {html.escape(path.name)}`. -->\n"
            f"<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n{content}\n</main>\n</body>\n</html>\n")


def write_handout(markdown_path: str | Path) -> Path:
    """Render `markdown_path` and write the HTML next to it (handout.en.md -> handout.en.html)."""
    path = Path(markdown_path)
    target = path.with_suffix(".html")
    target.write_text(render_handout(path), encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m notalone.handout",
                                     description="Write the printable HTML of each Markdown handout next to it.")
    parser.add_argument("markdown", nargs="+", type=Path, help="handout Markdown files, e.g. handout.en.md")
    args = parser.parse_args(argv)
    status = 0
    for path in args.markdown:
        try:
            print(f"wrote {display_path(write_handout(path))}")
        except ContentError as error:
            print(error, file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
