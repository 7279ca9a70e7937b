"""Annual verification (年度核查): rounds, each unit's case through the engine, the report."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select
from stdnum.cn import ric

from nomination import engine
from nomination.actors import SYSTEM
from nomination.api.openapi import document
from nomination.archive import verification
from nomination.archive.people import find_or_create_person, report_status
from nomination.errors import Conflict, GuardBlocked, InvalidData, PermissionDenied
from nomination.models import (
    ArchiveCase,
    ArchivePerson,
    AuditEvent,
    HonourRecord,
    PersonStatus,
    PersonVersion,
    VerificationEntry,
)

from factories import NOW
from test_api_support import Api
from test_web_support import login

pytest_plugins = ["test_web_support"]

DUE = date(2026, 11, 30)
#: 08:30 in Beijing the day after the due date: the due day has ended.
AFTER_DUE = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
CONTACT = {"contact_name": "刘芳", "contact_phone": "010-65099999"}


def resident_id(birth: str, female: bool = False, serial: int = 0) -> str:
    """Return a valid resident ID number for someone born in Chaoyang on ``birth``."""
    body = "110105" + birth.replace("-", "") + f"{serial * 10 + (2 if female else 3):03d}"
    return body + ric.calc_check_digit(body + "0")  # the digit in place is ignored


class People:
    """The archive's people of the small federation, by name."""

    def __init__(self, session, tree):
        def person(name, birth, unit, female=False, **fields):
            created, _ = find_or_create_person(
                session,
                tree.federation,
                id_number=resident_id(birth, female),
                name=name,
                actor=SYSTEM,
                unit_id=unit.id,
                unit_name=unit.name,
                **fields,
            )
            return created

        self.zhang = person("张建国", "1965-03-01", tree.unit1, phone="13910000000", post="班长")
        self.li = person("李秀英", "1975-06-15", tree.unit1, female=True, post="技师")
        self.wang = person("王强", "1970-01-20", tree.unit3, post="工程师")
        # Not verified: the deceased, and a duplicate merged into another record.
        self.zhao = person("赵明", "1940-05-05", tree.unit1)
        report_status(
            session, self.zhao, SYSTEM, status="deceased", effective_date=date(2026, 1, 5)
        )
        self.dup = person("王强", "1970-01-21", tree.unit3)
        self.dup.merged_into_id = self.wang.id
        session.flush()


@pytest.fixture
def people(session, tree) -> People:
    return People(session, tree)


@pytest.fixture
def round_(session, tree, people):
    return verification.open_round(
        session, tree.federation, tree.users["federation"], year=2026, due_date=DUE
    )


def case_of(session, round_, unit) -> ArchiveCase:
    return session.scalars(
        select(ArchiveCase).where(
            ArchiveCase.verification_round_id == round_.id, ArchiveCase.unit_id == unit.id
        )
    ).one()


def entry_of(session, case, person) -> VerificationEntry:
    return session.scalars(
        select(VerificationEntry).where(
            VerificationEntry.case_id == case.id, VerificationEntry.person_id == person.id
        )
    ).one()


def answer_all(session, case, user) -> None:
    for entry in verification.entries_of(session, case):
        if entry.outcome is None:
            verification.answer_entry(session, entry, user, outcome="confirmed")


def submit(session, case, user) -> None:
    answer_all(session, case, user)
    verification.update_case_data(session, case, user, CONTACT)
    engine.fire(case, "submit", user, data={"comment": "已逐人核实。"})


def events(session, action, entity_type="case", entity_id=None):
    query = select(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.entity_type == entity_type
    )
    if entity_id is not None:
        query = query.where(AuditEvent.entity_id == str(entity_id))
    return list(session.scalars(query.order_by(AuditEvent.seq)))


# --- opening ---------------------------------------------------------------------------------


