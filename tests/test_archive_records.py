"""Person records of the archive (劳模档案): one record per person, dated statuses, as-of views,
the 2-day death flag, masking per role, merges, studios; the pages and the JSON API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import current_app
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from nomination.actors import SYSTEM
from nomination.api.archive import PERSON_SCHEMA, STATUS_ENTRY_SCHEMA
from nomination.api.openapi import document
from nomination.archive import people as archive
from nomination.engine import apply_due_timers, fire
from nomination.errors import Conflict, InvalidData
from nomination.models import (
    ArchivePerson,
    AuditEvent,
    HonourRecord,
    PersonStatus,
    PersonVersion,
    Studio,
    StudioMember,
)

from factories import DECIDED_AT, DECIDED_ON, NOW, person_data, recommendation
from test_api_support import Api
from test_web_support import login

pytest_plugins = ["test_web_support"]

ID_NUMBER = person_data()["id_number"]
MASKED = "110***********0038"
#: A second valid resident ID number (a duplicate record typed with another number).
OTHER_ID = "110105198001010024"
OLD_POST = person_data()["post"]


def approve(session, tree, nomination, *, decision="京工发〔2026〕3号", **recommend):
    """Take ``nomination`` through the engine to its approval, as its own unit's submitter."""
    submitter = "unit1" if nomination.unit_id == tree.unit1.id else "unit2"
    u = tree.users
    fire(nomination, "recommend", u[submitter], data=recommendation(**recommend), now=NOW)
    fire(nomination, "forward", u["committee1"], data={"comment": "同意"}, now=NOW)
    fire(nomination, "accept", u["federation"], data={"comment": "符合条件"}, now=NOW)
    fire(nomination, "consultation_clear", u["federation"], data={"comment": "无异议"}, now=NOW)
    fire(nomination, "select", u["federation"], data={"comment": "评审通过"}, now=NOW)
    apply_due_timers(session, nomination.timer_due_at)
    assert nomination.state == "final_approval"
    # The decision follows the notice (closed 11-24): decided on DECIDED_AT, the clock with it.
    config = current_app.config
    config["FROZEN_TIME"] = DECIDED_AT
    try:
        fire(
            nomination,
            "approve",
            u["approver"],
            data={"decision_number": decision, "decision_date": DECIDED_ON},
            now=DECIDED_AT,
        )
    finally:
        config["FROZEN_TIME"] = NOW
    assert nomination.state == "approved"


@pytest.fixture
def honoured(session, tree, create_nomination_for):
    """The person record an approval of unit1's nominee created (committed for requests)."""
    nomination = create_nomination_for("unit1")
    approve(session, tree, nomination)
    session.commit()
    return archive.find_person(session, tree.federation, ID_NUMBER)


def at(day: date, hour: int = 2) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def conforms(schema: dict, instance: object) -> None:
    """Assert that ``instance`` matches ``schema`` of the OpenAPI document."""
    errors = [e.message for e in Draft202012Validator(schema).iter_errors(instance)]
    assert errors == []


# --- one record per person ----------------------------------------------------------------------


def test_approval_creates_the_record(session, tree, honoured):
    assert honoured is not None
    assert (honoured.name, honoured.unit_id, honoured.post) == ("张建国", tree.unit1.id, OLD_POST)
    [honour] = honoured.honours
    assert (honour.title, honour.level, honour.honour_type) == ("首都劳动奖章", "capital", "medal")
    assert honour.nomination.state == "approved" and honour.decision_number == "京工发〔2026〕3号"
    assert (
        session.scalar(
            select(func.count(PersonVersion.id)).where(PersonVersion.person_id == honoured.id)
        )
        == 1
    )


