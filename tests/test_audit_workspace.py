"""The auditor's workspace: readable events, the global log, timelines, verification, exports."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update
from test_checkpoints import bulk_events
from test_uploads import pdf_bytes

from nomination.actors import PUBLIC
from nomination.audit import reading as audit_views
from nomination.audit.chain import Entity, record_event
from nomination.audit.checkpoints import create_checkpoint, generate_keys
from nomination.audit.erasure import erase_person
from nomination.audit.offline import load_public_key, verify_export
from nomination.engine import apply_due_timers, fire
from nomination.models import AuditEvent, AuditHead, Checkpoint, HonourRecord
from nomination.nominations.operations import update_nomination

from factories import DECIDED_AT, NOW, person_data, recommendation
from tampering import remove_protection
from test_api_support import OBJECTION
from test_web_support import login, walk_to_notice

pytest_plugins = ["test_web_support"]
pytestmark = pytest.mark.usefixtures("web")

TZ_OFFSET = timedelta(hours=8)


@pytest.fixture(autouse=True)
def instance_files(app, tmp_path, monkeypatch):
    """This test's own key pair and verification file."""
    folder = tmp_path / "keys"
    monkeypatch.setitem(app.config, "AUDIT_KEY_DIR", str(folder))
    monkeypatch.delitem(app.config, "AUDIT_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("NOMINATION_AUDIT_PRIVATE_KEY", raising=False)
    monkeypatch.setitem(app.config, "AUDIT_VERIFICATION_FILE", str(tmp_path / "verified.json"))
    return generate_keys(folder)


@pytest.fixture
def edited(session, create_nomination_for, web):
    """Unit1's nomination whose post was changed once, then recommended (at version 3)."""
    n = create_nomination_for("unit1", data=person_data(post="热力集团 班长"))
    update_nomination(
        n, actor=web.users["unit1"], data=person_data(post="热力集团 班组长"), version=1
    )
    fire(n, "recommend", web.users["unit1"], data=recommendation())
    session.commit()
    return n


def events_of(session, nomination, action=None):
    query = select(AuditEvent).where(
        AuditEvent.entity_type == "nomination", AuditEvent.entity_id == str(nomination.id)
    )
    if action:
        query = query.where(AuditEvent.action == action)
    return list(session.scalars(query.order_by(AuditEvent.seq)))


def shown_seqs(html: str) -> list[int]:
    return [int(s) for s in re.findall(r'<tr data-seq="(\d+)">', html)]


# --- personal values are shown in clear, never as commitments ---------------------------------


def test_the_nomination_page_shows_clear_changes_not_commitments(web_client, edited):
    login(web_client, "unit1")
    page = web_client.get(f"/nominations/{edited.id}")
    timeline = page.text[page.text.index('id="timeline"') :]
    assert "$c" not in page.text
    change = timeline[timeline.index("工作单位及职务(岗位)") :]
    change = change[: change.index("</div>")]
    # The changed word is marked in the clear value: 热力集团 班<ins>组</ins>长.
    assert "热力集团 班" in change and ">组</ins>" in change and "长" in change


def test_the_api_history_shows_clear_values(client, session, edited, web):
    login(client, "unit1")
    items = client.get(f"/api/v1/nominations/{edited.id}/history").json["items"]
    assert "$c" not in json.dumps(items)
    create = next(i for i in items if i["action"] == "nomination.create")
    assert create["after"]["data"]["id_number"] == "110105194912310038"
    update = next(i for i in items if i["action"] == "nomination.update")
    assert update["before"]["data"] == {"post": "热力集团 班长"}
    assert update["after"]["data"] == {"post": "热力集团 班组长"}
    assert update["redacted"] == 0


def test_erased_values_read_redacted_everywhere(web_client, client, session, edited, web):
    erase_person(session, actor=web.users["admin"], subject=edited.id, reason="依法删除")
    session.commit()
    login(client, "auditor")
    items = client.get(f"/api/v1/nominations/{edited.id}/history").json["items"]
    update = next(i for i in items if i["action"] == "nomination.update")
    assert update["after"]["data"] == {"post": "[redacted]"} and update["redacted"] == 2
    login(web_client, "auditor")
    page = web_client.get(f"/audit/nominations/{edited.id}")
    assert "$c" not in page.text
    assert "[redacted]" in page.text and "data-redacted" in page.text
    log = web_client.get("/audit/", query_string={"nomination": edited.id})
    assert "$c" not in log.text and "[redacted]" in log.text


# --- the global log --------------------------------------------------------------------------


def test_the_log_shows_a_field_level_diff_with_form_labels(web_client, session, edited):
    login(web_client, "auditor")
    page = web_client.get("/audit/", query_string={"action": "nomination.update"})
    (update,) = events_of(session, edited, "nomination.update")
    assert shown_seqs(page.text) == [update.seq] or update.seq in shown_seqs(page.text)
    row = page.text[page.text.index(f'<tr data-seq="{update.seq}">') :]
    row = row[: row.index("</tr>")]
    assert 'data-field="post"' in row
    assert "工作单位及职务(岗位)</span>: " in row
    assert "热力集团 班长</span> → 热力集团 班组长" in row
    assert f'href="/audit/nominations/{edited.id}"' in row


def test_filters(session, web, edited, create_nomination_for):
    other = create_nomination_for("unit3")
    session.commit()
    tz = ZoneInfo("Asia/Shanghai")

    def seqs(**kwargs):
        page = audit_views.page_of_events(
            session, audit_views.EventFilter(**kwargs), tz, limit=1000
        )
        return {e.seq for e in page.events}

    mine = {e.seq for e in events_of(session, edited)}
    theirs = {e.seq for e in events_of(session, other)}
    assert seqs(nomination_id=edited.id) == mine
    # An organisation includes its subtree: committee C1 holds unit1, not unit3.
    by_c1 = seqs(organisation="C1")
    assert mine <= by_c1 and not theirs & by_c1
    assert theirs <= seqs(organisation="U3") and not mine & seqs(organisation="U3")
    assert seqs(organisation="NO-SUCH-ORG") == set()
    assert seqs(actor="unit3") >= theirs and not seqs(actor="unit3") & mine
    assert seqs(role="unit_submitter") >= mine | theirs
    assert not seqs(role="auditor") & (mine | theirs)
    assert seqs(campaign_id=web.campaign.id) >= mine | theirs
    assert seqs(campaign_id=web.campaign.id + 999) == set()
    assert {
        e.action
        for e in session.scalars(
            select(AuditEvent).where(AuditEvent.seq.in_(seqs(action="transition.")))
        )
    } == {"transition.recommend"}
    # Local dates: the tests' clock is 10:00 in Beijing on 18 November.
    day = (NOW + TZ_OFFSET).date()
    assert mine <= seqs(start=day, end=day)
    assert seqs(start=day + timedelta(days=1)) == set()
    assert seqs(end=day - timedelta(days=1)) & mine == set()


def test_pages_continue_below_the_last_sequence_number(web_client, session, edited):
    login(web_client, "auditor")
    head = session.get(AuditHead, 1).seq
    seen: list[int] = []
    url = "/audit/"
    while url:
        page = web_client.get(url)
        seen.extend(shown_seqs(page.text))
        found = re.search(r'href="([^"]+)" id="next-page"', page.text)
        url = found.group(1).replace("&amp;", "&") if found else None
    # The web session's own login events were appended too; every event appears exactly once.
    assert seen == sorted(set(seen), reverse=True)
    assert set(range(1, head + 1)) <= set(seen)


# --- timelines -------------------------------------------------------------------------------


def test_data_as_of_a_version_is_rebuilt_from_the_trail(session, edited):
    assert audit_views.nominee_data_at(session, edited, 1)["post"] == "热力集团 班长"
    assert audit_views.nominee_data_at(session, edited, 2)["post"] == "热力集团 班组长"
    assert audit_views.nominee_data_at(session, edited, 3) == edited.data


def test_the_nomination_timeline_shows_the_version_each_decision_saw(
    web_client, session, edited, web
):
    login(web_client, "auditor")
    page = web_client.get(f"/audit/nominations/{edited.id}")
    assert page.status_code == 200
    assert shown_seqs(page.text) == [e.seq for e in events_of(session, edited)]
    (recommend,) = events_of(session, edited, "transition.recommend")
    row = page.text[page.text.index(f'<tr data-seq="{recommend.seq}">') :]
    row = row[: row.index("</tr>")]
    assert 'data-seen-version="2"' in row
    assert "热力集团 班组长" in row and "热力集团 班长<" not in row


def test_the_timeline_runs_to_the_archive_and_hides_objectors(
    web_client, session, create_nomination_for, web
):
    n = create_nomination_for("unit1")
    walk_to_notice(n, web)
    fire(n, "object", PUBLIC, data=dict(OBJECTION))
    session.commit()
    login(web_client, "auditor")
    page = web_client.get(f"/audit/nominations/{n.id}")
    assert 'data-objection-status="open"' in page.text
    assert OBJECTION["objector_name"] not in page.text
    assert OBJECTION["objector_phone"] not in page.text
    assert 'id="honour">—' in page.text


def test_the_timeline_shows_the_honour_record(
    clock, web_client, session, create_nomination_for, web
):
    n = create_nomination_for("unit1")
    walk_to_notice(n, web)
    apply_due_timers(session, n.timer_due_at)
    decision = {"decision_number": "京工发〔2026〕12号", "decision_date": "2026-11-27"}
    clock(DECIDED_AT)  # the decision follows the notice
    fire(n, "approve", web.users["approver"], data=decision, now=DECIDED_AT)
    session.commit()
    record = session.scalar(select(HonourRecord).where(HonourRecord.nomination_id == n.id))
    login(web_client, "auditor")
    page = web_client.get(f"/audit/nominations/{n.id}")
    honour = page.text[page.text.index('id="honour"') :]
    assert f"{record.id} · 京工发〔2026〕12号" in honour[: honour.index("</dd>")]
    assert "transition.approve" in page.text
    # And the person's page lists it.
    page = web_client.post("/audit/people", data={"name": n.nominee_name})
    assert f'data-honour="{record.id}"' in page.text


# --- a person --------------------------------------------------------------------------------


def test_a_person_is_looked_up_by_a_posted_id_number(
    web_client, session, edited, create_nomination_for, web
):
    other = create_nomination_for(
        "unit2", data=person_data(id_number="11010519491231002X", gender="female")
    )
    session.commit()
    login(web_client, "auditor")
    assert web_client.get("/audit/people").status_code == 200
    page = web_client.post("/audit/people", data={"id_number": "110105194912310038"})
    assert page.status_code == 200
    assert f'data-nomination="{edited.id}"' in page.text
    assert f'data-nomination="{other.id}"' not in page.text
    assert 'id="no-honours"' in page.text
    # Never in an address: the form posts, and no link carries the number.
    assert "110105194912310038" not in "".join(re.findall(r'href="([^"]*)"', page.text))
    assert web_client.post("/audit/people", data={}).status_code == 422


@pytest.mark.parametrize(
    "path", ["/audit/", "/audit/people", "/audit/verify", "/audit/export", "/audit/nominations/1"]
)
def test_only_auditors_and_administrators_enter(web_client, path):
    login(web_client, "federation")
    assert web_client.get(path).status_code == 403


# --- verification ----------------------------------------------------------------------------


def test_verification_covers_the_tree_and_checkpoints(web_client, session, edited):
    create_checkpoint(session)
    session.commit()
    login(web_client, "auditor")
    page = web_client.post("/audit/verify")
    signed = session.scalar(select(func.count(Checkpoint.id)))
    assert signed >= 2  # the stages the nomination closed, and this one
    assert 'data-ok="true"' in page.text
    assert f'id="checkpoints">{signed}<' in page.text
    head = session.get(AuditHead, 1)
    assert 'id="checkpoint" data-size=' in page.text
    stored = audit_views.last_verification()
    assert stored["finished"] and stored["ok"] and stored["checkpoints"] == signed
    assert stored["of"] == head.seq and stored["by"] == "auditor"


def test_a_checkpoint_signed_with_the_clock_ahead_is_a_warning_on_the_page(
    web_client, session, edited
):
    create_checkpoint(session, now=NOW + timedelta(days=1))
    create_checkpoint(session, now=NOW)
    session.commit()
    login(web_client, "auditor")
    page = web_client.post("/audit/verify")
    assert 'data-ok="true"' in page.text
    assert 'id="clock-warnings"' in page.text
    # When it ran reads in local time, not as a UTC ISO string.
    run_at = re.search(r'id="run-at">([^<]*)<', page.text).group(1)
    assert "T" not in run_at.split("·")[0] and "+00:00" not in run_at


def test_verification_is_bounded_in_time_and_continues(
    web_client, app, session, edited, monkeypatch
):
    bulk_events(session, 600)
    session.commit()
    monkeypatch.setitem(app.config, "AUDIT_VERIFY_SECONDS", 0)
    login(web_client, "auditor")
    total = session.get(AuditHead, 1).seq
    page = web_client.post("/audit/verify")
    assert page.status_code == 200
    assert "Under way: checked 256 of" in page.text or "已校验 256 /" in page.text
    assert 'id="verify-progress"' in page.text and "data-auto-continue" in page.text
    stored = audit_views.last_verification()
    assert stored["finished"] is False and stored["ok"] is None
    assert (stored["checked"], stored["of"], stored["runs"]) == (256, total, 1)

    # Each request goes on from where the last one stopped, until the whole log is verified.
    page = web_client.post("/audit/verify", data={"continue": "1"})
    assert audit_views.last_verification()["checked"] == 512
    while 'id="continue-form"' in page.text:
        page = web_client.post("/audit/verify", data={"continue": "1"})
    stored = audit_views.last_verification()
    assert stored["finished"] and stored["ok"] and stored["checked"] == total
    assert stored["runs"] == -(-total // 256)
    assert 'data-ok="true"' in page.text and "data-auto-continue" not in page.text
    # Opening the page later does not start a run by itself.
    assert "data-auto-continue" not in web_client.get("/audit/verify").text


def test_a_continued_verification_still_finds_tampering(
    web_client, app, session, edited, monkeypatch
):
    bulk_events(session, 600)
    session.commit()
    monkeypatch.setitem(app.config, "AUDIT_VERIFY_SECONDS", 0)
    login(web_client, "auditor")
    web_client.post("/audit/verify")
    # Tampering ahead of where the run stands is found when the run gets there.
    remove_protection(session)
    session.execute(update(AuditEvent).where(AuditEvent.seq == 400).values(comment="changed"))
    session.commit()
    page = web_client.post("/audit/verify", data={"continue": "1"})
    stored = audit_views.last_verification()
    assert stored["finished"] and stored["ok"] is False and stored["first_bad_seq"] == 400
    assert 'data-ok="false"' in page.text


# --- exports ---------------------------------------------------------------------------------


@pytest.fixture
def formula(session, create_nomination_for, web):
    """A nominee whose name is a spreadsheet formula."""
    n = create_nomination_for("unit1", data=person_data(name='=HYPERLINK("http://x.cn")'))
    session.commit()
    return n


def export(web_client, as_user="auditor", **data):
    login(web_client, as_user)
    return web_client.post("/audit/export", data=data)


def test_json_lines_export_verifies_offline(
    web_client, new_web_client, session, edited, web, instance_files
):
    create_checkpoint(session)
    session.commit()
    response = export(web_client, format="jsonl", campaign=str(web.campaign.id))
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    lines = response.text.splitlines()
    header = json.loads(lines[0])
    assert header["filter"]["campaign_id"] == web.campaign.id
    checkpoint = header["checkpoint"]
    key = load_public_key(instance_files[1].read_bytes())
    result = verify_export(lines, checkpoint, key)
    assert result.ok, result
    # Without the permission the log carries only commitments: no clear personal value.
    assert '"personal"' not in response.text and "热力集团" not in response.text

    response = export(new_web_client(), as_user="admin", format="jsonl", personal="y")
    lines = response.text.splitlines()
    assert "热力集团" in response.text
    assert any('"personal"' in line for line in lines)
    assert verify_export(lines, checkpoint, key).ok


def test_csv_neutralises_formulas_and_masks_personal_data(web_client, formula):
    response = export(web_client, format="csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    cells = [c for row in rows for c in row]
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    # Without the checkbox the masking policy applies: the ID number and phone are masked;
    # the name (neutralised inside its change line) is not sensitive.
    assert any("HYPERLINK" in c for c in cells)
    assert not any("110105194912310038" in c for c in cells)
    assert any("110***********0038" in c for c in cells)


def test_csv_and_excel_with_personal_data(web_client, formula):
    # An administrator may export personal values in clear.
    response = export(web_client, as_user="admin", format="csv", personal="y")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    cells = [c for row in rows for c in row]
    assert any("HYPERLINK" in c for c in cells)
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    # Inside a change line the name is not at the start of the cell; the cell is still safe.
    response = export(web_client, as_user="admin", format="xlsx", personal="y")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.active
    values = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any("HYPERLINK" in str(v) for v in values)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@")) for v in values)


def test_neutralise():
    assert audit_views.neutralise('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    for prefix in ("=", "+", "-", "@", "\t", "\r"):
        assert audit_views.neutralise(prefix + "1") == "'" + prefix + "1"
    assert audit_views.neutralise("张建国") == "张建国"
    assert audit_views.neutralise(42) == 42


def test_personal_data_needs_the_permission(web_client, formula):
    login(web_client, "auditor")  # reads everything, but exports personal values masked
    assert 'name="personal"' not in web_client.get("/audit/export").text
    assert export(web_client, format="csv", personal="y").status_code == 403
    assert export(web_client, format="jsonl", personal="y").status_code == 403
    assert export(web_client, format="csv").status_code == 200


def test_a_date_range_export(web_client, session, edited):
    day = (NOW + TZ_OFFSET).date()
    response = export(web_client, format="csv", start=str(day + timedelta(days=1)))
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert len(rows) == 1  # the header only
    response = export(web_client, format="csv", start=str(day), end=str(day))
    assert len(list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))) > 1


# --- the published checkpoint ----------------------------------------------------------------


def test_the_notice_page_publishes_the_latest_checkpoint(client, session):
    assert 'id="no-checkpoint"' in client.get("/notices/").text
    cp = create_checkpoint(session)
    session.commit()
    page = client.get("/notices/").text
    assert f'id="checkpoint-size">{cp.tree_size}<' in page
    assert cp.root_hash in page and cp.key_id in page
    assert 'href="/api/v1/checkpoints/latest"' in page
    assert f'href="/api/v1/checkpoints/keys/{cp.key_id}"' in page
    data = client.get("/api/v1/checkpoints/latest").json
    assert data["root_hash"] == cp.root_hash and data["tree_size"] == cp.tree_size
    key = client.get(f"/api/v1/checkpoints/keys/{cp.key_id}")
    assert key.status_code == 200 and b"BEGIN PUBLIC KEY" in key.data
    assert client.get("/api/v1/checkpoints/keys/0000").status_code == 404


def test_dates_on_the_log_are_local(web_client, session, edited):
    login(web_client, "auditor")
    day = (NOW + TZ_OFFSET).date()
    page = web_client.get("/audit/", query_string={"from": str(day), "to": str(day)})
    assert shown_seqs(page.text)
    bad = web_client.get("/audit/", query_string={"from": "18/11/2026"})
    assert bad.status_code == 200 and "YYYY-MM-DD" in bad.text


# --- labels, roles and local times for people; raw values kept in the exports ----------------


def test_the_workspace_names_actions_and_roles_and_fills_them_for_logins_and_uploads(
    web_client, new_web_client, session, create_nomination_for, web
):
    n = create_nomination_for("unit1", data=person_data())
    session.commit()
    unit = new_web_client()
    login(unit, "unit1")
    uploaded = unit.post(
        f"/nominations/{n.id}/attachments",
        data={"purpose": "deeds", "file": (io.BytesIO(pdf_bytes()), "事迹.pdf")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302
    login(web_client, "auditor")
    page = web_client.get("/audit/").text
    cells = re.findall(
        r'<td [^>]*data-role="([^"]*)">([^<]*)</td>\s*<td data-action="([^"]+)"[^>]*>([^<]*)<',
        page,
    )
    shown = {(action, role_code): (role, label) for role_code, role, action, label in cells}
    # A login names the role of a one-role account; an upload its submitter's role.
    assert shown[("auth.login", "unit_submitter")] == ("基层工会", "登录")
    assert shown[("auth.login", "auditor")] == ("审计/纪检", "登录")
    assert shown[("attachment.add", "unit_submitter")] == ("基层工会", "上传附件")
    # Its changes read as words: the purpose by name, the size in KB, never the JSON keys.
    upload_row = page[page.index('data-action="attachment.add"') :]
    upload_row = upload_row[: upload_row.index("</tr>")]
    text = re.sub(r"<[^>]+>", "", upload_row)
    assert "用途" in text and "事迹材料" in text and "KB" in text
    assert "attachment_id" not in text and "purpose" not in text


def test_an_older_login_without_a_role_shows_the_accounts_roles(web_client, session, web):
    record_event(session, web.users["federation"], "auth.login", Entity("user", 1))
    session.commit()
    login(web_client, "auditor")
    page = web_client.get("/audit/", query_string={"action": "auth.login"}).text
    assert re.search(r'data-role="">区总工会劳模办</td>', page)


def test_every_action_is_named_in_both_languages(app):
    event = AuditEvent(action="consultation.opinion")
    assert audit_views.action_label(event) == "部门回复意见"
    assert audit_views.action_label(AuditEvent(action="auth.login")) == "登录"
    # A transition whose workflow is not known still reads as one.
    assert audit_views.action_label(AuditEvent(action="transition.forward")) == "流程操作: forward"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert audit_views.action_label(event) == "Department's opinion given"


def test_changed_values_read_as_words_and_local_times(app):
    with app.test_request_context():
        readable = audit_views.readable
        assert readable("closed_at", "2026-11-18T02:00:00+00:00") == "2026-11-18 10:00:00"
        ballots = {"7": {"3": "yes", "4": "yes", "5": "no"}}
        assert readable("ballots", ballots) == "#7: 赞成 2 · 反对 1 · 弃权 0"
        assert readable("purpose", "congress_minutes") == "职代会(联席会)会议纪要"
        assert readable("cast", True) == "是"
        assert readable("chair", {"id": 3, "name": "王主任"}) == "王主任"
        assert readable("tally", {"round": 1, "places": 2}) == "轮次: 1; 名额: 2"
        assert "{" not in readable("tally", {"members": [{"id": 1, "name": "甲"}], "tie": None})


def test_the_csv_export_keeps_raw_codes_beside_the_labels(web_client, edited):
    response = export(web_client, format="csv")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    header = rows[0]
    assert header[:9] == [
        "序号",
        "时间",
        "时间(UTC)",
        "操作人",
        "角色",
        "角色代码",
        "操作",
        "操作代码",
        "对象",
    ]
    records = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    update = next(r for r in records if r["操作代码"] == "nomination.update")
    assert (update["操作"], update["角色"], update["角色代码"]) == (
        "修改推荐表",
        "基层工会",
        "unit_submitter",
    )
    assert update["时间(UTC)"].endswith("+00:00")
    assert update["时间"] == (datetime.fromisoformat(update["时间(UTC)"]) + TZ_OFFSET).strftime(
        "%Y-%m-%d %H:%M:%S"
    )


# --- the exact Content-Type of each download ---------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("csv", "text/csv; charset=utf-8"),
        ("jsonl", "application/jsonl; charset=utf-8"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_audit_downloads_say_their_type_once(web_client, edited, fmt, content_type):
    response = export(web_client, format=fmt)
    assert response.status_code == 200
    assert response.headers.getlist("Content-Type") == [content_type]


def test_the_archive_csv_says_its_charset_once(web_client):
    login(web_client, "federation")
    response = web_client.get("/archive/export?format=csv")
    assert response.status_code == 200
    assert response.headers.getlist("Content-Type") == ["text/csv; charset=utf-8"]


def test_a_rounds_judges_and_award_read_by_name(app, session, tree):
    """A round's chair and judges are accounts: the log names them; its award by the honour."""
    chair, judge = tree.users["federation"], tree.users["approver"]
    with app.test_request_context("/?lang=zh"):
        assert audit_views.readable("chair", chair.id) == chair.name
        assert audit_views.readable("members", [chair.id, judge.id]) == (
            f"{chair.name}、{judge.name}"
        )
        assert audit_views.readable("kind", "individual") == "劳动奖章"
        assert audit_views.readable("chair", 987654) == "#987654"
        # A login's origin reads as its address.
        assert audit_views.readable("client", {"address": "10.0.0.8"}) == "10.0.0.8"
        # Numbers under other keys stay numbers.
        assert audit_views.readable("places", 3) == "3"


def test_a_rounds_status_reads_by_its_label(app, session):
    from nomination.audit.chain import EventView
    from nomination.models import AuditEvent

    event = AuditEvent(action="selection_round.close", entity_type="selection_round")
    view = EventView({"status": "open"}, {"status": "closed"}, 0)
    with app.test_request_context("/?lang=zh"):
        [change] = audit_views.field_changes(event, view, None)
    assert (change.before, change.after) == ("表决中", "已结束")