def test_opening_creates_a_case_per_unit_with_its_people(session, tree, people, round_):
    cases = verification.cases_of(session, round_)
    assert [c.unit_id for c in cases] == [tree.unit1.id, tree.unit3.id]  # unit2 has nobody
    for case in cases:
        assert case.kind == "verification" and case.state == "open" and case.version == 1
        assert case.verification_round_id == round_.id
        assert engine.workflow_for(case).name == "verification"
    unit1, unit3 = cases
    assert {e.person_id for e in verification.entries_of(session, unit1)} == {
        people.zhang.id,
        people.li.id,
    }
    assert [e.person_id for e in verification.entries_of(session, unit3)] == [people.wang.id]
    assert all(e.outcome is None for c in cases for e in verification.entries_of(session, c))

    opened = events(session, "verification_round.open", "verification_round", round_.id)
    assert len(opened) == 1
    assert [c["unit"] for c in opened[0].after["cases"]] == [tree.unit1.id, tree.unit3.id]
    assert len(events(session, "verification.case_open", entity_id=unit1.id)) == 1


def honour(session, person, status="active", title="首都劳动奖章"):
    """Give ``person`` an honour, revoked when ``status`` says so."""
    revoked = status == "revoked"
    session.add(
        HonourRecord(
            kind="individual",
            title=title,
            year=2015,
            holder_name=person.name,
            unit_id=person.unit_id,
            conferred_by="北京市总工会",
            decision_number=f"京工发〔2015〕{person.id}号",
            decision_date=date(2015, 4, 28),
            person=person,
            status=status,
            revoked_on=date(2020, 1, 1) if revoked else None,
            benefits_active=not revoked,
        )
    )
    session.flush()


def test_people_whose_every_honour_was_revoked_are_not_verified(session, tree, people):
    honour(session, people.zhang, "revoked")  # his only honour: revoked
    honour(session, people.li, "revoked")
    honour(session, people.li, title="全国劳动模范")  # she keeps another
    round_ = verification.open_round(
        session, tree.federation, tree.users["federation"], year=2026, due_date=DUE
    )
    unit1 = case_of(session, round_, tree.unit1)
    assert [e.person_id for e in verification.entries_of(session, unit1)] == [people.li.id]


def test_only_the_federation_opens_a_round_once_a_year(session, tree, people, round_):
    with pytest.raises(PermissionDenied):
        verification.open_round(
            session, tree.federation, tree.users["unit1"], year=2027, due_date=DUE
        )
    with pytest.raises(InvalidData) as same_year:
        verification.open_round(
            session, tree.federation, tree.users["federation"], year=2026, due_date=DUE
        )
    assert "year" in same_year.value.fields
    with pytest.raises(InvalidData) as past:
        verification.open_round(
            session,
            tree.federation,
            tree.users["federation"],
            year=2027,
            due_date=date(2026, 11, 1),
        )
    assert "due_date" in past.value.fields
    with pytest.raises(Conflict):  # the 2026 round is still open
        verification.open_round(
            session, tree.federation, tree.users["federation"], year=2027, due_date=DUE
        )


# --- the unit's answers ----------------------------------------------------------------------


def test_unit_confirms_and_corrects_its_people(session, tree, people, round_):
    unit1 = tree.users["unit1"]
    case = case_of(session, round_, tree.unit1)
    zhang, li = entry_of(session, case, people.zhang), entry_of(session, case, people.li)

    verification.answer_entry(session, zhang, unit1, outcome="confirmed", version=1)
    assert zhang.outcome == "confirmed" and zhang.corrections is None
    # An answer moves the case's version on: a page read before it is now stale.
    assert case.version == 2
    with pytest.raises(Conflict):
        verification.answer_entry(session, li, unit1, outcome="confirmed", version=1)

    verification.answer_entry(
        session,
        li,
        unit1,
        outcome="corrected",
        corrections={
            "status": "in_service",  # as recorded: not a correction
            "phone": "139 1111 2222",
            "post": "高级技师",
            "unit_name": people.li.unit_name,
        },
    )
    assert li.outcome == "corrected"
    assert li.corrections == {"phone": "+8613911112222", "post": "高级技师"}
    # Nothing enters the archive before the federation accepts.
    assert people.li.post == "技师" and people.li.phone is None

    answered = events(session, "verification.answer", entity_id=case.id)
    assert [e.after["outcome"] for e in answered] == ["confirmed", "corrected"]
    # The corrected values are personal data: committed to, not in the hashed record.
    assert "13911112222" not in answered[-1].payload