def test_a_second_approval_extends_the_same_record(session, tree, honoured, create_nomination_for):
    # The same person, nominated again by another unit, for new achievements.
    again = create_nomination_for("unit2")
    approve(
        session, tree, again, decision="京工发〔2026〕9号", new_achievements="攻克换热站节能难题"
    )
    people = session.scalars(
        select(ArchivePerson).where(ArchivePerson.id_number == ID_NUMBER)
    ).all()
    assert people == [honoured]
    assert sorted(h.decision_number for h in honoured.honours) == [
        "京工发〔2026〕3号",
        "京工发〔2026〕9号",
    ]
    assert {h.unit_id for h in honoured.honours} == {tree.unit1.id, tree.unit2.id}


# --- statuses, versions, as-of views ------------------------------------------------------------


def test_the_timeline_keeps_every_status_and_the_as_of_view_shows_the_past(session, tree, honoured):
    unit = tree.users["unit1"]
    first = archive.report_status(
        session, honoured, unit, status="in_service", effective_date=date(2026, 11, 18), now=NOW
    )
    archive.report_status(
        session,
        honoured,
        unit,
        status="retired",
        effective_date=date(2027, 3, 1),
        note="退休审批表",
        now=at(date(2027, 3, 2)),
    )
    archive.update_person(
        session, honoured, unit, {"post": "返聘技术顾问"}, note="退休返聘", now=at(date(2027, 3, 5))
    )
    statuses = session.scalars(
        select(PersonStatus)
        .where(PersonStatus.person_id == honoured.id)
        .order_by(PersonStatus.effective_date)
    ).all()
    assert [(s.id, s.status) for s in statuses] == [
        (first.id, "in_service"),
        (statuses[1].id, "retired"),
    ]
    assert honoured.status == "retired" and honoured.post == "返聘技术顾问"

    before = archive.as_of(session, honoured, date(2027, 1, 1))
    assert before.status.status == "in_service" and before.fields["post"] == OLD_POST
    # Reported on 2 March, effective 1 March: on 1 March nobody knew yet.
    assert archive.as_of(session, honoured, date(2027, 3, 1)).status.status == "in_service"
    after = archive.as_of(session, honoured, date(2027, 4, 1))
    assert after.status.status == "retired" and after.fields["post"] == "返聘技术顾问"
    assert archive.difference(before, after) == {
        "post": (OLD_POST, "返聘技术顾问"),
        "status": ("in_service", "retired"),
    }
    assert archive.difference(before, before) == {}


def test_the_page_shows_the_record_as_of_a_date_and_what_changed(
    session, tree, honoured, new_web_client
):
    unit = tree.users["unit1"]
    archive.report_status(
        session, honoured, unit, status="in_service", effective_date=date(2026, 11, 18), now=NOW
    )
    archive.update_person(
        session, honoured, unit, {"post": "返聘技术顾问"}, note="返聘", now=at(date(2027, 3, 5))
    )
    archive.report_status(
        session,
        honoured,
        unit,
        status="retired",
        effective_date=date(2027, 3, 1),
        now=at(date(2027, 3, 2)),
    )
    session.commit()
    browser = new_web_client()
    login(browser, "federation")
    url = f"/archive/people/{honoured.id}"
    now_page = browser.get(url).text
    assert "返聘技术顾问" in now_page and OLD_POST not in now_page
    past = browser.get(url, query_string={"as_of": "2027-01-01"})
    assert past.status_code == 200
    assert 'data-as-of="2027-01-01"' in past.text
    assert OLD_POST in past.text and "返聘技术顾问" not in past.text
    assert past.text.count("data-status-entry=") == 1  # the retirement was not yet reported
    compared = browser.get(url, query_string={"from": "2027-01-01", "to": "2027-04-01"}).text
    assert 'data-change="post"' in compared and 'data-change="status"' in compared
    bad = browser.get(url, query_string={"as_of": "2027-02-30"})
    assert bad.status_code == 422 and 'id="as_of-errors"' in bad.text


@pytest.mark.parametrize(("days_after", "late"), [(3, True), (2, False), (0, False)])
def test_a_death_reported_more_than_two_days_after_it_was_known_is_flagged(
    session, tree, honoured, days_after, late
):
    known = date(2026, 11, 10)
    entry = archive.report_status(
        session,
        honoured,
        tree.users["unit1"],
        status="deceased",
        effective_date=date(2026, 11, 9),
        known_date=known,
        now=at(known + timedelta(days=days_after)),
    )
    assert archive.death_report_late(entry) is late
    assert honoured.status == "deceased"


