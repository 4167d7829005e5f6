"""notalone.safe_html: a page built from hostile text runs nothing, loads nothing, and still reads the same."""

from __future__ import annotations

import pytest

from notalone.safe_html import CSP_META, is_safe_link, safe_page, safe_style_attribute, safe_stylesheet

from page_checks import active_content, links_without_rel, markup

HOSTILE = {
    "javascript link": '<a href="javascript:alert(1)">x</a>',
    "javascript link, spaced and mixed case": '<a href="  JaVaScRiPt:alert(1)">x</a>',
    "javascript link, tab entity": '<a href="java&#x09;script:alert(1)">x</a>',
    "javascript link, named entities": '<a href="javascript&colon;alert(1)">x</a>',
    "vbscript link": '<a href="vbscript:msgbox(1)">x</a>',
    "data link": '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "remote image": '<img src="https://evil.example/x.png">',
    "protocol-relative image": '<img src="//evil.example/x.png">',
    "image with onerror": '<img src=x onerror=alert(1)>',
    "image srcset": '<img src="data:image/png;base64,iVBORw0KGgo=" srcset="https://evil.example/x.png 2x">',
    "style import": '<style>@import url(https://evil.example/a.css);</style>',
    "style import string": '<style>@import "https://evil.example/a.css";</style>',
    "style font-face": '<style>@font-face{font-family:x;src:url(https://evil.example/f.woff)}</style>',
    "style escaped url": '<style>body{background:\\75 rl(https://evil.example/a.png)}</style>',
    "style escaped name": r'<style>a{x\7d\20 body\7b background\3a url\28 https\3a\2f\2f evil\2e example\29:1}</style>',
    "style attribute escaped name": r'<p style="x\7d body\7b background\3a url\28 https\3a\2f\2f evil\2e example\29:1">x</p>',
    "style image-set": '<style>p{background-image:image-set("https://evil.example/a.png" 1x)}</style>',
    "style image-set var": '<style>p{--u:"https://evil.example/a.png";background-image:image-set(var(--u) 1x)}</style>',
    "self-closed style": '<style/>p{background:url(https://evil.example/a.png)}',
    "self-closed title": '<title/><p>visible</p>',
    "style breaking out": '<style>p{color:red}</style><style></style><script>alert(1)</script>',
    "svg script": '<svg><script>alert(1)</script></svg>',
    "svg onload": '<svg onload="alert(1)"><rect width="1" height="1"/></svg>',
    "svg link": '<svg><a xlink:href="javascript:alert(1)" href="javascript:alert(1)"><text>x</text></a></svg>',
    "svg image and use": '<svg><image href="https://evil.example/x.png"/><use href="https://evil.example/s.svg#a"/></svg>',
    "svg foreignObject": '<svg><foreignObject><iframe src="https://evil.example"></iframe></foreignObject></svg>',
    "svg paint from elsewhere": '<svg><rect fill="url(https://evil.example/p.svg#g)" width="1" height="1"/></svg>',
    "svg style markup": '<svg><style><img src=x onerror=alert(1)></style></svg>',
    "svg animate": '<svg><a><animate attributeName="href" values="javascript:alert(1)"/><text>x</text></a></svg>',
    "iframe": '<iframe src="https://evil.example"></iframe>',
    "object and embed": '<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/x.swf">',
    "form": '<form action="https://evil.example"><button formaction="javascript:alert(1)">go</button><input name=a></form>',
    "base": '<base href="https://evil.example/">',
    "link stylesheet": '<link rel="stylesheet" href="https://evil.example/a.css">',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "style attribute url": '<div style="background:url(https://evil.example/a.png)">x</div>',
    "style attribute expression": '<p style="width:expression(alert(1));behavior:url(x.htc)">x</p>',
    "media": '<video poster="https://evil.example/p.png" src="https://evil.example/v.mp4"></video><audio src="//evil.example/a"></audio>',
    "comment trick": '<!--><img src=x onerror=alert(1)>-->',
    "noscript trick": '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "math trick": '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>',
    "unclosed attribute": '<a href="https://ok.example" title="x><img src=x onerror=alert(1)>">ok</a>',
}