@pytest.mark.parametrize(
    ("corrections", "field"),
    [
        ({"status": "retired"}, "effective_date"),
        ({"status": "retired", "effective_date": "2027-01-01"}, "effective_date"),
        ({"status": "fired", "effective_date": "2026-10-01"}, "status"),
        ({"phone": "12345"}, "phone"),
        ({"post": "长" * 201}, "post"),
        ({"id_number": "110105196503010033"}, "id_number"),
        ({"post": "班长", "phone": "139 1000 0000"}, "corrections"),  # nothing differs
    ],
)
def test_corrections_are_checked(session, tree, people, round_, corrections, field):
    case = case_of(session, round_, tree.unit1)
    entry = entry_of(session, case, people.zhang)
    with pytest.raises(InvalidData) as refused:
        verification.answer_entry(
            session, entry, tree.users["unit1"], outcome="corrected", corrections=corrections
        )
    assert field in refused.value.fields
    assert entry.outcome is None


def test_only_the_units_own_submitters_answer(session, tree, people, round_):
    case = case_of(session, round_, tree.unit1)
    entry = entry_of(session, case, people.zhang)
    for user in ("unit3", "committee1", "federation"):
        with pytest.raises(PermissionDenied):
            verification.answer_entry(session, entry, tree.users[user], outcome="confirmed")
    assert entry.outcome is None


# --- the workflow ----------------------------------------------------------------------------


def test_submit_is_blocked_until_every_person_is_answered(session, tree, people, round_):
    unit1 = tree.users["unit1"]
    case = case_of(session, round_, tree.unit1)
    verification.answer_entry(
        session, entry_of(session, case, people.zhang), unit1, outcome="confirmed"
    )
    verification.update_case_data(session, case, unit1, CONTACT)

    (option,) = engine.available(case, unit1)
    assert option.transition.trigger == "submit" and not option.allowed
    assert option.reasons == ["还有 1 人未确认或更正"]
    with pytest.raises(GuardBlocked) as blocked:
        engine.fire(case, "submit", unit1, data={"comment": "已核实"})
    assert blocked.value.extra["reasons"] == ["还有 1 人未确认或更正"]
    assert case.state == "open"

    verification.answer_entry(
        session, entry_of(session, case, people.li), unit1, outcome="confirmed"
    )
    engine.fire(case, "submit", unit1, data={"comment": "已核实"}, version=case.version)
    assert case.state == "submitted"
    # Submitted: the unit's answers are closed until the federation returns the case.
    with pytest.raises(Conflict):
        verification.answer_entry(
            session, entry_of(session, case, people.li), unit1, outcome="confirmed"
        )


def test_submit_needs_the_units_contact(session, tree, people, round_):
    unit1 = tree.users["unit1"]
    case = case_of(session, round_, tree.unit1)
    answer_all(session, case, unit1)
    with pytest.raises(GuardBlocked) as blocked:
        engine.fire(case, "submit", unit1, data={"comment": "已核实"})
    assert "联系人" in blocked.value.message
    with pytest.raises(InvalidData) as bad:
        verification.update_case_data(session, case, unit1, {**CONTACT, "contact_phone": "1"})
    assert "contact_phone" in bad.value.fields


