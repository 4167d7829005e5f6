"""HTML pages that are safe to open anywhere: from disk, uploaded to an LMS, or in any browser.

Every page the `notalone` command writes (feedback, the class report, the knowledge-check report)
goes through `safe_page()` after it is rendered. The page is parsed (html.parser) and written out
again from an allow-list, so only what is listed here can reach a browser:

- elements for text, tables, images and simple inline SVG charts; no script, iframe, object,
  embed, form, base, link or meta (but the charset and our Content-Security-Policy);
- no event handler (on*) or other active attribute; links (<a href>) only to http(s), mailto or a
  place in the page, with rel="noopener noreferrer"; images only from data:image/... URLs;
- CSS (in <style> and style="") re-written from its tokens (tinycss2) without @import, @font-face
  or any url() other than data:image/...;
- a Content-Security-Policy first in <head>: even something this module missed cannot run or load.

Text is re-escaped and attributes re-quoted, so what a browser parses is exactly what was checked.
"""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import tinycss2

CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'

HTML_ELEMENTS = {
    "a", "abbr", "article", "aside", "b", "bdi", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
    "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "i", "img", "ins", "kbd", "li", "main", "mark", "nav", "ol", "p", "pre", "q", "s", "samp", "section",
    "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u",
    "ul", "var", "wbr",
}  # <style> and the page's <title> are written by _close_raw, with their text checked
SVG_ELEMENTS = {"svg", "g", "rect", "circle", "ellipse", "line", "polyline", "polygon", "path", "text", "tspan", "title", "desc"}
VOID_ELEMENTS = {"br", "col", "hr", "img", "wbr"}
DROPPED_WITH_CONTENT = {"script"}  # its text is code, not content
HEAD_ELEMENTS = {"base", "link", "meta", "noscript", "script", "style", "title"}

GLOBAL_ATTRIBUTES = {"class", "id", "title", "lang", "dir", "role", "style", "tabindex"}
ELEMENT_ATTRIBUTES = {
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start", "type", "reversed"},
    "li": {"value"},
    "td": {"colspan", "rowspan", "align", "valign", "width", "height"},
    "th": {"colspan", "rowspan", "align", "valign", "width", "height", "scope"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "table": {"border", "cellpadding", "cellspacing", "width"},
    "time": {"datetime"},
    "details": {"open"},
}
SVG_PRESENTATION = {"fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity", "stroke-dasharray",
                    "stroke-linecap", "stroke-linejoin", "opacity", "transform", "font-family", "font-size", "font-weight",
                    "font-style", "text-anchor", "dominant-baseline", "text-decoration"}
SVG_ATTRIBUTES = SVG_PRESENTATION | {"x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "d", "points", "dx", "dy",
                                     "width", "height", "viewbox", "preserveaspectratio", "xmlns", "version", "aria-label"}
LINK_SCHEMES = {"http", "https", "mailto"}
DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|jpg|gif|webp|bmp|svg\+xml)[;,]")
SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
URL_FUNCTIONS = {"url", "src", "image", "image-set", "-webkit-image-set"}
FORBIDDEN_FUNCTIONS = {"expression", "var", "env", "attr"}  # inside a URL function: its URL could come from elsewhere
FORBIDDEN_PROPERTIES = {"behavior", "-ms-behavior", "-moz-binding"}
GROUPING_AT_RULES = {"media", "supports", "layer", "container"}
KEYFRAMES_AT_RULES = {"keyframes", "-webkit-keyframes", "-moz-keyframes"}


def compact_url(value: str) -> str:
    """`value` as a browser reads a URL's start: lower case, without spaces, tabs, line breaks or
    invisible characters (browsers skip some of them, so "java\\tscript:" is "javascript:")."""
    return "".join(c for c in value if not (c.isspace() or unicodedata.category(c) in ("Cc", "Cf"))).lower()


def is_data_image(value: str) -> bool:
    """A data: URL of an image, which loads nothing and runs nothing inside <img> or CSS."""
    return bool(DATA_IMAGE.match(compact_url(value)))


def is_safe_link(value: str) -> bool:
    """A link a reader may follow: http(s), mailto, or relative (another page, a place in this one)."""
    match = SCHEME.match(compact_url(value))
    return match is None or match.group(1) in LINK_SCHEMES