def test_only_a_death_can_be_late(session, tree, honoured):
    entry = archive.report_status(
        session,
        honoured,
        tree.users["unit1"],
        status="retired",
        effective_date=date(2026, 1, 1),
        known_date=date(2026, 1, 1),
        now=NOW,
    )
    assert archive.death_report_late(entry) is False


# --- access and masking ------------------------------------------------------------------------


def test_mask_id_number():
    assert archive.mask_id_number("110105194912310038") == MASKED
    assert archive.mask_id_number("") == "" and archive.mask_id_number("12345") == "*****"
    assert archive.mask_phone("+8613910000000") == "139****0000"


@pytest.mark.parametrize(
    ("username", "status", "shown"),
    [
        ("federation", 200, ID_NUMBER),
        ("admin", 200, ID_NUMBER),
        ("unit1", 200, ID_NUMBER),
        ("auditor", 200, MASKED),
        ("approver", 200, MASKED),
        ("unit3", 404, None),
        ("committee2", 404, None),
        ("judge1", 404, None),
        ("dept-hr", 404, None),
    ],
)
def test_the_record_is_masked_per_role(honoured, new_web_client, username, status, shown):
    browser = new_web_client()
    login(browser, username)
    page = browser.get(f"/archive/people/{honoured.id}")
    assert page.status_code == status
    if shown is None:
        assert "张建国" not in page.text
        return
    assert shown in page.text
    assert "张建国" in browser.get("/archive/").text  # the list still shows the honour
    if shown == MASKED:
        assert ID_NUMBER not in page.text and "13910000000" not in page.text
        # Readers get no forms: they report nothing.
        assert 'id="report-status"' not in page.text
    else:
        assert 'id="report-status"' in page.text


def test_the_person_scope_matches_the_predicate(session, tree, honoured):
    from nomination.nominations.queries import person_scope
    from nomination.permissions import can_view_person

    for name, user in tree.users.items():
        listed = session.scalars(select(ArchivePerson).where(person_scope(user))).all()
        assert (honoured in listed) is can_view_person(user, honoured), name


def test_the_page_shows_honours_with_revocations_and_links(session, tree, honoured, new_web_client):
    [honour] = honoured.honours
    honour.status, honour.revoked_on = "revoked", date(2026, 12, 1)
    honour.revocation_decision = "京工发〔2026〕20号"
    session.commit()
    browser = new_web_client()
    login(browser, "unit1")
    page = browser.get(f"/archive/people/{honoured.id}").text
    assert 'data-revoked="2026-12-01"' in page and "京工发〔2026〕20号" in page
    assert f"/nominations/{honour.nomination_id}" in page
    # As of a day before the revocation, the honour stood.
    before = browser.get(
        f"/archive/people/{honoured.id}", query_string={"as_of": "2026-11-28"}
    ).text
    assert "data-revoked" not in before and "首都劳动奖章" in before


# --- web forms ---------------------------------------------------------------------------------


def test_the_unit_reports_a_status_and_a_late_death_is_flagged(
    session, tree, honoured, new_web_client
):
    browser = new_web_client()
    login(browser, "unit1")
    url = f"/archive/people/{honoured.id}/status"
    form = {"status": "deceased", "effective_date": "2026-11-10", "known_date": "2026-11-15"}
    refused = browser.post(url, data=form)  # no note
    assert refused.status_code == 422
    assert 'id="status-note-errors"' in refused.text
    assert 'value="2026-11-15"' in refused.text  # what was typed stays
    form["note"] = "家属告知"
    done = browser.post(url, data=form, follow_redirects=True)
    assert done.status_code == 200
    assert "data-late" in done.text and "家属告知" in done.text
    [entry] = session.scalars(select(PersonStatus).where(PersonStatus.person_id == honoured.id))
    assert (entry.status, entry.reported_by_id) == ("deceased", tree.users["unit1"].id)
    assert (
        session.scalar(
            select(func.count(AuditEvent.seq)).where(
                AuditEvent.action == "archive.status_report",
                AuditEvent.entity_id == str(honoured.id),
            )
        )
        == 1
    )


