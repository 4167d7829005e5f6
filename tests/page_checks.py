"""What a browser would run or load from a page, found the way a browser parses it.

`active_content(page)` parses with html5lib (the WHATWG algorithm browsers implement), so it
sees what a browser would see, not what notalone.safe_html thought it wrote. It returns
one line per problem: an empty list means nothing on the page runs or loads by itself.
"""

from __future__ import annotations

import re
import unicodedata

import tinycss2
import html5lib

from notalone.safe_html import CONTENT_SECURITY_POLICY

ACTIVE_ELEMENTS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "input", "button", "base",
                   "link", "portal", "foreignObject", "use", "image", "feImage", "animate", "set", "animateMotion",
                   "audio", "video", "source", "track", "picture", "noscript", "template", "math"}
LINK_ATTRIBUTES = {"href", "xlink:href", "{http://www.w3.org/1999/xlink}href", "action", "formaction"}
LOADING_ATTRIBUTES = {"src", "srcset", "poster", "background", "data", "lowsrc", "dynsrc", "codebase", "manifest", "ping"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _compact(value: str) -> str:
    return "".join(c for c in value if not (c.isspace() or unicodedata.category(c) in ("Cc", "Cf"))).lower()


def css_problems(css: str, declarations: bool = False) -> list[str]:
    """@import, @font-face and url()s other than data:image in a stylesheet or a style attribute."""
    problems = []
    if re.search(r"@import|@font-face|expression\s*\(|behavior\s*:|-moz-binding", css, re.I):
        problems.append(f"CSS that loads or runs: {css[:120]!r}")

    def walk(nodes):
        for node in nodes or ():
            if node.type == "url" and not _compact(node.value).startswith("data:image/"):
                problems.append(f"CSS url({node.value})")
            elif node.type == "function":
                if node.lower_name in ("url", "image-set", "-webkit-image-set", "src", "image"):
                    for argument in node.arguments:
                        if argument.type == "string" and not _compact(argument.value).startswith("data:image/"):
                            problems.append(f"CSS {node.lower_name}({argument.value!r})")
                walk(node.arguments)
            elif node.type in ("() block", "[] block", "{} block"):
                walk(node.content)
            elif node.type in ("qualified-rule", "at-rule"):
                if node.type == "at-rule" and node.lower_at_keyword in ("import", "font-face", "namespace"):
                    problems.append(f"CSS @{node.lower_at_keyword}")
                walk(node.prelude)
                walk(node.content)
            elif node.type == "declaration":
                walk(node.value)
            elif node.type == "at-keyword":
                problems.append(f"CSS at-rule inside a value: @{node.value}")

    walk(tinycss2.parse_blocks_contents(css) if declarations else tinycss2.parse_stylesheet(css))
    return problems


def active_content(page: str) -> list[str]:
    """Everything on `page` that could run, load from elsewhere, or send the reader somewhere unsafe."""
    document = html5lib.parse(page, treebuilder="etree", namespaceHTMLElements=True)
    problems = []
    head = next(e for e in document.iter() if _local(e.tag) == "head")
    first = next(iter(head), None)
    if first is None or _local(first.tag) != "meta" or first.get("http-equiv", "").lower() != "content-security-policy" \
            or first.get("content") != CONTENT_SECURITY_POLICY:
        problems.append("the Content-Security-Policy is not the first element of <head>")
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue  # a comment
        name = _local(element.tag)
        if name in ACTIVE_ELEMENTS:
            problems.append(f"<{name}> element")
        if name == "meta" and element.get("http-equiv", "").lower() not in ("", "content-security-policy"):
            problems.append(f"<meta http-equiv={element.get('http-equiv')!r}>")
        if name == "style":
            problems += css_problems("".join(element.itertext()))
        for attribute, value in element.attrib.items():
            attribute = attribute.lower()
            compact = _compact(value)
            if _local(attribute).startswith("on"):
                problems.append(f"<{name} {attribute}=...> event handler")
            elif attribute in LINK_ATTRIBUTES:
                scheme = re.match(r"^([a-z][a-z0-9+.\-]*):", compact)
                if scheme and scheme.group(1) not in ("http", "https", "mailto"):
                    problems.append(f"<{name} {attribute}={value!r}> active link")
                if name != "a":
                    problems.append(f"<{name} {attribute}=...> outside a link")
            elif attribute in LOADING_ATTRIBUTES:
                if not (name == "img" and attribute == "src" and compact.startswith("data:image/")):
                    problems.append(f"<{name} {attribute}={value[:60]!r}> loads something")
            elif attribute == "style":
                problems += css_problems(value, declarations=True)
            elif "url(" in compact and not compact.startswith("url(#"):
                problems.append(f"<{name} {attribute}={value!r}> refers to a URL")
    return problems


def links_without_rel(page: str) -> list[str]:
    """Links that would give the page they open a handle on this one (no rel="noopener noreferrer")."""
    document = html5lib.parse(page, treebuilder="etree", namespaceHTMLElements=True)
    return [element.get("href") for element in document.iter() if isinstance(element.tag, str) and _local(element.tag) == "a"
            and element.get("href") and "noopener" not in element.get("rel", "")]


def markup(page: str) -> str:
    """The page without its text: tags and attributes, less the attributes that are only text (title, alt)."""
    return re.sub(r' (title|alt)="[^"]*"', "", re.sub(r">[^<]*<", "><", page))
