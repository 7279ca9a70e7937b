"""The main journey in a real browser: Playwright drives Debian's Chromium against `serve`.

A unit creates and recommends a nomination, the working committee forwards it, the federation
takes it through first review, consultation and selection onto public notice, the notice closes
(`nomination tick`), the approver approves, and the archive shows the record.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "journey-password"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
EXE = Path(sys.executable).with_name("nomination")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(instance: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NOMINATION_INSTANCE_PATH": str(instance)}
    result = subprocess.run(
        [EXE, *args], env=env, cwd=instance, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """Serve a demo instance with gunicorn on a free port; yield its URL and instance folder."""
    instance = tmp_path_factory.mktemp("journey")
    _run(instance, "demo", "--password", PASSWORD)
    port = _free_port()
    # No time for verification in one request: the auditor's run goes on over several.
    env = {
        **os.environ,
        "NOMINATION_INSTANCE_PATH": str(instance),
        "NOMINATION_AUDIT_VERIFY_SECONDS": "0",
    }
    proc = subprocess.Popen(
        [EXE, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        cwd=instance,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/login", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        yield url, instance
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


def _login(browser, url: str, username: str):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill('[name="username"]', username)
    page.fill('[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{url}/")
    return page


def _fire(page, trigger: str, **fields: str) -> None:
    form = page.locator(f'form[data-trigger="{trigger}"]')
    for name, value in fields.items():
        field = form.locator(f'[name="{name}"]')
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    with page.expect_navigation():
        form.locator(f'button[name="trigger"][value="{trigger}"]').click()
    problems = page.locator(".alert-danger, .invalid-feedback").all_inner_texts()
    assert not [p for p in problems if p.strip()], problems


def _state(page) -> str:
    return page.locator("[data-state]").first.get_attribute("data-state")


def test_nomination_journey_to_the_archive(server, browser):
    url, instance = server
    ARTIFACTS.mkdir(exist_ok=True)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()

    # The unit fills in the form and recommends.
    unit = _login(browser, url, "unit1")
    unit.click('a[data-new-kind="individual"]')
    values = {
        "name": "周卫东",
        "ethnicity": "汉族",
        "birth_date": "1980-10-15",
        "id_number": "110105198010151232",
        "work_start": "2001-07-01",
        "post": "北京望京热力有限公司 管网运行班班长",
        "title_or_grade": "高级技师",
        "phone": "13910001234",
        "industry": "电力、热力生产和供应业",
        "summary": "带领班组完成望京地区供热管网改造,连续五个采暖季零事故。",
        "deeds": "带领班组完成望京地区供热管网改造,连续五个采暖季零事故,提出合理化建议二十余项。",
    }
    for name, value in values.items():
        unit.fill(f'[name="{name}"]', value)
    for name, value in {
        "gender": "male",
        "political_affiliation": "cpc",
        "education": "college",
        "category": "industrial_worker",
        "ownership": "public",
    }.items():
        unit.select_option(f'[name="{name}"]', value)
    with unit.expect_navigation():
        unit.click('form[action*="/nominations/new"] button[type="submit"]')
    assert "/nominations/" in unit.url
    nomination_url = unit.url.split("?")[0]
    nomination_id = int(nomination_url.rstrip("/").rsplit("/", 1)[1])
    assert _state(unit) == "draft"
    _fire(
        unit,
        "recommend",
        congress_date=(today - timedelta(days=30)).isoformat(),
        members_present="86",
        votes_for="80",
        votes_against="2",
        votes_abstain="4",
        notice_start=(today - timedelta(days=25)).isoformat(),
        notice_end=(today - timedelta(days=14)).isoformat(),
        notice_result="no_objection",
        comment="经职工代表大会讨论,同意推荐。",
    )
    assert _state(unit) == "committee_review"

    # The working committee forwards it from its queue.
    committee = _login(browser, url, "committee1")
    assert committee.locator(f'#queue a[href$="/nominations/{nomination_id}"]').count() == 1
    committee.goto(nomination_url)
    _fire(committee, "forward", comment="经审核,同意推荐。")
    assert _state(committee) == "federation_review"

    # The federation: first review, consultation, selection.
    federation = _login(browser, url, "federation")
    federation.goto(nomination_url)
    federation.screenshot(path=str(ARTIFACTS / "federation-review.png"))
    _fire(federation, "accept", comment="初审符合条件。")
    _fire(federation, "consultation_clear", comment="人社、应急、税务等部门均无异议。")
    _fire(federation, "select", comment="评审委员会表决通过。")
    assert _state(federation) == "public_notice"

    # The public sees the notice without logging in, with public fields only.
    public = browser.new_context(locale="zh-CN").new_page()
    public.goto(f"{url}/notices/")
    board = public.content()
    assert "周卫东" in board and "110105198010151232" not in board and "13910001234" not in board

    # The notice closes when its period is over.
    with sqlite3.connect(instance / "nomination.sqlite3") as conn:
        (due,) = conn.execute(
            "SELECT timer_due_at FROM nomination WHERE id = ?", (nomination_id,)
        ).fetchone()
    after = datetime.fromisoformat(due).replace(tzinfo=UTC) + timedelta(minutes=1)
    _run(instance, "tick", "--now", after.isoformat())

    # The approver approves; the archive record is shown.
    approver = _login(browser, url, "approver")
    approver.goto(nomination_url)
    assert _state(approver) == "final_approval"
    _fire(
        approver,
        "approve",
        decision_number="京工发〔2026〕15号",
        decision_date=today.isoformat(),
        comment="同意表彰。",
    )
    assert _state(approver) == "approved"
    assert approver.locator("#honour-record").is_visible()
    approver.screenshot(path=str(ARTIFACTS / "nomination-approved.png"), full_page=True)

    unit.goto(f"{url}/archive/")
    assert unit.locator("#archive", has_text="周卫东").count() == 1
    unit.goto(nomination_url)
    timeline = unit.content()
    for label in ("推荐上报工委", "审核通过,报区总工会", "公示期满无异议", "批准表彰"):
        assert label in timeline

    # The audit trail of everything the journey did verifies.
    verify = _run(instance, "audit", "verify")
    assert '"ok": true' in verify.stdout


def test_the_auditor_verifies_a_long_log_over_several_requests(server, browser):
    url, _instance = server
    auditor = _login(browser, url, "auditor")
    auditor.goto(f"{url}/audit/verify")
    total = int(auditor.locator("#head-seq").inner_text())
    assert total > 256  # the demo's log: two requests at least
    auditor.click("#run")
    # The page shows the progress and continues by itself until the whole log is verified.
    auditor.wait_for_selector("#verify-progress")
    auditor.wait_for_selector('#verify[data-ok="true"]', timeout=60_000)
    assert int(auditor.locator("#checked").inner_text()) >= total
    assert "分" in auditor.locator("#verify").inner_text()  # "over N requests"
    auditor.screenshot(path=str(ARTIFACTS / "audit-verified.png"), full_page=True)