def test_readers_and_other_units_cannot_report(honoured, new_web_client):
    url = f"/archive/people/{honoured.id}/status"
    form = {"status": "retired", "effective_date": "2026-11-01", "note": "x"}
    auditor = new_web_client()
    login(auditor, "auditor")
    assert auditor.post(url, data=form).status_code == 403
    other = new_web_client()
    login(other, "unit3")
    assert other.post(url, data=form).status_code == 404


def test_the_federation_records_a_service_and_the_unit_may_not(session, honoured, new_web_client):
    url = f"/archive/people/{honoured.id}/services"
    form = {"kind": "health_check", "service_date": "2026-11-10", "note": "年度体检"}
    unit = new_web_client()
    login(unit, "unit1")
    assert unit.post(url, data=form).status_code == 403
    federation = new_web_client()
    login(federation, "federation")
    page = federation.post(url, data=form, follow_redirects=True).text
    assert "年度体检" in page and 'data-service="' in page
    assert [s.kind for s in honoured.services] == ["health_check"]
    aid = {"kind": "hardship_aid", "service_date": "2026-11-12", "amount": "2000.50"}
    assert federation.post(url, data=aid).status_code == 302
    session.refresh(honoured)
    assert [str(s.amount) for s in honoured.services if s.kind == "hardship_aid"] == ["2000.50"]


def test_a_correction_keeps_the_old_version_and_a_stale_form_conflicts(
    session, tree, honoured, new_web_client
):
    unit = new_web_client()
    login(unit, "unit1")
    url = f"/archive/people/{honoured.id}/edit"
    form_page = unit.get(url)
    assert form_page.status_code == 200 and f'value="{OLD_POST}"' in form_page.text
    version = honoured.version
    fields = {
        "version": str(version),
        "name": "张建国",
        "gender": "male",
        "birth_date": "1949-12-31",
        "ethnicity": "汉族",
        "phone": "13910000001",
        "address": "北京市朝阳区某街道2号",
        "unit_id": str(tree.unit1.id),
        "unit_name": "",
        "post": "热力集团 技术顾问",
        "sector": "",
        "note": "更换联系电话",
    }
    saved = unit.post(url, data=fields)
    assert saved.status_code == 302
    session.refresh(honoured)
    assert (honoured.phone, honoured.post) == ("+8613910000001", "热力集团 技术顾问")
    # Someone posting the form as it was before that change gets a conflict, typed data kept.
    stale = unit.post(url, data={**fields, "post": "另一岗位"})
    assert stale.status_code == 409
    assert 'value="另一岗位"' in stale.text and f'value="{honoured.version}"' in stale.text
    session.refresh(honoured)
    assert honoured.post == "热力集团 技术顾问"
    versions = session.scalars(
        select(PersonVersion)
        .where(PersonVersion.person_id == honoured.id)
        .order_by(PersonVersion.id)
    ).all()
    assert [v.fields["post"] for v in versions] == [OLD_POST, "热力集团 技术顾问"]
    assert (
        versions[-1].changed_by_id == tree.users["unit1"].id and versions[-1].note == "更换联系电话"
    )
    bad = unit.post(url, data={**fields, "version": str(honoured.version), "phone": "12"})
    assert bad.status_code == 422 and 'id="phone-errors"' in bad.text


def test_the_operation_refuses_a_stale_version(session, tree, honoured):
    with pytest.raises(Conflict):
        archive.update_person(
            session, honoured, tree.users["unit1"], {"post": "x"}, version=honoured.version - 1
        )


# --- merging a duplicate -----------------------------------------------------------------------


