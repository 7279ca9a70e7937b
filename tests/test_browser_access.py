"""Accessibility and small screens in a real browser: axe over every role's main pages, tables
readable on a 390-pixel phone, and each role's landing page showing its own work.

axe-core (through axe-playwright-python) runs on the demo instance's pages as each role sees
them; serious and critical violations must stay at 0.
"""

from __future__ import annotations

import sqlite3

import pytest
from test_browser_journey import CHROMIUM, PASSWORD, browser, server  # noqa: F401

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"
)

#: axe's impacts that fail the test.
BLOCKING = ("serious", "critical")


def _ids(instance) -> dict[str, int]:
    """Return ids of demo rows the pages below need."""
    with sqlite3.connect(instance / "nomination.sqlite3") as conn:

        def one(sql: str) -> int:
            row = conn.execute(sql).fetchone()
            assert row, sql
            return row[0]

        return {
            "nomination": one(
                "SELECT n.id FROM nomination n JOIN user_account u ON n.created_by_id = u.id "
                "WHERE u.username = 'unit1' ORDER BY n.id LIMIT 1"
            ),
            "campaign": one("SELECT id FROM campaign WHERE status = 'open' ORDER BY id LIMIT 1"),
            "request": one(
                "SELECT r.id FROM consultation_request r JOIN organisation o "
                "ON r.department_id = o.id WHERE o.code = 'CY-D-HR' ORDER BY r.id LIMIT 1"
            ),
            "round": one("SELECT id FROM selection_round ORDER BY id LIMIT 1"),
            "person": one("SELECT id FROM archive_person ORDER BY id LIMIT 1"),
        }


#: Each role's main pages (paths formatted with the ids above).
PAGES: dict[str | None, tuple[str, ...]] = {
    None: ("/login", "/notices/", "/notices/objections"),
    "unit1": (
        "/",
        "/nominations/{nomination}",
        "/nominations/{nomination}/edit",
        "/archive/",
        "/notifications/",
        "/notifications/settings",
    ),
    "committee1": ("/", "/nominations/{nomination}", "/campaigns/{campaign}/overview"),
    "federation": (
        "/",
        "/nominations/{nomination}",
        "/campaigns/{campaign}/overview",
        "/campaigns/{campaign}/composition",
        "/selection-rounds",
        "/selection-rounds/{round}",
        "/revocations/",
        "/verification/",
        "/notifications/",
    ),
    "dept-hr": ("/", "/consultations/", "/consultations/{request}"),
    "judge1": ("/", "/selection-rounds", "/selection-rounds/{round}"),
    "approver": ("/", "/nominations/{nomination}"),
    "auditor": ("/", "/audit/", "/audit/verify", "/archive/", "/archive/people/{person}"),
    "admin": (
        "/",
        "/admin/",
        "/admin/organisations/",
        "/admin/users/",
        "/admin/campaigns/",
        "/admin/calendar/",
    ),
}


def _page(browser, url: str, username: str | None, width: int = 1280):  # noqa: F811
    context = browser.new_context(
        locale="zh-CN", viewport={"width": width, "height": 900}, bypass_csp=True
    )
    page = context.new_page()
    if username:
        page.goto(f"{url}/login")
        page.fill('[name="username"]', username)
        page.fill('[name="password"]', PASSWORD)
        with page.expect_navigation():
            page.click('button[type="submit"]')
    return page


def _violations(page) -> list[str]:
    """Return axe's serious and critical violations of the page, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    # tables.js runs on load; wait for it before judging what it makes focusable.
    page.wait_for_load_state("load")
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}, {len(v['nodes'])}×): {v['nodes'][0]['target']}"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("username", list(PAGES))
def test_axe_finds_no_serious_violation(server, browser, username, width):  # noqa: F811
    url, instance = server
    ids = _ids(instance)
    page = _page(browser, url, username, width)
    found = {}
    for path in PAGES[username]:
        response = page.goto(url + path.format(**ids))
        assert response.status < 400, (path, response.status)
        problems = _violations(page)
        if problems:
            found[path] = problems
    page.context.close()
    assert found == {}


@pytest.mark.parametrize(
    ("username", "paths"),
    [
        ("federation", ("/", "/campaigns/{campaign}/overview", "/selection-rounds/{round}")),
        ("auditor", ("/audit/", "/archive/")),
        ("dept-hr", ("/consultations/",)),
    ],
)
def test_tables_are_readable_on_a_phone(server, browser, username, paths):  # noqa: F811
    """At 390 pixels no cell is squeezed to a character or two: its table scrolls instead,
    in a wrapper the keyboard can reach."""
    url, instance = server
    ids = _ids(instance)
    page = _page(browser, url, username, width=390)
    assert page.evaluate("document.documentElement.clientWidth") == 390
    for path in paths:
        page.goto(url + path.format(**ids))
        page.wait_for_load_state("load")
        tables = page.evaluate(
            """() => [...document.querySelectorAll('main table')].filter(t => t.offsetParent)
                .map(t => {
                  const wrapper = t.closest('.table-responsive');
                  const cells = [...t.querySelectorAll('th, td')]
                    .filter(c => c.offsetParent && c.textContent.trim().length > 1);
                  return {
                    wrapped: !!wrapper,
                    scrolls: !!wrapper && wrapper.scrollWidth > wrapper.clientWidth,
                    focusable: !!wrapper && wrapper.tabIndex === 0
                      && !!wrapper.getAttribute('aria-label'),
                    narrowest: Math.min(...cells.map(c => c.getBoundingClientRect().width)),
                    pageOverflow: document.documentElement.scrollWidth
                      > document.documentElement.clientWidth,
                  };
                })"""
        )
        assert tables, path
        for table in tables:
            assert table["wrapped"], (path, table)
            assert table["narrowest"] >= 64, (path, table)  # six characters' room at least
            assert not table["pageOverflow"], (path, table)  # the table scrolls, not the page
            if table["scrolls"]:
                assert table["focusable"], (path, table)
    page.context.close()