def test_accept_applies_the_corrections_to_the_archive(session, tree, people, round_):
    unit1, federation = tree.users["unit1"], tree.users["federation"]
    case = case_of(session, round_, tree.unit1)
    zhang = people.zhang
    versions_before = session.scalar(
        select(func.count()).select_from(PersonVersion).where(PersonVersion.person_id == zhang.id)
    )
    verification.answer_entry(
        session,
        entry_of(session, case, zhang),
        unit1,
        outcome="corrected",
        corrections={
            "status": "retired",
            "effective_date": "2026-09-30",
            "phone": "13800138000",
            "post": "",
            "address": "北京市朝阳区某街道1号",
        },
    )
    submit(session, case, unit1)
    with pytest.raises(PermissionDenied):  # the unit does not accept its own
        engine.fire(case, "accept", unit1, data={"comment": "同意"})
    engine.fire(case, "accept", federation, data={"comment": "核查无误,更新档案"})

    assert case.state == "accepted"
    assert zhang.status == "retired"
    assert zhang.phone == "+8613800138000" and zhang.post == ""
    assert zhang.address == "北京市朝阳区某街道1号"
    statuses = session.scalars(select(PersonStatus).where(PersonStatus.person_id == zhang.id))
    assert [(s.status, s.effective_date) for s in statuses] == [("retired", date(2026, 9, 30))]
    versions = session.scalar(
        select(func.count()).select_from(PersonVersion).where(PersonVersion.person_id == zhang.id)
    )
    assert versions == versions_before + 1
    # Li was confirmed: her record is untouched.
    assert people.li.status == "in_service" and people.li.post == "技师"

    (accepted,) = events(session, "transition.accept", entity_id=case.id)
    assert accepted.role == "federation_reviewer" and accepted.organisation_id == tree.unit1.id
    assert accepted.after["state"] == "accepted"
    assert accepted.after["applied"] == [
        {"person_id": zhang.id, "fields": ["address", "phone", "post"], "status": True}
    ]
    assert [e.action for e in events(session, "transition.submit", entity_id=case.id)] == [
        "transition.submit"
    ]
    person_events = events(session, "archive.person_update", "archive_person", zhang.id)
    assert len(person_events) == 1 and person_events[0].actor_id == federation.id
    # The unit reported the new status; the federation's reviewer accepted it.
    (status,) = zhang.statuses
    assert status.reported_by_id == unit1.id
    assert federation.name in status.note and "审核通过" in status.note
    (reported,) = events(session, "archive.status_report", "archive_person", zhang.id)
    assert reported.actor_id == federation.id and reported.after["reported_by"] == unit1.id


def test_return_to_unit_sends_the_case_back(session, tree, people, round_):
    unit1, federation = tree.users["unit1"], tree.users["federation"]
    case = case_of(session, round_, tree.unit1)
    submit(session, case, unit1)
    with pytest.raises(InvalidData):  # a return needs its reason
        engine.fire(case, "return_to_unit", federation, data={})
    engine.fire(case, "return_to_unit", federation, data={"reason": "李秀英的职务请核实"})
    assert case.state == "open"
    assert case.evidence["opinions"][-1]["text"] == "李秀英的职务请核实"
    # Open again: the unit corrects and submits anew.
    verification.answer_entry(
        session,
        entry_of(session, case, people.li),
        unit1,
        outcome="corrected",
        corrections={"post": "高级技师"},
    )
    engine.fire(case, "submit", unit1, data={"comment": "已更正"})
    assert case.state == "submitted"
    assert [e.after["state"] for e in events(session, "transition.return_to_unit")] == ["open"]


# --- overdue units, closing, the report ------------------------------------------------------


def test_a_unit_not_submitted_by_the_due_day_is_overdue(session, tree, people, round_):
    unit1_case = case_of(session, round_, tree.unit1)
    unit3_case = case_of(session, round_, tree.unit3)
    submit(session, unit1_case, tree.users["unit1"])

    assert verification.overdue_units(session, round_, NOW) == []
    # The due day ends at midnight in Beijing, not in UTC.
    last_minute = datetime(2026, 11, 30, 15, 59, tzinfo=UTC)
    assert verification.overdue_units(session, round_, last_minute) == []
    midnight = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert verification.overdue_units(session, round_, midnight) == [unit3_case]
    assert verification.overdue_units(session, round_, AFTER_DUE) == [unit3_case]


