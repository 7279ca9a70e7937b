"""A real federation's first year, in Chromium, from an empty instance: no demo, no Python.

The set-up page names the federation and its administrator. The administrator adds two
working committees, imports 30 units and their submitters from a sheet, adds two departments
and three judges, creates a campaign and copies it into 2027, sets the 2027 quotas from a
sheet and opens it. A unit's submitter logs in with the printed temporary password, must set
their own, and recommends a nomination that reaches the working committee.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from test_browser_journey import ARTIFACTS, CHROMIUM, EXE, _free_port, browser  # noqa: F401

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"
)
ADMIN_PASSWORD = "admin-first-password"


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """Serve a fresh instance; yield its URL, the set-up address it printed, its folder."""
    instance = tmp_path_factory.mktemp("first-year")
    port = _free_port()
    log = instance / "serve.log"
    env = {**os.environ, "NOMINATION_INSTANCE_PATH": str(instance)}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [EXE, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            cwd=instance,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while "first start:" not in log.read_text() or "Listening" not in log.read_text():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        setup = re.search(r"(http://\S+/setup\?token=\w+)", log.read_text()).group(1)
        yield f"http://127.0.0.1:{port}", setup, instance
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def _page(browser):  # noqa: F811
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    return context.new_page()


def _ok(page) -> None:
    problems = page.locator(".alert-danger, .invalid-feedback").all_inner_texts()
    assert not [p for p in problems if p.strip()], problems


def _submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)
    _ok(page)


def _add_organisation(page, url: str, kind: str, parent: str, code: str, name: str) -> None:
    page.goto(f"{url}/admin/organisations/new")
    page.select_option('[name="kind"]', kind)
    page.select_option('[name="parent"]', label=parent)
    page.fill('[name="code"]', code)
    page.fill('[name="name"]', name)
    _submit(page, '#organisation-form button[type="submit"]')


def _add_user(page, url: str, username: str, name: str, role: str, at: str) -> str:
    page.goto(f"{url}/admin/users/new")
    page.fill('[name="username"]', username)
    page.fill('[name="display_name"]', name)
    page.select_option('[name="roles-0-role"]', role)
    page.select_option('[name="roles-0-organisation"]', label=at)
    _submit(page, '#user-form button[type="submit"]')
    return page.locator("#temporary-password").inner_text()


def _units_sheet(path: Path) -> None:
    from nomination.administration.sheets import COLUMNS

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([zh for _, zh, _ in COLUMNS])
    ws.append([key for key, _, _ in COLUMNS])
    for i in range(1, 31):
        committee = "XC-GW1" if i <= 15 else "XC-GW2"
        ws.append(
            [
                committee,
                f"XC-{i:03d}",
                f"西城第{i}基层工会",
                "",
                "",
                "联络员",
                "",
                f"xc{i:03d}",
                f"填报员{i}",
                "",
            ]
        )
    wb.save(path)


def test_a_federation_starts_from_nothing(empty_server, browser, tmp_path):  # noqa: F811
    url, setup, _instance = empty_server
    ARTIFACTS.mkdir(exist_ok=True)

    # The one-time set-up.
    admin = _page(browser)
    admin.goto(setup)
    admin.fill('[name="federation_name"]', "北京市西城区总工会")
    admin.fill('[name="federation_code"]', "XC-ZGH")
    admin.fill('[name="username"]', "admin")
    admin.fill('[name="display_name"]', "赵管理")
    admin.fill('[name="password"]', ADMIN_PASSWORD)
    admin.fill('[name="confirm"]', ADMIN_PASSWORD)
    _submit(admin, '#set-up-form button[type="submit"]')
    admin.click("#nav-admin")
    assert admin.locator("#count-unit").inner_text() == "0"

    # Two working committees, then 30 units and their submitters from a sheet.
    for code, name in (("XC-GW1", "西城区第一工委"), ("XC-GW2", "西城区第二工委")):
        _add_organisation(admin, url, "committee", "北京市西城区总工会(总工会 XC-ZGH)", code, name)
    sheet = tmp_path / "单位和用户.xlsx"
    _units_sheet(sheet)
    admin.goto(f"{url}/admin/import/")
    admin.set_input_files('[name="sheet"]', str(sheet))
    _submit(admin, '#sheet-form button[type="submit"]')
    assert admin.locator("#import-rows tbody tr").count() == 30
    _submit(admin, '#import-form button[type="submit"]')
    assert admin.locator("#import-done").is_visible()
    admin.screenshot(path=str(ARTIFACTS / "import-done.png"), full_page=True)
    password = admin.locator('.temporary-password[data-username="xc007"]').inner_text()

    # Two departments and three judges.
    federation = "北京市西城区总工会(总工会 XC-ZGH)"
    _add_organisation(admin, url, "department", federation, "XC-D-HR", "西城区人力资源和社会保障局")
    _add_organisation(admin, url, "department", federation, "XC-D-SAFE", "西城区应急管理局")
    for i, name in enumerate(("钱评委", "孙评委", "李评委"), start=1):
        _add_user(admin, url, f"judge{i}", name, "judge", "北京市西城区总工会(XC-ZGH)")

    # A campaign, copied into 2027 with its rules; judges; quotas from a sheet; opened.
    admin.goto(f"{url}/admin/campaigns/new")
    admin.fill('[name="year"]', "2026")
    admin.fill('[name="name"]', "2026年西城区劳动奖章评选")
    admin.fill('[name="nomination_deadline"]', "2026-12-31")
    admin.fill('[name="objection_body"]', "西城区总工会劳模办")
    admin.fill('[name="consultation_rules"]', "-> XC-D-HR, XC-D-SAFE")
    _submit(admin, '#campaign-form button[type="submit"]')
    admin.fill("#copy-year", "2027")
    admin.fill("#copy-name", "2027年西城区劳动奖章评选")
    admin.fill("#copy-nomination_deadline", "2027-12-31")
    _submit(admin, '#copy-form button[type="submit"]')
    assert admin.locator("#campaign-status").get_attribute("data-status") == "draft"
    assert admin.locator('[name="objection_body"]').input_value() == "西城区总工会劳模办"
    admin.click("#campaign-tab-judges")
    for i in (1, 2, 3):
        admin.check(f'[name="member"] >> nth={i - 1}')
    admin.check('[name="chair"] >> nth=0')
    _submit(admin, '#judges-form button[type="submit"]')
    admin.click("#campaign-tab-quotas")
    with admin.expect_download() as download:
        admin.click("#quota-sheet-link")
    quotas = tmp_path / "名额.xlsx"
    download.value.save_as(quotas)
    wb = openpyxl.load_workbook(quotas)
    ws = wb.active
    codes = [ws.cell(row=r, column=1).value for r in range(3, ws.max_row + 1)]
    assert codes == ["XC-GW1", "XC-GW2"]
    for r in (3, 4):
        for c in range(3, ws.max_column + 1):
            ws.cell(row=r, column=c, value=4)
    wb.save(quotas)
    admin.set_input_files("#quota-sheet", str(quotas))
    _submit(admin, '#quota-sheet-form button[type="submit"]')
    assert admin.locator('[name^="q-"]').first.input_value() == "4"
    admin.click("#campaign-tab-settings")
    _submit(admin, "#campaign-open")
    assert admin.locator("#campaign-status").get_attribute("data-status") == "open"
    admin.screenshot(path=str(ARTIFACTS / "campaign-open.png"), full_page=True)

    # A unit's submitter: the temporary password, their own, then a nomination.
    unit = _page(browser)
    unit.goto(f"{url}/login")
    unit.fill('[name="username"]', "xc007")
    unit.fill('[name="password"]', password)
    with unit.expect_navigation():
        unit.click('button[type="submit"]')
    unit.wait_for_url(re.compile(r".*/password.*"))
    unit.fill('[name="current"]', password)
    unit.fill('[name="new"]', "xc007-own-password")
    unit.fill('[name="confirm"]', "xc007-own-password")
    _submit(unit, 'form[action$="/password"] button[type="submit"]')
    unit.goto(f"{url}/")
    unit.click('a[data-new-kind="individual"]')
    for name, value in {
        "name": "郑秀兰",
        "ethnicity": "汉族",
        "birth_date": "1982-03-08",
        "id_number": "110102198203080021",
        "work_start": "2002-07-01",
        "post": "西城第7基层工会 客服班班长",
        "title_or_grade": "高级工",
        "phone": "13811113333",
        "industry": "居民服务业",
        "summary": "带领客服班十年如一日服务社区居民,满意率连续五年第一。",
        "deeds": "郑秀兰同志2002年参加工作,带领客服班服务社区居民,满意率连续五年第一。",
    }.items():
        unit.fill(f'[name="{name}"]', value)
    for name, value in {
        "gender": "female",
        "political_affiliation": "masses",
        "education": "senior_high",
        "category": "frontline",
        "ownership": "public",
    }.items():
        unit.select_option(f'[name="{name}"]', value)
    _submit(unit, 'form[action*="/nominations/new"] button[type="submit"]')
    deeds = tmp_path / "事迹材料.pdf"
    from weasyprint import HTML

    HTML(string="<h1>郑秀兰同志先进事迹</h1>").write_pdf(deeds)
    unit.select_option("#upload-purpose", "deeds")
    unit.set_input_files("#upload-file", str(deeds))
    _submit(unit, '#upload-form button[type="submit"]')
    # The minutes and the stamped notice are required too: until they are in, the checklist
    # names them and the recommendation cannot be sent.
    assert (
        unit.locator('[data-condition="congress_minutes"]').first.get_attribute("data-met")
        == "false"
    )
    assert unit.locator('form[data-trigger="recommend"]').count() == 0
    for purpose, name in (("congress_minutes", "职代会纪要.pdf"), ("unit_notice", "公示结果.pdf")):
        HTML(string=f"<h1>{name}</h1>").write_pdf(tmp_path / name)
        unit.select_option("#upload-purpose", purpose)
        unit.set_input_files("#upload-file", str(tmp_path / name))
        _submit(unit, '#upload-form button[type="submit"]')
    assert unit.locator('[data-condition="unit_notice"]').first.get_attribute("data-met") == "true"
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    form = unit.locator('form[data-trigger="recommend"]')
    for name, value in {
        "congress_date": (today - timedelta(days=30)).isoformat(),
        "members_present": "50",
        "votes_for": "48",
        "votes_against": "1",
        "votes_abstain": "1",
        "notice_start": (today - timedelta(days=25)).isoformat(),
        "notice_end": (today - timedelta(days=14)).isoformat(),
        "comment": "经职工代表大会讨论,同意推荐。",
    }.items():
        form.locator(f'[name="{name}"]').fill(value)
    form.locator('[name="notice_result"]').select_option("no_objection")
    _submit(unit, 'form[data-trigger="recommend"] button[name="trigger"][value="recommend"]')
    assert unit.locator("[data-state]").first.get_attribute("data-state") == "committee_review"
    unit.screenshot(path=str(ARTIFACTS / "first-year-recommended.png"), full_page=True)
