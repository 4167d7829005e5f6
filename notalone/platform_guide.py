"""The printable platform guide: Markdown and HTML handouts generated from widgets/data/platforms.guide.yaml.

    python -m notalone.platform_guide            # writes lessons/unit05-block-and-report/platform-guide.<lang>.md and .html

The guide's steps live once, in the YAML file the lesson widget shows; this command writes them out
for printing, one Markdown file per language (the subset ``notalone.handout`` renders) and its
self-contained HTML twin. ``tests/test_platform_guide.py`` fails when the committed files are older
than the YAML.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from widgets.errors import ContentError, display_path
from widgets.i18n import available_languages
from widgets.platform_guide import guide_markdown, load_guide

from .handout import render_handout
from .locations import course_root

REPO = course_root()
FOLDER = REPO / "lessons" / "unit05-block-and-report"
SOURCE_NOTE = {
    "en": "Generated from widgets/data/platforms.guide.yaml. Apps change: check the steps on a current phone and update the month.",
    "vi": "Tạo tự động từ widgets/data/platforms.guide.yaml. Ứng dụng thay đổi thường xuyên: hãy kiểm tra lại trên điện thoại đời mới và cập nhật tháng.",
}


def markdown_for(language: str, guide_path: Path | None = None) -> str:
    return guide_markdown(load_guide(guide_path), language, source_note=SOURCE_NOTE.get(language, SOURCE_NOTE["en"]))


def write(folder: Path = FOLDER, guide_path: Path | None = None) -> list[Path]:
    """Write platform-guide.<lang>.md and .html into `folder` for every language; return the paths written."""
    written = []
    for language in available_languages():
        markdown = folder / f"platform-guide.{language}.md"
        markdown.write_text(markdown_for(language, guide_path), encoding="utf-8")
        html = markdown.with_suffix(".html")
        html.write_text(render_handout(markdown), encoding="utf-8")
        written += [markdown, html]
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m notalone.platform_guide",
                                     description="Write the printable platform guide (Markdown and HTML, every language).")
    parser.add_argument("--folder", type=Path, default=FOLDER, help="where to write (default: the Unit 5 lesson folder)")
    parser.add_argument("--guide", type=Path, default=None, help="the guide file (default: widgets/data/platforms.guide.yaml)")
    args = parser.parse_args(argv)
    try:
        for path in write(args.folder, args.guide):
            print(f"wrote {display_path(path)}")
    except ContentError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