def test_close_builds_the_report_with_the_overdue_unit(session, tree, people, round_):
    unit1, federation = tree.users["unit1"], tree.users["federation"]
    unit1_case = case_of(session, round_, tree.unit1)
    unit3_case = case_of(session, round_, tree.unit3)
    verification.answer_entry(
        session,
        entry_of(session, unit1_case, people.li),
        unit1,
        outcome="corrected",
        corrections={"status": "retired", "effective_date": "2026-06-30"},
    )
    submit(session, unit1_case, unit1)

    with pytest.raises(PermissionDenied):
        verification.close_round(session, round_, unit1, now=AFTER_DUE)
    # A submission awaiting the federation's check is decided before the round closes.
    with pytest.raises(Conflict):
        verification.close_round(session, round_, federation, now=AFTER_DUE)
    engine.fire(unit1_case, "accept", federation, data={"comment": "同意"})

    # Unit three never answered: the close asks for that to be confirmed, naming it.
    with pytest.raises(Conflict) as asked:
        verification.close_round(session, round_, federation, now=AFTER_DUE)
    assert "单位三" in asked.value.message and "单位一" not in asked.value.message
    assert asked.value.extra["not_answered"] == [unit3_case.id]
    assert round_.status == "open"
    verification.close_round(
        session, round_, federation, acknowledged=[unit3_case.id], now=AFTER_DUE
    )
    assert round_.status == "closed" and round_.closed_at == AFTER_DUE
    report = verification.report(round_)
    assert report is round_.report and report["final"]
    assert report["overdue"] == [tree.unit3.id]
    by_unit = {u["unit_id"]: u for u in report["units"]}
    assert by_unit[tree.unit1.id] == {
        "case_id": unit1_case.id,
        "unit_id": tree.unit1.id,
        "unit_name": "单位一",
        "unit_name_en": "单位一",
        "state": "accepted",
        "people": 2,
        "confirmed": 1,
        "corrected": 1,
        "unanswered": 0,
        "overdue": False,
    }
    assert by_unit[tree.unit3.id]["state"] == "open"
    assert by_unit[tree.unit3.id]["overdue"] is True
    assert by_unit[tree.unit3.id]["unanswered"] == 1
    assert report["totals"] == {
        "units": 2,
        "people": 3,
        "confirmed": 1,
        "corrected": 1,
        "unanswered": 1,
        "submitted_units": 0,
        "accepted_units": 1,
        "overdue_units": 1,
        "not_answered_units": 1,
        "corrections_applied": 1,
        "status_changes": {"retired": 1},
    }
    (closed,) = events(session, "verification_round.close", "verification_round", round_.id)
    assert closed.after["overdue"] == [tree.unit3.id]
    assert report["not_answered"] == closed.after["not_answered"] == [tree.unit3.id]

    with pytest.raises(Conflict):
        verification.close_round(session, round_, federation, now=AFTER_DUE)
    # After the close, the late unit can neither answer nor submit.
    unit3 = tree.users["unit3"]
    with pytest.raises(Conflict):
        verification.answer_entry(
            session, entry_of(session, unit3_case, people.wang), unit3, outcome="confirmed"
        )
    with pytest.raises(GuardBlocked) as blocked:
        engine.fire(unit3_case, "submit", unit3, data={"comment": "补报"})
    assert "本轮核查已结束" in blocked.value.message


def test_a_confirmation_covers_only_the_units_it_was_shown(session, tree, people, round_):
    federation = tree.users["federation"]
    unit1_case = case_of(session, round_, tree.unit1)
    unit3_case = case_of(session, round_, tree.unit3)
    submit(session, unit1_case, tree.users["unit1"])
    # Returned after the reviewer looked: unit one has not answered either now.
    engine.fire(unit1_case, "return_to_unit", federation, data={"reason": "请补充"})
    with pytest.raises(Conflict) as asked:
        verification.close_round(session, round_, federation, acknowledged=[unit3_case.id])
    assert asked.value.extra["not_answered"] == [unit1_case.id, unit3_case.id]
    verification.close_round(
        session, round_, federation, acknowledged=[unit1_case.id, unit3_case.id]
    )
    assert verification.report(round_)["not_answered"] == [tree.unit1.id, tree.unit3.id]


