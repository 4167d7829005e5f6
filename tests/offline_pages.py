"""A small graded class with feedback and a report, and every reference in a page to another host.

Shared by tests/test_offline_pages.py and tests/browser/test_offline_pages_in_chromium.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import html5lib
import tinycss2

ASSIGNMENT = "unit01-online-kidnapping"
REFERENCE_ATTRIBUTES = {"src", "href", "srcset", "poster", "action", "formaction", "data", "background", "xlink:href"}
REMOTE = re.compile(r"^\s*(https?:)?//", re.I)


def graded_class(root: Path, students: int = 2) -> Path:
    """A demo class (made-up students) for one assignment: built, graded, with feedback and report/report.html."""
    from notalone.demo import build_class
    from notalone.feedback import generate_feedback
    from notalone.grader import grade
    from notalone.report import write_report

    build_class(root, students=students, assignment_names=[ASSIGNMENT])
    grade(root, ASSIGNMENT)
    assert generate_feedback(root, ASSIGNMENT)["success"]
    write_report(root, root / "report")
    return root


def pages(root: Path) -> list[Path]:
    found = sorted((root / "feedback").glob(f"*/{ASSIGNMENT}/*.html")) + [root / "report" / "report.html"]
    assert len(found) >= 2 and all(p.is_file() for p in found), found
    return found


def _css_urls(css: str, declarations: bool = False) -> list[str]:
    urls = []

    def walk(nodes):
        for node in nodes or ():
            if node.type == "url":
                urls.append(node.value)
            elif node.type == "at-rule" and node.lower_at_keyword == "import":
                urls.extend(t.value for t in node.prelude if t.type in ("string", "url"))
                walk(node.content)
            elif node.type == "function":
                if node.lower_name in ("url", "image-set", "-webkit-image-set", "src", "image"):
                    urls.extend(a.value for a in node.arguments if a.type == "string")
                walk(node.arguments)
            elif node.type in ("() block", "[] block", "{} block"):
                walk(node.content)
            elif node.type in ("qualified-rule", "at-rule"):
                walk(node.prelude)
                walk(tinycss2.parse_blocks_contents(tinycss2.serialize(node.content or [])))
            elif node.type == "declaration":
                walk(node.value)

    walk(tinycss2.parse_blocks_contents(css) if declarations else tinycss2.parse_stylesheet(css))
    return urls


def remote_references(page: str) -> list[str]:
    """Every http(s) or protocol-relative URL in a src/href (or other loading attribute), an @import or a
    url() of `page`, parsed as a browser parses it (html5lib)."""
    found = []
    for element in html5lib.parse(page, treebuilder="etree", namespaceHTMLElements=False).iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.rsplit("}", 1)[-1]
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1]
            if (local in REFERENCE_ATTRIBUTES or name in REFERENCE_ATTRIBUTES) and REMOTE.match(value or ""):
                found.append(f"<{tag} {local}={value!r}>")
            elif local == "style":
                found += [f"<{tag} style> url({url!r})" for url in _css_urls(value, declarations=True) if REMOTE.match(url)]
        if tag == "style":
            found += [f"<style> {url!r}" for url in _css_urls(element.text or "") if REMOTE.match(url)]
    return found