def _duplicate(session, tree):
    person, created = archive.find_or_create_person(
        session,
        tree.federation,
        id_number=OTHER_ID,
        name="张建国",
        actor=SYSTEM,
        unit_id=tree.unit1.id,
        unit_name="单位一",
    )
    assert created
    return person


def test_merge_moves_everything_to_the_record_that_stays(session, tree, honoured):
    duplicate = _duplicate(session, tree)
    fed = tree.users["federation"]
    archive.report_status(
        session, duplicate, fed, status="retired", effective_date=date(2026, 10, 1), now=NOW
    )
    archive.record_service(
        session, duplicate, fed, kind="visit", service_date=date(2026, 10, 2), now=NOW
    )
    studio = archive.create_studio(
        session, tree.federation, fed, name="张建国创新工作室", leader=duplicate
    )
    archive.add_studio_member(session, studio, fed, person=duplicate, role="领衔人")
    honour = HonourRecord(
        kind="individual",
        title="朝阳区劳动模范",
        year=2015,
        holder_name="张建国",
        unit_id=tree.unit1.id,
        conferred_by="朝阳区人民政府",
        decision_number="朝政发〔2015〕1号",
        decision_date=date(2015, 4, 28),
        person=duplicate,
        level="district",
        honour_type="model_worker",
    )
    session.add(honour)
    session.flush()

    with pytest.raises(InvalidData) as itself:
        archive.merge_people(session, duplicate, duplicate, fed)
    assert "into_id" in itself.value.fields
    moved = archive.merge_people(session, duplicate, honoured, fed, note="同一人,身份证号录错")
    assert duplicate.merged_into_id == honoured.id
    assert len(moved["honours"]) == 1 and len(moved["statuses"]) == 1
    assert sorted(h.title for h in honoured.honours) == ["朝阳区劳动模范", "首都劳动奖章"]
    assert [s.status for s in honoured.statuses] == ["retired"] and honoured.status == "retired"
    assert [s.kind for s in honoured.services] == ["visit"]
    assert studio.leader_id == honoured.id
    assert (
        session.scalar(select(StudioMember.person_id).where(StudioMember.studio_id == studio.id))
        == honoured.id
    )
    assert duplicate.honours == [] and duplicate.statuses == []
    # A search by the duplicate's number leads on to the record that stays.
    assert archive.find_person(session, tree.federation, OTHER_ID) is honoured
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "archive.person_merge"))
    assert event.entity_id == str(duplicate.id) and event.comment == "同一人,身份证号录错"
    with pytest.raises(Conflict):
        archive.merge_people(session, duplicate, honoured, fed)
    with pytest.raises(Conflict):
        archive.require_current(duplicate)  # the pages and the API refuse changes to it


def test_the_federation_merges_on_the_page_and_a_unit_may_not(
    session, tree, honoured, new_web_client
):
    duplicate = _duplicate(session, tree)
    session.commit()
    url = f"/archive/people/{duplicate.id}/merge"
    form = {
        "version": str(duplicate.version),
        "into_id": str(honoured.id),
        "note": "同一人",
        "confirm": "y",
    }
    unit = new_web_client()
    login(unit, "unit1")
    assert unit.post(url, data=form).status_code == 403
    federation = new_web_client()
    login(federation, "federation")
    unconfirmed = federation.post(url, data={**form, "confirm": ""})
    assert unconfirmed.status_code == 422 and 'id="merge-confirm-errors"' in unconfirmed.text
    missing = federation.post(url, data={**form, "into_id": "999999"})
    assert missing.status_code == 422 and 'id="merge-into_id-errors"' in missing.text
    done = federation.post(url, data=form)
    assert done.status_code == 302 and done.headers["Location"].endswith(
        f"/archive/people/{honoured.id}"
    )
    session.refresh(duplicate)
    assert duplicate.merged_into_id == honoured.id
    page = federation.get(f"/archive/people/{duplicate.id}").text
    assert 'id="merged"' in page and 'id="report-status"' not in page


# --- studios -----------------------------------------------------------------------------------