def page(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>T</title>{head}</head><body>{body}</body></html>"


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_markup_runs_and_loads_nothing(name):
    cleaned = safe_page(page(f"<p>before</p>{HOSTILE[name]}<p>after</p>"))
    assert active_content(cleaned) == []
    assert "evil.example" not in markup(cleaned), "a URL from elsewhere is left in the markup"
    assert "alert(1)" not in markup(cleaned), "a script is left in the markup"
    assert "before" in cleaned and "after" in cleaned, "the text around it is kept"


def test_a_self_closed_title_hides_nothing():
    cleaned = safe_page(page(HOSTILE["self-closed title"]))
    assert "<title/>" not in cleaned and "<p>visible</p>" in cleaned


def test_all_the_hostile_markup_at_once_and_in_the_head():
    everything = "".join(HOSTILE.values())
    cleaned = safe_page(page(everything, head=everything))
    assert active_content(cleaned) == []
    assert cleaned.count("Content-Security-Policy") == 1


def test_the_csp_comes_first_in_the_head_even_without_one():
    for text in ("<p>just a fragment</p>", page("<p>x</p>"), "<html><body><p>x</p></body></html>", ""):
        cleaned = safe_page(text)
        assert cleaned.startswith("<!DOCTYPE html>\n<html") and f"<head>\n{CSP_META}\n" in cleaned
        assert active_content(cleaned) == []


def test_an_old_csp_or_refresh_from_the_page_is_replaced():
    cleaned = safe_page(page("<p>x</p>", head="<meta http-equiv='Content-Security-Policy' content=\"script-src *\">"
                                              "<meta http-equiv=refresh content='1;url=https://evil.example'>"))
    assert "script-src" not in cleaned and "refresh" not in cleaned and cleaned.count("Content-Security-Policy") == 1


def test_ordinary_content_is_kept():
    body = ("<h1 id='top'>Title <em>·</em> Tiêu đề</h1><p class='note'>Tell a <strong>trusted adult</strong> &amp; call 111 "
            "&lt;free&gt;.</p><table><thead><tr><th colspan='2'>A</th></tr></thead><tbody><tr><td style='background:#c0392b33'>"
            "50%</td><td>x</td></tr></tbody></table><ul><li>one</li></ul><pre><code>if a &lt; b:\n    pass</code></pre>"
            "<a href='#top'>(Top)</a> <a href='https://www.example.org/help'>help</a> <a href='mailto:teacher@example.org'>mail</a>"
            "<img alt='dot' src='data:image/png;base64,iVBORw0KGgo='>"
            "<svg role='img' aria-label='chart' width='10' height='10' xmlns='http://www.w3.org/2000/svg'>"
            "<rect x='0' y='0' width='5' height='5' fill='#27ae60'><title>50%</title></rect>"
            "<text x='1' y='9' text-anchor='end'>50%</text></svg>")
    cleaned = safe_page(page(body, head="<style>body{font-family:sans-serif;max-width:1100px}"
                                        "@media print{div.cell{page-break-inside:avoid}}.x::before{content:\"\\f101\"}</style>"))
    for kept in ("<h1 id=\"top\">Title <em>·</em> Tiêu đề</h1>", "Tell a <strong>trusted adult</strong> &amp; call 111 &lt;free&gt;.",
                 "<th colspan=\"2\">A</th>", 'style="background:#c0392b33"', "if a &lt; b:\n    pass",
                 'href="#top"', 'href="https://www.example.org/help"', 'href="mailto:teacher@example.org"',
                 'src="data:image/png;base64,iVBORw0KGgo="', 'fill="#27ae60"', "<title>50%</title>", 'text-anchor="end"',
                 "body{font-family:sans-serif;max-width:1100px}", "@media print{div.cell{page-break-inside:avoid}}",
                 '.x::before{content:"\uf101"}', "<rect x=\"0\" y=\"0\" width=\"5\" height=\"5\" fill=\"#27ae60\">",
                 '<html lang="en">', "<title>T</title>"):
        assert kept in cleaned, kept
    assert active_content(cleaned) == [] and links_without_rel(cleaned) == []


def test_cleaning_twice_changes_nothing():
    once = safe_page(page("".join(HOSTILE.values()) + "<p style='color:red'>x</p><svg><rect width='1' height='1'/></svg>",
                          head="<style>a{color:red}</style>"))
    assert safe_page(once) == once


@pytest.mark.parametrize("url, safe", [
    ("https://example.org", True), ("http://example.org", True), ("mailto:a@example.org", True), ("#top", True),
    ("page.html", True), ("//example.org/x", True), ("javascript:alert(1)", False), (" \tJaVaScRiPt:x", False),
    ("java\nscript:x", False), ("java\u200bscript:x", False), ("\x01javascript:x", False), ("vbscript:x", False),
    ("data:text/html,x", False), ("file:///etc/passwd", False)])
def test_links_are_checked_as_a_browser_reads_them(url, safe):
    assert is_safe_link(url) is safe


def test_css_keeps_what_draws_and_drops_what_loads():
    assert safe_style_attribute("color: red; background: url(https://evil.example/a.png); width: 3px") == "color: red;width: 3px"
    assert safe_style_attribute("background:url(data:image/png;base64,AAAA)") == "background:url(data:image/png;base64,AAAA)"
    assert safe_stylesheet("@import 'x.css'; a{color:red}") == "a{color:red}"
    assert safe_stylesheet("a{color:red}</style><script>alert(1)</script>") .count("<") == 0, "no markup inside <style>"