def test_a_report_kept_before_non_answering_units_were_named_gives_them(
    session, tree, people, round_
):
    federation = tree.users["federation"]
    unit3_case = case_of(session, round_, tree.unit3)
    submit(session, case_of(session, round_, tree.unit1), tree.users["unit1"])
    engine.fire(
        case_of(session, round_, tree.unit1), "accept", federation, data={"comment": "同意"}
    )
    verification.close_round(session, round_, federation, acknowledged=[unit3_case.id])
    kept = dict(round_.report)
    del kept["not_answered"]
    kept["totals"] = {k: v for k, v in kept["totals"].items() if k != "not_answered_units"}
    round_.report = kept
    report = verification.report(round_)
    assert report["not_answered"] == [tree.unit3.id]
    assert report["totals"]["not_answered_units"] == 1


def test_open_round_report_is_provisional(session, tree, people, round_):
    report = verification.report(round_, now=AFTER_DUE)
    assert report["final"] is False and round_.report is None
    assert report["overdue"] == [tree.unit1.id, tree.unit3.id]
    assert report["totals"]["unanswered"] == 3


# --- the pages -------------------------------------------------------------------------------


MASKED = re.compile(r"110\*{11}\d{3}[\dX]")


@pytest.fixture
def web_round(session, web, people):
    """A round whose due date has passed at the tests' clock, committed for the requests."""
    round_ = verification.open_round(
        session,
        web.federation,
        web.users["federation"],
        year=2026,
        due_date=date(2026, 11, 10),
        now=datetime(2026, 11, 1, 2, 0, tzinfo=UTC),
    )
    session.commit()
    return round_


def test_a_unit_sees_only_its_own_case_with_id_numbers_masked(
    session, web, people, web_round, new_web_client
):
    case = case_of(session, web_round, web.unit1)
    own = new_web_client()
    login(own, "unit1")
    page = own.get(f"/verification/cases/{case.id}")
    assert page.status_code == 200
    html = page.text
    assert "张建国" in html and "李秀英" in html and "赵明" not in html
    assert len(MASKED.findall(html)) == 2
    assert people.zhang.id_number not in html
    assert 'id="overdue-badge"' in html
    assert 'id="nav-verification"' in html
    assert own.get("/verification/").status_code == 200

    other = new_web_client()
    login(other, "unit3")
    assert other.get(f"/verification/cases/{case.id}").status_code == 404
    assert other.get(f"/verification/rounds/{web_round.id}").status_code == 404
    entry = entry_of(session, case, people.zhang)
    assert other.get(f"/verification/cases/{case.id}/entries/{entry.id}").status_code == 404
    assert own.get(f"/verification/rounds/{web_round.id}").status_code == 404

    judge = new_web_client()
    login(judge, "judge1")
    assert judge.get(f"/verification/cases/{case.id}").status_code == 404
    assert 'id="nav-verification"' not in judge.get("/").text


