"""The Content-Security-Policy in a real browser: the main pages of each role log no violation.

Chromium reports every script, style or handler the policy blocks as a console error; a page
that relied on an inline script or style attribute would log one here.
"""

from __future__ import annotations

import pytest
from test_browser_journey import CHROMIUM, PASSWORD, browser, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"
)

#: The pages each demo role opens most, after its landing page.
PAGES = {
    None: ["/login", "/notices/", "/notices/objections", "/notices/archive", "/no-such-page"],
    "unit1": ["/", "/nominations/new", "/notifications/", "/password"],
    "federation": ["/", "/selection-rounds", "/archive/", "/archive/statistics", "/revocations/"],
    "auditor": ["/audit/", "/audit/verify", "/audit/people"],
    "approver": ["/"],
}


class Console:
    """Collect the console errors and uncaught exceptions of one browser context."""

    def __init__(self, context) -> None:
        self.errors: list[str] = []
        context.on("console", self._message)
        context.on("weberror", lambda error: self.errors.append(f"exception: {error.error}"))

    def _message(self, message) -> None:
        if message.type == "error" and "404" not in message.text:
            self.errors.append(f"{message.location.get('url')}: {message.text}")


def _visit(page, url: str) -> None:
    response = page.goto(url)
    assert response is not None
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.wait_for_load_state("load")


def _signed_in(browser, url: str, username: str | None):  # noqa: F811
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    console = Console(context)
    page = context.new_page()
    if username:
        page.goto(f"{url}/login")
        page.fill('[name="username"]', username)
        page.fill('[name="password"]', PASSWORD)
        page.click('button[type="submit"]')
        page.wait_for_url(f"{url}/")
    return context, page, console


@pytest.mark.parametrize("username", list(PAGES))
def test_the_main_pages_log_no_csp_violation(server, browser, username):  # noqa: F811
    url, _instance = server
    context, page, console = _signed_in(browser, url, username)
    try:
        for path in PAGES[username]:
            _visit(page, f"{url}{path}")
        if username == "unit1":
            # A nomination's page: its workflow diagram is inline SVG from Graphviz.
            page.goto(f"{url}/")
            hrefs = page.locator('a[href^="/nominations/"]').evaluate_all(
                "links => links.map(a => a.getAttribute('href'))"
            )
            detail = next(h for h in hrefs if h.rstrip("/").split("/")[-1].isdigit())
            _visit(page, f"{url}{detail}")
        if username is None:
            # A notice's standalone print page: its styles carry the response's nonce.
            page.goto(f"{url}/notices/")
            prints = page.locator('a[href$="/print"]')
            if prints.count():
                _visit(page, f"{url}{prints.first.get_attribute('href')}")
        assert console.errors == []
    finally:
        context.close()
