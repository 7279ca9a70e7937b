"""The main journey in a real browser: Playwright drives Debian's Chromium against `serve`.

A unit creates and recommends a nomination; the working committee returns it with a remark on
one field, the unit fixes that field and resubmits, the committee forwards it; the federation
passes its first review, two departments give their opinions, three judges vote in a selection
round and it reaches public notice; the notice closes (`nomination tick`), the approver approves,
and the archive shows the record.
"""

from __future__ import annotations

import os
import re
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


#: libfaketime (Debian's faketime package): the served application's clock can move on.
LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")

#: The running server of the module, by instance folder: its process and port.
_SERVED: dict[Path, tuple[subprocess.Popen, int]] = {}


def _start(instance: Path, port: int, clock: datetime | None = None) -> str:
    """Serve ``instance`` with gunicorn on ``port``, its clock at ``clock`` if given, and wait."""
    # No time for verification in one request: the auditor's run goes on over several.
    env = {
        **os.environ,
        "NOMINATION_INSTANCE_PATH": str(instance),
        "NOMINATION_AUDIT_VERIFY_SECONDS": "0",
    }
    if clock is not None:
        # The process's clock starts at ``clock`` and runs on; a clock shared with the test's
        # own faketime (the year-end run) would not take the new start.
        env.pop("FAKETIME_SHARED", None)
        env["LD_PRELOAD"] = str(LIBFAKETIME)
        env["TZ"] = "UTC"
        env["FAKETIME"] = "@" + clock.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    proc = subprocess.Popen(
        [EXE, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        cwd=instance,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _SERVED[instance] = (proc, port)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/login", timeout=2) as response:
                if response.status == 200:
                    return url
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise
            time.sleep(0.2)


def _stop(instance: Path) -> int:
    """Stop the server of ``instance``; return the port it listened on."""
    proc, port = _SERVED.pop(instance)
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)
    return port


def _serve_at(instance: Path, clock: datetime) -> None:
    """Serve ``instance`` again on the same port with its clock at ``clock`` (days go by)."""
    _start(instance, _stop(instance), clock)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """Serve a demo instance with gunicorn on a free port; yield its URL and instance folder."""
    instance = tmp_path_factory.mktemp("journey")
    _run(instance, "demo", "--password", PASSWORD)
    url = _start(instance, _free_port())
    try:
        yield url, instance
    finally:
        if instance in _SERVED:
            _stop(instance)


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


def _work(page, role: str) -> int:
    """Return how many items the landing page's "my work" panel counts for ``role``."""
    card = page.locator(f'#my-work [data-role="{role}"]')
    assert card.count() == 1, f"the landing page shows no work of {role}"
    return int(card.get_attribute("data-count"))


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


def _upload(page, folder: Path, purpose: str, name: str) -> None:
    """Attach a one-page PDF called ``name`` for ``purpose`` through the page's upload form."""
    from weasyprint import HTML

    path = folder / name
    HTML(string=f"<h1>{name}</h1>").write_pdf(path)
    page.select_option("#upload-purpose", purpose)
    page.set_input_files("#upload-file", str(path))
    with page.expect_navigation():
        page.click('#upload-form button[type="submit"]')


def _submit_new_form(page, values: dict[str, str], choices: dict[str, str]) -> None:
    """Fill in the new nomination form (text fields, then choices) and send it."""
    for name, value in values.items():
        page.fill(f'[name="{name}"]', value)
    for name, value in choices.items():
        page.select_option(f'[name="{name}"]', value)
    with page.expect_navigation():
        page.click('form[action*="/nominations/new"] button[type="submit"]')


def _timer(instance: Path, nomination_id: int) -> tuple[datetime, bool]:
    with sqlite3.connect(instance / "nomination.sqlite3") as conn:
        due, provisional = conn.execute(
            "SELECT timer_due_at, timer_provisional FROM nomination WHERE id = ?",
            (nomination_id,),
        ).fetchone()
    return datetime.fromisoformat(due).replace(tzinfo=UTC), bool(provisional)


def _stored_state(instance: Path, nomination_id: int) -> str:
    with sqlite3.connect(instance / "nomination.sqlite3") as conn:
        return conn.execute(
            "SELECT state FROM nomination WHERE id = ?", (nomination_id,)
        ).fetchone()[0]


def _close_notice(browser, url: str, instance: Path, nomination_id: int) -> datetime:
    """Tick past the notice's end; the notice closes then. Return the moment of the tick.

    A notice that runs into a year whose official arrangement is not known yet ends on a
    provisional date (暂定): the tick leaves it open, the public board says so, and the
    administrator enters the year's arrangement in the browser, after which it closes.
    """
    due, provisional = _timer(instance, nomination_id)
    _run(instance, "tick", "--now", (due + timedelta(minutes=1)).isoformat())
    if provisional:
        assert _stored_state(instance, nomination_id) == "public_notice"
        public = browser.new_context(locale="zh-CN").new_page()
        public.goto(f"{url}/notices/")
        entry = public.locator(f'[data-notice="{nomination_id}"]')
        assert entry.locator("[data-provisional]").count() == 1
        assert "放假安排尚未公布" in entry.locator("[data-provisional-reason]").inner_text()
        public.context.close()
        _enter_arrangement(browser, url, due.astimezone(ZoneInfo("Asia/Shanghai")).year)
        due, provisional = _timer(instance, nomination_id)
        assert not provisional
        _run(instance, "tick", "--now", (due + timedelta(minutes=1)).isoformat())
    assert _stored_state(instance, nomination_id) != "public_notice"
    return due + timedelta(minutes=1)


def _enter_arrangement(browser, url: str, year: int) -> None:
    """The administrator enters ``year``'s arrangement: previewed, then saved."""
    from nomination.calendar.provisional import statutory_holidays

    admin = _login(browser, url, "admin")
    assert admin.locator('#my-work [data-role="admin"] a[data-work="admin"]').count() == 1
    admin.click("#nav-admin")
    admin.click("#admin-tab-calendar")
    admin.click(f'[data-year="{year}"] a')
    assert admin.locator("#grade").get_attribute("data-grade") == "provisional"
    weekdays = sorted(d for d in statutory_holidays(year) if d.weekday() < 5)
    admin.fill('[name="holidays"]', "\n".join(d.isoformat() for d in weekdays))
    admin.fill('[name="source"]', f"国办发明电〔{year - 1}〕7号")
    with admin.expect_navigation():
        admin.click("#preview-button")
    assert admin.locator('#preview [data-period="notice"]').count() >= 1
    admin.screenshot(path=str(ARTIFACTS / "calendar-preview.png"), full_page=True)
    with admin.expect_navigation():
        admin.click("#save-button")
    assert admin.locator("#grade").get_attribute("data-grade") == "official"
    admin.context.close()


def _state(page) -> str:
    return page.locator("[data-state]").first.get_attribute("data-state")


def test_objection_journey_to_final_approval(server, browser, tmp_path):
    """The public objects, the unit verifies and answers, the federation finds it unfounded."""
    url, instance = server
    ARTIFACTS.mkdir(exist_ok=True)
    with sqlite3.connect(instance / "nomination.sqlite3") as conn:
        (nomination_id, name) = conn.execute(
            "SELECT n.id, n.nominee_name FROM nomination n "
            "JOIN user_account u ON n.created_by_id = u.id "
            "WHERE u.username = 'unit1' AND n.state = 'public_notice' ORDER BY n.id LIMIT 1"
        ).fetchone()
    nomination_url = f"{url}/nominations/{nomination_id}"
    evidence = tmp_path / "现场照片.png"
    from PIL import Image

    Image.new("RGB", (64, 48), (180, 40, 40)).save(evidence)

    # A member of the public objects from the notice board, with a photo as evidence.
    public = browser.new_context(locale="zh-CN").new_page()
    public.goto(f"{url}/notices/")
    public.click(f'[data-notice="{nomination_id}"] a[href$="/object"]')
    public.fill('[name="objector_name"]', "钱海涛")
    public.fill('[name="objector_phone"]', "13701234567")
    public.fill('[name="objector_address"]', "北京市朝阳区望京西园三区")
    public.fill('[name="facts"]', f"{name}同志事迹材料中所列节能数据与本人了解的情况不符,请核实。")
    public.set_input_files('[name="evidence"]', str(evidence))
    public.wait_for_timeout(3200)  # a person takes a few seconds; robots are refused sooner
    with public.expect_navigation():
        public.click('#objection-form button[type="submit"]')
    reference = public.locator("#objection-reference").inner_text()
    assert reference.startswith("YY-")

    # The federation reads the objection in full and asks the unit to verify.
    federation = _login(browser, url, "federation")
    federation.goto(nomination_url)
    assert _state(federation) == "objection_review"
    objections = federation.locator("#objections").inner_text()
    assert "钱海涛" in objections and "现场照片.png" in objections
    _fire(
        federation,
        "request_verification",
        questions="请核实该同志事迹材料中节能数据的来源,并提供能源计量报表。",
    )
    assert _state(federation) == "unit_verification"

    # The unit sees what to verify, never who objected; attaches its evidence and answers.
    unit = _login(browser, url, "unit1")
    unit.goto(nomination_url)
    page = unit.content()
    assert "能源计量报表" in page and "钱海涛" not in page and "13701234567" not in page
    unit.select_option("#upload-purpose", "objection_answer")
    unit.set_input_files("#upload-file", str(evidence))
    with unit.expect_navigation():
        unit.click('#upload-form button[type="submit"]')
    assert "现场照片.png" in unit.locator("#attachments").inner_text()
    _fire(
        unit,
        "answer_objection",
        finding="经核对2023—2025年能源计量报表,事迹材料所列节能数据准确,有据可查。",
        opinion="unfounded",
        leader_name="孙立华",
        leader_post="党委副书记、工会主席",
    )
    assert _state(unit) == "objection_review"
    unit.screenshot(path=str(ARTIFACTS / "objection-answered.png"), full_page=True)

    # The federation finds the objection unfounded: the notice resumes, then closes.
    federation.goto(nomination_url)
    assert "孙立华" in federation.locator("#evidence").inner_text()
    _fire(federation, "dismiss_objection", comment="经核查,所反映问题不属实。")
    assert _state(federation) == "public_notice"
    public.goto(f"{url}/notices/objections")
    public.fill('[name="reference"]', reference)
    with public.expect_navigation():
        public.click('form button[type="submit"]')
    assert "异议不成立" in public.content()
    _close_notice(browser, url, instance, nomination_id)
    federation.goto(nomination_url)
    assert _state(federation) == "final_approval"


def test_a_unit_prepares_a_complete_file(server, browser, tmp_path):
    """An error is shown beside its field and nothing typed is lost; deeds attached; recommended."""
    url, _instance = server
    ARTIFACTS.mkdir(exist_ok=True)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    unit = _login(browser, url, "unit2")
    unit.click('a[data-new-kind="individual"]')
    values = {
        "name": "吴晓梅",
        "ethnicity": "回族",
        "birth_date": "1985-06-20",
        "id_number": "110105198506201302",  # a wrong check digit
        "work_start": "2007-07-01",
        "post": "北京朝阳环卫中心 清扫保洁三班班长",
        "title_or_grade": "高级工",
        "phone": "13811112222",
        "industry": "公共设施管理业",
        "summary": "带领班组承担朝阳门外大街清扫保洁,推行机械化作业,道路洁净度连续三年全市第一。",
        "deeds": "吴晓梅同志2007年参加工作,带领班组承担朝阳门外大街等主干道的清扫保洁任务。",
    }
    _submit_new_form(
        unit,
        values,
        {
            "gender": "female",
            "political_affiliation": "masses",
            "education": "senior_high",
            "category": "frontline",
            "ownership": "public",
        },
    )
    # The error is next to the field; everything typed is still there.
    error = unit.locator('[data-field="id_number"] .invalid-feedback')
    assert error.is_visible() and "校验" in error.inner_text()
    assert unit.locator('[name="post"]').input_value() == values["post"]
    assert unit.locator('[name="gender"]').input_value() == "female"
    unit.screenshot(path=str(ARTIFACTS / "form-error.png"), full_page=True)
    unit.fill('[name="id_number"]', "110105198506201301")
    with unit.expect_navigation():
        unit.click('form[action*="/nominations/new"] button[type="submit"]')
    assert _state(unit) == "draft"
    nomination_url = unit.url.split("?")[0].split("#")[0]

    # The deeds are attached (checked by content); the file is listed with its hash.
    deeds = tmp_path / "事迹材料.pdf"
    from weasyprint import HTML

    HTML(string="<h1>吴晓梅同志先进事迹</h1><p>道路洁净度连续三年全市第一。</p>").write_pdf(deeds)
    unit.select_option("#upload-purpose", "deeds")
    unit.set_input_files("#upload-file", str(deeds))
    with unit.expect_navigation():
        unit.click('#upload-form button[type="submit"]')
    listed = unit.locator("#attachments").inner_text()
    assert "事迹材料.pdf" in listed and re.search(r"\b[0-9a-f]{64}\b", listed)

    # The checklist names the files still missing; the recommendation waits for them.
    checklist = unit.locator("#recommend-checklist")
    assert checklist.locator('[data-condition="deeds"]').get_attribute("data-met") == "true"
    assert checklist.locator('[data-condition="unit_notice"]').get_attribute("data-met") == "false"
    assert unit.locator('form[data-trigger="recommend"]').count() == 0
    _upload(unit, tmp_path, "congress_minutes", "职代会纪要.pdf")
    _upload(unit, tmp_path, "unit_notice", "公示(旧).pdf")
    # A wrong file is replaced, another removed and attached again, while it is a draft.
    notice = unit.locator("#attachments li", has_text="公示(旧).pdf")
    replacement = tmp_path / "公示结果.pdf"
    HTML(string="<h1>公示结果:无异议</h1>").write_pdf(replacement)
    notice.locator('input[type="file"]').set_input_files(str(replacement))
    with unit.expect_navigation():
        notice.locator('form[data-replace] button[type="submit"]').click()
    listed = unit.locator("#attachments").inner_text()
    assert "公示结果.pdf" in listed and "公示(旧).pdf" not in listed
    minutes = unit.locator("#attachments li", has_text="职代会纪要.pdf")
    # Removing asks once more before it is done.
    assert not minutes.locator('form[data-remove] button[type="submit"]').is_visible()
    minutes.locator("[data-remove-ask] summary").click()
    with unit.expect_navigation():
        minutes.locator('form[data-remove] button[type="submit"]').click()
    assert "职代会纪要.pdf" not in unit.locator("#attachments").inner_text()
    _upload(unit, tmp_path, "congress_minutes", "职代会纪要.pdf")

    # The vote and the unit's notice are recorded, and the nomination is recommended.
    _fire(
        unit,
        "recommend",
        congress_date=(today - timedelta(days=30)).isoformat(),
        members_present="64",
        votes_for="60",
        votes_against="1",
        votes_abstain="3",
        notice_start=(today - timedelta(days=25)).isoformat(),
        notice_end=(today - timedelta(days=14)).isoformat(),
        notice_result="no_objection",
        comment="经职工代表大会讨论,同意推荐。",
    )
    assert _state(unit) == "committee_review"
    unit.goto(nomination_url)
    assert "事迹材料.pdf" in unit.locator("#attachments").inner_text()
    # Submitted, the files are frozen.
    assert unit.locator("form[data-remove], form[data-replace]").count() == 0


def test_nomination_journey_to_the_archive(server, browser, tmp_path):
    url, instance = server
    ARTIFACTS.mkdir(exist_ok=True)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()

    # The unit fills in the form and recommends.
    unit = _login(browser, url, "unit3")
    _work(unit, "unit_submitter")
    unit.click('a[data-new-kind="individual"]')
    values = {
        "name": "周卫东",
        "ethnicity": "汉族",
        "birth_date": "1980-10-15",
        "id_number": "110105198010151232",
        "work_start": "2001-07-01",
        "post": "北京朝建第三建设工程有限公司 钢筋班班长",
        "title_or_grade": "高级技师",
        "phone": "13910001234",
        "industry": "建筑业",
        "summary": "带领钢筋班完成东坝安置房项目主体结构施工,连续五年零事故。",
        "deeds": "带领钢筋班完成东坝安置房项目主体结构施工,连续五年零事故,提出合理化建议二十余项。",
    }
    _submit_new_form(
        unit,
        values,
        {
            "gender": "male",
            "political_affiliation": "cpc",
            "education": "college",
            "category": "industrial_worker",
            "ownership": "public",
        },
    )
    assert "/nominations/" in unit.url
    nomination_url = unit.url.split("?")[0]
    nomination_id = int(nomination_url.rstrip("/").rsplit("/", 1)[1])
    assert _state(unit) == "draft"
    for purpose, name in (
        ("congress_minutes", "职代会纪要.pdf"),
        ("unit_notice", "公示结果.pdf"),
        ("deeds", "事迹材料.pdf"),
    ):
        _upload(unit, tmp_path, purpose, name)
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

    # The working committee forwards it from its queue: its landing page says so first.
    committee = _login(browser, url, "committee2")
    assert _work(committee, "committee_reviewer") >= 1
    assert committee.locator('#my-work a[data-work="state:committee_review"]').count() == 1
    assert committee.locator(f'#queue a[href$="/nominations/{nomination_id}"]').count() == 1
    committee.goto(nomination_url)

    # It returns it with a remark on the post; the unit sees the remark beside that field.
    returning = committee.locator('form[data-trigger="return_to_unit"]')
    returning.locator('[name="reason"]').fill("请按任职文件填写职务全称。")
    returning.locator("details summary").click()
    returning.locator('[name="field_remarks-post"]').fill("职务应写明“钢筋班班长(技师)”。")
    with committee.expect_navigation():
        returning.locator('button[name="trigger"][value="return_to_unit"]').click()
    assert _state(committee) == "returned"
    unit.goto(f"{url}/")
    assert _work(unit, "unit_submitter") >= 1
    with unit.expect_navigation():
        unit.click('#my-work a[data-work="state:returned"]')
    assert unit.locator(f'#queue a[href$="/nominations/{nomination_id}"]').count() == 1
    unit.goto(f"{nomination_url}/edit")
    remark = unit.locator('[data-remark="post"]')
    assert "钢筋班班长(技师)" in remark.inner_text()
    unit.fill('[name="post"]', "北京朝建第三建设工程有限公司 钢筋班班长(技师)")
    with unit.expect_navigation():
        unit.click('form[action$="/edit"] button[type="submit"]')
    _fire(unit, "resubmit", comment="已按要求修改职务。")
    assert _state(unit) == "committee_review"

    # The committee sees what changed since its return, beside its remark, and forwards.
    committee.goto(nomination_url)
    changed = committee.content()
    assert "钢筋班班长(技师)" in changed and "职务应写明" in changed
    _fire(committee, "forward", comment="经审核,同意推荐。")
    assert _state(committee) == "federation_review"

    # The federation passes its first review: the campaign's rules send it to the two
    # departments consulted on every nominee (labour relations and work safety).
    federation = _login(browser, url, "federation")
    assert _work(federation, "federation_reviewer") >= 1
    assert federation.locator('#my-work a[data-work="state:federation_review"]').count() == 1
    federation.goto(nomination_url)
    federation.screenshot(path=str(ARTIFACTS / "federation-review.png"))
    _fire(federation, "accept", comment="初审符合条件。")
    assert _state(federation) == "consultation"
    assert federation.locator("#consultation [data-consultation]").count() == 2

    # Each department answers from its own list; the last clear opinion moves it on.
    for username in ("dept-hr", "dept-safety"):
        department = _login(browser, url, username)
        # The landing page leads to the requests waiting; the navigation bar counts them.
        waiting = _work(department, "department")
        assert waiting >= 1
        badge = department.locator('#nav-consultations [data-work-badge="consultations"]')
        assert badge.inner_text().startswith(str(waiting))
        with department.expect_navigation():
            department.click('#my-work a[data-work="consultation"]')
        with department.expect_navigation():
            department.locator("tr[data-request]", has_text="周卫东").locator("a").first.click()
        page_text = department.content()
        assert "周卫东" in page_text and "13910001234" not in page_text
        department.check('input[name="opinion"][value="clear"]')
        with department.expect_navigation():
            department.click('#opinion-form button[type="submit"]')
        assert department.locator("tr[data-request]", has_text="周卫东").count() == 0
        department.goto(f"{url}/consultations/?status=answered")
        answered = department.locator("tr[data-request]", has_text="周卫东")
        assert answered.get_attribute("data-status") == "clear"
        department.context.close()
    federation.goto(nomination_url)
    assert _state(federation) == "selection"

    # The federation opens a selection round for this nomination with three judges.
    federation.goto(f"{url}/selection-rounds")
    with federation.expect_navigation():
        federation.click('a[href*="/selection-rounds/new"][href*="kind=individual"]')
    for box in federation.locator('input[name="nomination_ids"]').all():
        box.uncheck()
    federation.check(f"#nomination-{nomination_id}")
    for box in federation.locator('input[name="judge_ids"]').all():
        box.check()
    federation.select_option('[name="chair_id"]', label="王建华")
    federation.fill('[name="places"]', "1")
    with federation.expect_navigation():
        federation.click('form[action*="/selection-rounds/new"] button[type="submit"]')
    round_url = federation.url.split("?")[0]
    assert federation.locator("[data-status]").first.get_attribute("data-status") == "open"

    # Three judges vote; none sees another's vote, the federation sees only who voted.
    for username in ("judge1", "judge2", "judge3"):
        judge = _login(browser, url, username)
        # The landing page leads to the ballot waiting in this round.
        assert _work(judge, "judge") >= 1
        round_id = round_url.rstrip("/").rsplit("/", 1)[1]
        with judge.expect_navigation():
            judge.click(f'#my-work a[data-work="round:{round_id}"]')
        assert judge.url.split("?")[0] == round_url
        assert "赞成" in judge.content()
        judge.check(f"#vote-{nomination_id}-yes")
        with judge.expect_navigation():
            judge.click('#ballot button[type="submit"]')
        assert judge.locator('[data-my-vote="yes"]').count() == 1
        judge.context.close()
    federation.goto(round_url)
    cast = federation.locator("[data-votes-cast]").evaluate_all(
        "rows => rows.map(r => r.dataset.votesCast)"
    )
    assert cast == ["1", "1", "1"]
    # Closing asks first and says what will happen; the federation confirms.
    with federation.expect_navigation():
        federation.click("#close-round a")
    assert federation.locator(f'[data-preview-row="{nomination_id}"]').count() == 1
    federation.check("#confirm")
    with federation.expect_navigation():
        federation.click('#close-form button[type="submit"]')
    assert federation.locator("#tally").is_visible()
    federation.screenshot(path=str(ARTIFACTS / "selection-tally.png"), full_page=True)
    federation.goto(nomination_url)
    assert _state(federation) == "public_notice"

    # The public sees the notice without logging in, with public fields only.
    public = browser.new_context(locale="zh-CN").new_page()
    public.goto(f"{url}/notices/")
    board = public.content()
    assert "周卫东" in board and "110105198010151232" not in board and "13910001234" not in board

    # The notice closes when its period is over.
    closed = _close_notice(browser, url, instance, nomination_id)

    # Days go by: the approver decides the day after the notice closed, on that day's clock.
    decided = closed + timedelta(days=1)
    _serve_at(instance, decided)

    # The approver approves; the archive record is shown.
    approver = _login(browser, url, "approver")
    assert _work(approver, "approver") >= 1
    with approver.expect_navigation():
        approver.click('#my-work a[data-work="state:final_approval"]')
    assert approver.locator(f'#queue a[href$="/nominations/{nomination_id}"]').count() == 1
    approver.goto(nomination_url)
    assert _state(approver) == "final_approval"
    _fire(
        approver,
        "approve",
        decision_number="京工发〔2026〕15号",
        decision_date=decided.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat(),
        comment="同意表彰。",
    )
    assert _state(approver) == "approved"
    assert approver.locator("#honour-record").is_visible()
    approver.screenshot(path=str(ARTIFACTS / "nomination-approved.png"), full_page=True)

    unit.goto(f"{url}/archive/")
    assert unit.locator("#archive", has_text="周卫东").count() == 1
    unit.goto(nomination_url)
    timeline = unit.content()
    for label in (
        "推荐上报工委",
        "审核通过,报区总工会",
        "各部门无异议,提交评审",
        "评审通过,进入公示",
        "公示期满无异议",
        "批准表彰",
    ):
        assert label in timeline

    # The audit trail of everything the journey did verifies.
    verify = _run(instance, "audit", "verify")
    assert '"ok": true' in verify.stdout


def test_the_auditor_verifies_a_long_log_over_several_requests(server, browser):
    url, _instance = server
    auditor = _login(browser, url, "auditor")
    assert auditor.locator('#my-work [data-role="auditor"] a[href$="/audit/"]').count() == 1
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