def test_the_unit_confirms_corrects_and_submits_on_its_page(
    session, web, people, web_round, new_web_client
):
    case = case_of(session, web_round, web.unit1)
    zhang, li = entry_of(session, case, people.zhang), entry_of(session, case, people.li)
    unit = new_web_client()
    login(unit, "unit1")
    base = f"/verification/cases/{case.id}"

    page = unit.get(base).text
    assert f'data-confirm="{zhang.id}"' in page and 'data-trigger="submit" data-blocked' in page

    done = unit.post(f"{base}/entries/{zhang.id}/confirm", data={"version": case.version})
    assert done.status_code == 302
    # A second page still showing the old version: a clear conflict, nothing recorded.
    stale = unit.post(f"{base}/entries/{li.id}/confirm", data={"version": 1})
    assert stale.status_code == 409 and "他人" in stale.text

    form = unit.get(f"{base}/entries/{li.id}").text
    assert 'value="技师"' in form  # filled with the record
    session.expire_all()
    version = session.get(ArchiveCase, case.id).version
    typed = {
        "version": version,
        "status": "retired",
        "effective_date": "",
        "phone": "13911112222",
        "address": "北京市朝阳区某街道2号",
        "unit_name": "单位一",
        "post": "高级技师",
    }
    refused = unit.post(f"{base}/entries/{li.id}", data=typed)
    assert refused.status_code == 422
    html = refused.text
    block = html[html.index('data-field="effective_date"') :]
    assert "请填写状态变化的日期" in block[: block.index('data-field="phone"')]
    assert 'value="13911112222"' in html and 'value="北京市朝阳区某街道2号"' in html

    saved = unit.post(f"{base}/entries/{li.id}", data={**typed, "effective_date": "2026-10-31"})
    assert saved.status_code == 302
    again = unit.get(f"{base}/entries/{li.id}").text  # the correction, laid over the record
    assert 'value="2026-10-31"' in again and 'value="高级技师"' in again
    assert 'data-outcome="corrected"' in unit.get(base).text

    session.expire_all()
    version = session.get(ArchiveCase, case.id).version
    blocked = unit.post(
        f"{base}/transitions/submit", data={"version": version, "comment": "已核实"}
    )
    assert blocked.status_code == 422
    assert "请填写:联系人、联系电话" in blocked.text
    assert "已核实</textarea>" in blocked.text  # what was typed is kept

    contact = unit.post(f"{base}/contact", data={"version": version, **CONTACT})
    assert contact.status_code == 302
    session.expire_all()
    version = session.get(ArchiveCase, case.id).version
    sent = unit.post(f"{base}/transitions/submit", data={"version": version, "comment": "已核实"})
    assert sent.status_code == 302
    session.expire_all()
    assert session.get(ArchiveCase, case.id).state == "submitted"

    federation = new_web_client()
    login(federation, "federation")
    page = federation.get(base).text
    assert 'data-trigger="accept"' in page and 'data-trigger="return_to_unit"' in page
    accepted = federation.post(
        f"{base}/transitions/accept",
        data={"version": session.get(ArchiveCase, case.id).version, "comment": "同意"},
    )
    assert accepted.status_code == 302
    session.expire_all()
    person = session.get(ArchivePerson, people.li.id)
    assert person.status == "retired" and person.post == "高级技师"
    page = unit.get(base).text
    assert 'data-state="accepted"' in page and 'data-opinion="accept"' in page
    assert "data-confirm=" not in page  # nothing more to answer


