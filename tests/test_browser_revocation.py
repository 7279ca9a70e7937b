"""A revocation in a real browser, on the demo (last year's approved honours fill the archive).

The federation proposes revoking one honour with its grounds and reviews it; the approver
revokes it with a decision number, the items to return and a deadline; the federation records
the certificate given back; the case, the list of cases and the archive show the honour
revoked from that date, still listed.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import test_browser_journey as journey
from test_browser_journey import ARTIFACTS, CHROMIUM, _fire, _login

# The journey's module fixtures: a demo served for this module alone, and the browser.
server = journey.server
browser = journey.browser

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"
)


def _state(page) -> str:
    return page.locator("#state-badge").get_attribute("data-state")


def test_federation_proposes_and_the_approver_revokes(server, browser):
    url, instance = server
    ARTIFACTS.mkdir(exist_ok=True)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    with sqlite3.connect(instance / "nomination.sqlite3") as conn:
        honour_id, holder, decision = conn.execute(
            "SELECT id, holder_name, decision_number FROM honour_record "
            "WHERE kind = 'individual' AND status = 'active' ORDER BY id LIMIT 1"
        ).fetchone()

    # The federation proposes revoking the honour, with its grounds and the facts.
    federation = _login(browser, url, "federation")
    federation.goto(f"{url}/revocations/new?honour_id={honour_id}")
    assert holder in federation.locator("#honour").inner_text()
    federation.select_option('#proposal-form [name="grounds"]', "criminal_penalty")
    federation.fill(
        '#proposal-form [name="facts"]',
        f"{holder}同志因职务侵占罪被人民法院判处有期徒刑三年,判决已于今年生效。",
    )
    with federation.expect_navigation():
        federation.click("#propose-submit")
    assert _state(federation) == "proposed"
    case_url = federation.url.split("?")[0].split("#")[0]
    assert "受到刑事处罚" in federation.locator("#case-data").inner_text()

    # It reviews the case and submits it for the decision.
    _fire(federation, "review", comment="经核查,判决书已生效,情况属实,提请撤销其称号。")
    assert _state(federation) == "decision"

    # The approver revokes the title with a decision number; certificate and medal come back.
    approver = _login(browser, url, "approver")
    approver.goto(case_url)
    revoke = approver.locator('form[data-trigger="revoke"]')
    revoke.locator('[name="return_certificate"]').check()
    revoke.locator('[name="return_medal"]').check()
    number = f"京工发〔{today.year}〕31号"
    _fire(
        approver,
        "revoke",
        decision_number=number,
        decision_date=today.isoformat(),
        revoked_on=today.isoformat(),
        return_due=(today + timedelta(days=30)).isoformat(),
        comment="同意撤销其称号,收回荣誉证书和奖章,相关待遇自即日起终止。",
    )
    assert _state(approver) == "revoked"
    status = approver.locator('#honour [data-honour-status="revoked"]')
    assert f"已撤销(自 {today.isoformat()} 起)" in status.inner_text()
    assert approver.locator('#honour [data-benefits="ended"]').count() == 1
    assert number in approver.locator("#decision").inner_text()
    items = approver.locator("#return-items")
    assert items.locator('[data-item="certificate"][data-returned="false"]').count() == 1
    assert items.locator('[data-item="medal"][data-returned="false"]').count() == 1
    approver.screenshot(path=str(ARTIFACTS / "revocation-revoked.png"), full_page=True)

    # The federation receives the certificate back and records it.
    federation.goto(case_url)
    returned = federation.locator('form[data-return-item="certificate"]')
    returned.locator('[name="returned_on"]').fill(today.isoformat())
    returned.locator('[name="note"]').fill("由所在单位工会交回")
    with federation.expect_navigation():
        returned.locator('button[type="submit"]').click()
    certificate = federation.locator('#return-items [data-item="certificate"]')
    assert certificate.get_attribute("data-returned") == "true"
    medal = federation.locator('#return-items [data-item="medal"]')
    assert medal.get_attribute("data-returned") == "false"
    timeline = federation.locator("#timeline").inner_text()
    assert "提议撤销称号" in timeline and "决定撤销称号" in timeline and "登记物品退还" in timeline

    # The list of cases shows it revoked; the archive still lists the honour, revoked.
    federation.goto(f"{url}/revocations/")
    row = federation.locator(f'#cases tr[data-case="{case_url.rsplit("/", 1)[1]}"]')
    assert row.get_attribute("data-state") == "revoked"
    assert f"已撤销(自 {today.isoformat()} 起)" in row.inner_text()
    federation.goto(f"{url}/archive/")
    listed = federation.locator(f'#archive [data-honour="{honour_id}"]')
    assert listed.count() == 1 and decision in listed.inner_text()
    assert any(word in listed.inner_text() for word in ("撤销", "revoked"))
    federation.screenshot(path=str(ARTIFACTS / "revocation-archive.png"), full_page=True)