# CSS ---------------------------------------------------------------------------------
def _safe_tokens(tokens, in_url_function: bool = False) -> bool:
    """No URL in `tokens` (CSS component values) loads anything but a data:image."""
    for token in tokens or ():
        kind = token.type
        if kind == "error":
            return False  # a bad url( or string: browsers drop the declaration, so do we
        if kind == "url" and not is_data_image(token.value):
            return False
        if kind == "string" and in_url_function and not is_data_image(token.value):
            return False
        if kind == "function":
            name = token.lower_name
            if name in FORBIDDEN_FUNCTIONS and (in_url_function or name == "expression"):
                return False
            if not _safe_tokens(token.arguments, in_url_function or name in URL_FUNCTIONS):
                return False
        elif kind in ("() block", "[] block", "{} block"):
            if not _safe_tokens(token.content, in_url_function):
                return False
        elif kind == "at-keyword":
            return False
    return True


def _clean_declarations(nodes) -> str:
    """Declarations (and nested rules) of one block, without those that could load or run anything."""
    kept = []
    for node in nodes:
        if node.type == "declaration":
            if node.lower_name not in FORBIDDEN_PROPERTIES and _safe_tokens(node.value):
                name = tinycss2.serialize_identifier(node.name)  # escaped again: a name never closes its block
                kept.append(f"{name}:{tinycss2.serialize(node.value)}{'!important' if node.important else ''}")
        elif node.type in ("qualified-rule", "at-rule"):
            kept.append(_clean_rule(node))
    return ";".join(rule for rule in kept if rule)


def _clean_rule(rule) -> str:
    if rule.type == "qualified-rule":
        if not _safe_tokens(rule.prelude):
            return ""
        return f"{tinycss2.serialize(rule.prelude).strip()}{{{_clean_declarations(tinycss2.parse_blocks_contents(rule.content))}}}"
    if rule.type != "at-rule" or not _safe_tokens(rule.prelude):
        return ""  # parse errors, and @import, @font-face, @namespace, @charset, ...
    name, prelude = rule.lower_at_keyword, tinycss2.serialize(rule.prelude).strip()
    if name in GROUPING_AT_RULES:
        if rule.content is None:
            return f"@{name} {prelude};"
        return f"@{name} {prelude}{{{''.join(_clean_rule(r) for r in tinycss2.parse_rule_list(rule.content, skip_comments=True))}}}"
    if name in KEYFRAMES_AT_RULES and rule.content is not None:
        return f"@{name} {prelude}{{{''.join(_clean_rule(r) for r in tinycss2.parse_rule_list(rule.content, skip_comments=True))}}}"
    if name == "page" and rule.content is not None:
        return f"@page {prelude}{{{_clean_declarations(tinycss2.parse_blocks_contents(rule.content))}}}"
    return ""


def _markup_proof(css: str) -> str:
    """CSS that reads the same as text and as markup: '<' and '&' written as CSS escapes."""
    return css.replace("<", "\\3c ").replace("&", "\\26 ")


def safe_stylesheet(css: str) -> str:
    """The rules of a <style> element that load nothing: no @import, no @font-face, no remote url()."""
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    return _markup_proof("\n".join(cleaned for cleaned in map(_clean_rule, rules) if cleaned))


def safe_style_attribute(css: str) -> str:
    """The declarations of a style="" attribute that load nothing."""
    return _clean_declarations(tinycss2.parse_blocks_contents(css, skip_comments=True, skip_whitespace=True))