def test_a_studio_with_a_member_and_an_inspection(session, tree, honoured, new_web_client):
    federation = new_web_client()
    login(federation, "federation")
    created = federation.post(
        "/archive/studios",
        data={
            "name": "张建国劳模创新工作室",
            "unit_id": str(tree.unit1.id),
            "leader_id": str(honoured.id),
            "founded_on": "2026-05-01",
            "level": "district",
        },
    )
    assert created.status_code == 302
    studio = session.scalar(select(Studio).where(Studio.name == "张建国劳模创新工作室"))
    assert (studio.leader_id, studio.unit_id, studio.federation_id) == (
        honoured.id,
        tree.unit1.id,
        tree.federation.id,
    )
    url = f"/archive/studios/{studio.id}"
    no_name = federation.post(f"{url}/members", data={"role": "技术骨干"})
    assert no_name.status_code == 422 and "技术骨干" in no_name.text
    assert (
        federation.post(f"{url}/members", data={"name": "李四", "role": "技术骨干"}).status_code
        == 302
    )
    assert (
        federation.post(
            f"{url}/members", data={"person_id": str(honoured.id), "role": "领衔人"}
        ).status_code
        == 302
    )
    future = federation.post(
        f"{url}/inspections", data={"inspected_on": "2027-06-01", "result": "passed"}
    )
    assert future.status_code == 422 and 'id="inspection-inspected_on-errors"' in future.text
    inspected = federation.post(
        f"{url}/inspections",
        data={"inspected_on": "2026-11-01", "result": "rectify", "note": "台账不全"},
    )
    assert inspected.status_code == 302
    page = federation.get(url).text
    assert "李四" in page and "台账不全" in page and "data-small-team" in page
    assert [i.result for i in studio.inspections] == ["rectify"]
    actions = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.entity_type == "archive_studio", AuditEvent.entity_id == str(studio.id)
        )
    ).all()
    assert sorted(actions) == [
        "archive.studio_create",
        "archive.studio_inspection",
        "archive.studio_member_add",
        "archive.studio_member_add",
    ]
    # On the leader's record, and to the unit; not to another unit; the unit may not manage it.
    person_page = federation.get(f"/archive/people/{honoured.id}").text
    assert f'data-studio="{studio.id}"' in person_page
    unit = new_web_client()
    login(unit, "unit1")
    assert (
        unit.get(url).status_code == 200
        and "张建国劳模创新工作室" in unit.get("/archive/studios").text
    )
    assert unit.post(f"{url}/members", data={"name": "王五"}).status_code == 403
    other = new_web_client()
    login(other, "unit3")
    assert other.get(url).status_code == 404
    assert "张建国劳模创新工作室" not in other.get("/archive/studios").text


def test_a_unit_page_lists_its_certificates_and_pioneer_titles(
    session, tree, honoured, new_web_client
):
    for kind, title, honour_type in (
        ("unit", "首都劳动奖状", "certificate"),
        ("team", "北京市工人先锋号", "pioneer"),
    ):
        session.add(
            HonourRecord(
                kind=kind,
                title=title,
                year=2025,
                holder_name="单位一" if kind == "unit" else "运行班",
                unit_id=tree.unit1.id,
                conferred_by="北京市总工会",
                decision_number=f"京工发〔2025〕{len(kind)}号",
                decision_date=date(2025, 4, 28),
                level="capital",
                honour_type=honour_type,
            )
        )
    session.commit()
    unit = new_web_client()
    login(unit, "unit1")
    page = unit.get(f"/archive/units/{tree.unit1.id}")
    assert page.status_code == 200
    assert "首都劳动奖状" in page.text and "北京市工人先锋号" in page.text
    assert "首都劳动奖章" not in page.text  # a person's medal is on the person's record
    assert f"/archive/people/{honoured.id}" in page.text
    other = new_web_client()
    login(other, "unit3")
    assert other.get(f"/archive/units/{tree.unit1.id}").status_code == 404


# --- the JSON API ------------------------------------------------------------------------------