def test_the_federation_opens_follows_and_closes_a_round(session, web, people, new_web_client):
    federation = new_web_client()
    login(federation, "federation")
    index = federation.get("/verification/")
    assert index.status_code == 200 and 'id="open-round-form"' in index.text

    past = federation.post(
        "/verification/rounds",
        data={"federation_id": web.federation.id, "year": 2026, "due_date": "2026-11-01"},
    )
    assert past.status_code == 422 and "截止日期不能早于今天" in past.text
    assert 'value="2026-11-01"' in past.text

    opened = federation.post(
        "/verification/rounds",
        data={"federation_id": web.federation.id, "year": 2026, "due_date": "2026-11-30"},
    )
    assert opened.status_code == 302
    round_id = int(opened.headers["Location"].rstrip("/").split("/")[-1])
    page = federation.get(f"/verification/rounds/{round_id}").text
    assert "单位一" in page and "单位三" in page and 'id="close-form"' in page
    assert "没有逾期单位" in page
    english = federation.get(f"/verification/rounds/{round_id}?lang=en").text
    assert "Archive verification 2026" in english and "No unit is overdue." in english

    unit = new_web_client()
    login(unit, "unit1")
    assert unit.post(f"/verification/rounds/{round_id}/close").status_code == 404

    # Neither unit has answered: the close form lists them and asks for a confirmation.
    form = page[page.index('id="close-form"') :]
    assert 'id="not-answered-warning"' in form and 'name="confirm"' in form
    for unit in (web.unit1, web.unit3):
        assert f'data-not-answered-unit="{unit.id}"' in form
    listed = re.search(r'name="not_answered"[^>]*value="([\d,]+)"', form).group(1)
    unconfirmed = federation.post(
        f"/verification/rounds/{round_id}/close", data={"not_answered": listed}
    )
    assert unconfirmed.status_code == 409
    assert "单位一" in unconfirmed.text and "请确认" in unconfirmed.text
    assert 'data-status="open"' in unconfirmed.text

    closed = federation.post(
        f"/verification/rounds/{round_id}/close",
        data={"not_answered": listed, "confirm": "y"},
    )
    assert closed.status_code == 302
    page = federation.get(f"/verification/rounds/{round_id}").text
    assert 'data-status="closed"' in page and 'id="close-form"' not in page
    kept = page[page.index('id="report-not-answered"') :]
    assert "结束时未报送的单位" in kept and "federation" in kept
    for unit in (web.unit1, web.unit3):
        assert f'data-not-answered-unit="{unit.id}"' in kept
    printed = federation.get(f"/verification/rounds/{round_id}/report")
    assert printed.status_code == 200 and "核查报告" in printed.text
    assert 'id="report-totals"' in printed.text


def test_the_round_page_lists_the_overdue_units(session, web, people, web_round, new_web_client):
    federation = new_web_client()
    login(federation, "federation")
    page = federation.get(f"/verification/rounds/{web_round.id}").text
    overdue = page[page.index('id="overdue-units"') : page.index('id="report"')]
    assert f'data-overdue-unit="{web.unit1.id}"' in overdue
    assert f'data-overdue-unit="{web.unit3.id}"' in overdue
    auditor = new_web_client()
    login(auditor, "auditor")
    assert auditor.get(f"/verification/rounds/{web_round.id}").status_code == 200
    assert auditor.post(f"/verification/rounds/{web_round.id}/close").status_code == 403


# --- the API ---------------------------------------------------------------------------------


def test_api_gives_the_federation_its_rounds_with_the_report(client, session, tree, people):
    api = Api(client, session, tree)
    round_ = verification.open_round(
        session, tree.federation, tree.users["federation"], year=2026, due_date=DUE
    )
    session.commit()
    listed = api.get("/verification-rounds", "federation")
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json["items"]] == [round_.id]

    one = api.get(f"/verification-rounds/{round_.id}", "auditor")
    assert one.status_code == 200
    body = one.json
    assert body["status"] == "open" and body["report"]["final"] is False
    assert [u["unit_id"] for u in body["report"]["units"]] == [tree.unit1.id, tree.unit3.id]
    doc = document()
    schema = doc["paths"]["/verification-rounds/{round_id}"]["get"]["responses"]["200"]
    schema = schema["content"]["application/json"]["schema"]
    assert list(Draft202012Validator(schema).iter_errors(body)) == []

    assert body["report"]["not_answered"] == [tree.unit1.id, tree.unit3.id]

    # Closed without the units' answers: the API says which units did not answer.
    verification.close_round(
        session,
        round_,
        tree.users["federation"],
        acknowledged=[c.id for c in verification.cases_of(session, round_)],
    )
    session.commit()
    closed = api.get(f"/verification-rounds/{round_.id}", "federation").json
    assert closed["report"]["final"] is True
    assert closed["report"]["not_answered"] == [tree.unit1.id, tree.unit3.id]
    assert list(Draft202012Validator(schema).iter_errors(closed)) == []

    assert api.get(f"/verification-rounds/{round_.id}", "unit1").status_code == 404
    assert api.get("/verification-rounds", "unit1").json == {"items": []}
    assert api.get("/verification-rounds/999999", "federation").status_code == 404