# HTML --------------------------------------------------------------------------------
class _PageCleaner(HTMLParser):
    """Rebuilds a page from the allow-list: a head of our own (CSP first), then the body."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.language = ""
        self.head: list[str] = []
        self.body: list[str] = []
        self.in_body = False
        self.open_raw: str | None = None  # "title" or "style" while reading its text; "script" while dropping it
        self.raw_text: list[str] = []

    # -- the parser's events
    def handle_starttag(self, tag, attrs):
        self._start(tag, attrs, closed=False)

    def handle_startendtag(self, tag, attrs):
        self._start(tag, attrs, closed=True)

    def handle_endtag(self, tag):
        if self.open_raw is not None:
            if tag == self.open_raw:
                self._close_raw()
            return
        if tag in ("html", "head", "body"):
            if tag == "head":
                self.in_body = True
            return
        if tag in (HTML_ELEMENTS | SVG_ELEMENTS) - VOID_ELEMENTS:
            self.body.append(f"</{tag}>")

    def handle_data(self, data):
        if self.open_raw is not None:
            self.raw_text.append(data)
        elif self.body or data.strip():  # spaces before the first content are layout of the source, not text
            self.in_body = True
            self.body.append(html.escape(data, quote=False))

    # comments, doctypes, processing instructions and CDATA sections are left out

    # -- building the page
    def _start(self, tag, attrs, closed):
        if self.open_raw is not None:
            return  # markup inside <title> or <script>: text for a browser, nothing for us
        if tag == "html":
            if not self.language:
                self.language = next((value or "" for name, value in attrs if name == "lang"), "")
            return
        if tag in ("head", "body"):
            self.in_body = self.in_body or tag == "body"
            return
        if not self.in_body and tag not in HEAD_ELEMENTS:
            self.in_body = True
        if tag in DROPPED_WITH_CONTENT:
            if not closed:
                self.open_raw, self.raw_text = tag, []
            return
        if tag == "style" or (tag == "title" and not self.in_body):
            if not closed:  # <style/> is an open <style> to a browser: never written without its end
                self.open_raw, self.raw_text = tag, []
            return
        if closed and tag not in VOID_ELEMENTS and (tag not in SVG_ELEMENTS or tag == "title"):
            return  # <p/> or <title/>: an element left open to a browser, with no content of its own here
        if tag not in HTML_ELEMENTS and tag not in SVG_ELEMENTS:
            return  # unknown or active: the element goes, its text stays
        attributes = self._attributes(tag, attrs)
        if attributes is None:
            return
        if closed and tag in SVG_ELEMENTS:
            self.body.append(f"<{tag}{attributes}/>")
        else:
            self.body.append(f"<{tag}{attributes}>")

    def _close_raw(self):
        tag, text = self.open_raw, "".join(self.raw_text)
        self.open_raw, self.raw_text = None, []
        where = self.body if self.in_body else self.head
        if tag == "title":
            where.append(f"<title>{html.escape(text, quote=False)}</title>")
        elif tag == "style":
            css = safe_stylesheet(text)
            if css:
                where.append(f"<style>\n{css}\n</style>")

    def _attributes(self, tag, attrs) -> str | None:
        """The allowed attributes of one element, quoted; None when the element must go (an image from elsewhere)."""
        allowed = GLOBAL_ATTRIBUTES | ELEMENT_ATTRIBUTES.get(tag, set())
        if tag in SVG_ELEMENTS:
            allowed = allowed | SVG_ATTRIBUTES
        kept = {}
        for name, value in attrs:
            value = value or ""
            if (name not in allowed and not name.startswith("aria-")) or name.startswith("on") or name in kept:
                continue
            if name == "style":
                value = safe_style_attribute(value)
                if not value:
                    continue
            elif name == "href" and not is_safe_link(value):
                continue
            elif name == "src" and not is_data_image(value):
                continue
            elif name in SVG_PRESENTATION and tag in SVG_ELEMENTS:
                if not _safe_tokens(tinycss2.parse_component_value_list(value)):
                    continue
            kept[name] = value
        if tag == "img" and "src" not in kept:
            return None
        if tag == "a" and "href" in kept:
            kept["rel"] = "noopener noreferrer"
        return "".join(f' {name}="{html.escape(value, quote=True)}"' for name, value in kept.items())

    def page(self) -> str:
        if self.open_raw is not None:
            self._close_raw()
        while self.body and not self.body[-1].strip():
            self.body.pop()  # spaces after the content (and after </body>) are layout of the source
        language = f' lang="{html.escape(self.language, quote=True)}"' if self.language else ""
        return (f"<!DOCTYPE html>\n<html{language}>\n<head>\n{CSP_META}\n<meta charset=\"utf-8\">\n"
                + "\n".join(self.head) + "\n</head>\n<body>" + "".join(self.body) + "</body>\n</html>\n")


def safe_page(page: str) -> str:
    """`page` rebuilt from the allow-list, with the Content-Security-Policy first in its <head>."""
    cleaner = _PageCleaner()
    cleaner.feed(page)
    cleaner.close()
    return cleaner.page()


def make_file_safe(path: Path) -> Path:
    """Rewrite the HTML page at `path` with `safe_page`."""
    path = Path(path)
    text = path.read_text(encoding="utf-8", errors="replace")
    path.write_text(safe_page(text), encoding="utf-8")
    return path


__all__ = ["CONTENT_SECURITY_POLICY", "CSP_META", "safe_page", "safe_stylesheet", "safe_style_attribute", "is_safe_link",
           "is_data_image", "make_file_safe"]
