"""Feedback pages and the class report, opened from disk in Debian's Chromium, request nothing from any other
origin: every request that is not for the page's own file is recorded, aborted and fails the test. Each page is
opened as written and again without its Content-Security-Policy, so a remote script, stylesheet, font or image
in the page itself (not just one the CSP blocks) would show up as a request."""

from __future__ import annotations

import pytest

from offline_pages import graded_class, pages
from notalone.safe_html import CSP_META

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return graded_class(tmp_path_factory.mktemp("offline-browser") / "course")


def test_pages_render_offline_in_chromium(course, browser_page, tmp_path):
    page = browser_page.context.new_page()
    requests, refused = [], []
    page.on("console", lambda message: message.type == "error" and refused.append(message.text))
    page.on("request", lambda request: None if request.url.startswith(("file://", "data:")) else requests.append(request.url))
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://") else route.abort())
    try:
        for index, path in enumerate(pages(course)):
            text = path.read_text(encoding="utf-8")
            assert CSP_META in text, path
            without_csp = tmp_path / f"{index}-{path.name}"
            without_csp.write_text(text.replace(CSP_META, ""), encoding="utf-8")
            for opened in (path, without_csp):
                page.goto(opened.as_uri(), wait_until="load")
                page.wait_for_load_state("networkidle")
                heading = page.locator("h1, h4").first.inner_text()
                assert heading.strip(), f"{opened}: nothing rendered"
                assert page.evaluate("document.body.innerText.length") > 200, f"{opened}: nearly empty"
        assert requests == [], f"requests to other origins: {requests}"
        assert refused == [], f"blocked loads or errors: {refused}"
    finally:
        page.close()