@pytest.fixture
def api(client, session, tree) -> Api:
    return Api(client, session, tree)


def test_the_api_gives_the_record_masked_per_role_and_as_of_a_date(session, tree, honoured, api):
    archive.update_person(
        session, honoured, tree.users["unit1"], {"post": "返聘技术顾问"}, now=at(date(2027, 3, 5))
    )
    session.commit()
    path = f"/archive/{honoured.id}"
    full = api.get(path, "federation")
    assert full.status_code == 200
    conforms({**PERSON_SCHEMA}, full.json)
    assert full.json["id_number"] == ID_NUMBER and full.json["masked"] is False
    assert full.json["post"] == "返聘技术顾问"
    assert [h["decision_number"] for h in full.json["honours"]] == ["京工发〔2026〕3号"]
    masked = api.get(path, "auditor").json
    assert masked["id_number"] == MASKED and masked["masked"] is True
    assert masked["address"] is None and "13910000000" not in str(masked)
    assert api.get(path, "unit1").json["id_number"] == ID_NUMBER
    assert api.get(path, "unit3").status_code == 404
    assert api.get(path, "judge1").status_code == 404
    assert api.get("/archive/999999", "federation").status_code == 404

    past = api.get(path, "federation", query_string={"as_of": "2027-01-01"}).json
    assert past["as_of"] == "2027-01-01" and past["post"] == OLD_POST
    assert api.get(path, "federation", query_string={"as_of": "2026-11-17"}).json["honours"] == []
    bad = api.get(path, "federation", query_string={"as_of": "yesterday"})
    assert bad.status_code == 422 and "as_of" in bad.json["error"]["fields"]


def test_the_api_reports_a_status(session, tree, honoured, api):
    path = f"/archive/{honoured.id}/status"
    good = {
        "status": "deceased",
        "effective_date": "2026-11-12",
        "known_date": "2026-11-15",
        "note": "家属告知",
    }
    for body, field in (
        ({**good, "effective_date": "2026-13-01"}, "effective_date"),
        ({**good, "known_date": "15/11/2026"}, "known_date"),
        ({**good, "status": "vanished"}, "status"),
        ({k: v for k, v in good.items() if k != "note"}, "note"),
        ({**good, "colour": "red"}, "colour"),
        ({**good, "known_date": "2026-11-01"}, "known_date"),  # before the effective date
    ):
        refused = api.post(path, "unit1", json=body)
        assert refused.status_code == 422, body
        assert field in refused.json["error"]["fields"], body
    assert api.post(path, "auditor", json=good).status_code == 403
    assert api.post(path, "unit3", json=good).status_code == 404
    assert session.scalar(select(func.count(PersonStatus.id))) == 0

    created = api.post(path, "unit1", json=good)
    assert created.status_code == 201
    conforms(STATUS_ENTRY_SCHEMA, created.json)
    # Known on the 15th, reported on the 18th (the tests' clock): late.
    assert created.json["late"] is True and created.json["reported_by"] == "unit1"
    assert created.headers["Location"].endswith(f"/archive/{honoured.id}")
    on_time = api.post(
        path, "federation", json={**good, "known_date": "2026-11-16", "note": "复核"}
    )
    assert on_time.status_code == 201 and on_time.json["late"] is False
    record = api.get(f"/archive/{honoured.id}", "federation").json
    assert [s["status"] for s in record["statuses"]] == ["deceased", "deceased"]
    assert record["status"] == "deceased"


def test_the_api_asks_for_an_empty_effective_date(honoured, api):
    body = {"status": "retired", "effective_date": "", "note": "退休"}
    refused = api.post(f"/archive/{honoured.id}/status", "unit1", json=body)
    assert refused.status_code == 422
    assert list(refused.json["error"]["fields"]) == ["effective_date"]


def test_the_api_paths_are_documented():
    paths = document()["paths"]
    assert set(paths["/archive/{person_id}"]) == {"parameters", "get"}
    assert set(paths["/archive/{person_id}/status"]) == {"parameters", "post"}
