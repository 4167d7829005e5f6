"""Feedback and the class report load nothing from any host: no MathJax or require.js from a CDN, no remote
src/href/@import/url(), pages from Jinja2 templates with autoescape, then notalone.safe_html.
(tests/browser/test_offline_pages_in_chromium.py opens them in Chromium and records every request.)"""

import pytest

from offline_pages import ASSIGNMENT, graded_class, pages, remote_references


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return graded_class(tmp_path_factory.mktemp("offline") / "course")


def test_the_reference_finder_finds_each_kind_of_remote_load():
    page = ("<html><head><script src='https://cdn.example/mathjax.js'></script>"
            "<style>@import 'https://cdn.example/a.css'; p{background:url(//cdn.example/b.png)}</style></head>"
            "<body><a href='http://elsewhere.example/'>x</a><img src='data:image/png;base64,AA=='>"
            "<div style=\"background:url('https://cdn.example/c.png')\"></div><a href='#top'>top</a></body></html>")
    assert len(remote_references(page)) == 5, remote_references(page)


def test_feedback_and_report_reference_no_other_host(course):
    for path in pages(course):
        page = path.read_text(encoding="utf-8")
        assert remote_references(page) == [], path
        assert "mathjax" not in page.lower() and "require.js" not in page.lower(), path


def test_the_feedback_template_itself_loads_nothing(course, monkeypatch):
    """Before notalone.safe_html: what the template writes (nbgrader's default loads MathJax from a CDN)."""
    import notalone.feedback as feedback

    monkeypatch.setattr(feedback, "make_folder_safe", lambda folder: None)
    assert feedback.generate_feedback(course, ASSIGNMENT)["success"]
    raw = sorted((course / "feedback").glob(f"*/{ASSIGNMENT}/*.html"))
    assert raw
    for path in raw:
        page = path.read_text(encoding="utf-8")
        assert "<script" not in page.lower(), path
        assert remote_references(page) == [], path
    assert feedback.generate_feedback(course, ASSIGNMENT)["success"]  # safe again for the tests after this one


def test_the_report_template_escapes_what_it_is_given():
    from notalone.report import templates

    page = templates().get_template("report.html.j2").render(
        t=lambda key, **values: "<b>&", language="en", generated="", pending=0, chart=[], bar_x=0, bar_width=0,
        misses=[], skills=[], students=[], items=[],
        flagged=[{"assignment": "<script>", "student": "x", "kind": "k", "reason": "<img src=x>"}])
    assert "<script>" not in page and "<img" not in page and "&lt;b&gt;&amp;" in page


def test_feedback_sanitizer_drops_scripts_styles_and_remote_images():
    from notalone.feedback import sanitize

    cleaned = sanitize('<script>alert(1)</script><style>@import url(https://evil.example/a.css)</style>'
                       '<img src="https://evil.example/x.png" onerror="alert(2)"><a href="javascript:alert(3)">a</a>'
                       '<a href="https://example.org/" onclick="x()">b</a> Tell a trusted adult.')
    assert "alert" not in cleaned and "evil.example" not in cleaned and "onclick" not in cleaned
    assert '<a href="https://example.org/"' in cleaned and "Tell a trusted adult." in cleaned
