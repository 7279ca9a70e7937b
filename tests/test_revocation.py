"""Revocation of titles (撤销称号): proposal, review, decision, returned items, batch rescission."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from test_concurrency import _commit_federation, _user
from threads import race

from nomination import db
from nomination.actors import SYSTEM
from nomination.archive import people as archive
from nomination.archive.revocation import (
    case_history,
    propose,
    record_return,
    rescind_decision,
    visible_cases,
)
from nomination.audit.chain import event_views
from nomination.engine import fire
from nomination.errors import Conflict, GuardBlocked, InvalidData, NotFound, PermissionDenied
from nomination.models import ArchiveCase, AuditEvent, HonourRecord, Nomination
from nomination.nominations.queries import visible_honours

from test_web_support import login

pytest_plugins = ["test_web_support"]

BATCH = "京工发〔2025〕9号"
FACTS = "该同志于2026年因职务侵占罪被人民法院判处有期徒刑三年,判决已生效。"
#: The approver's revocation decision, as the decision form takes it (at the tests' clock).
DECISION = {
    "decision_number": "京工发〔2026〕30号",
    "decision_date": "2026-11-18",
    "revoked_on": "2026-11-18",
    "return_certificate": True,
    "return_medal": True,
    "return_due": "2026-12-18",
    "comment": "同意撤销其称号,收回证书和奖章。",
}


def make_honour(
    session: Any,
    unit: Any,
    holder: str = "张建国",
    decision: str = BATCH,
    **fields: Any,
) -> HonourRecord:
    """Add an active honour conferred by ``decision`` on someone of ``unit``."""
    honour = HonourRecord(
        kind="individual",
        title="首都劳动奖章",
        year=2025,
        holder_name=holder,
        unit_id=unit.id if unit is not None else None,
        conferred_by="朝阳区总工会",
        decision_number=decision,
        decision_date=date(2025, 4, 25),
        level="capital",
        honour_type="medal",
        **fields,
    )
    session.add(honour)
    session.flush()
    return honour


def events_of(session: Any, case: ArchiveCase) -> list[AuditEvent]:
    return case_history(session, case)


def revoke(case: ArchiveCase, tree: Any, **overrides: Any) -> ArchiveCase:
    """Review (the federation) and revoke (the approver) a proposed case."""
    fire(case, "review", tree.users["federation"], data={"comment": "经核查属实,提请撤销。"})
    return fire(case, "revoke", tree.users["approver"], data={**DECISION, **overrides})


# --- end to end ----------------------------------------------------------------------------


def test_unit_proposes_federation_reviews_approver_revokes(session, tree):
    honour = make_honour(session, tree.unit1)
    case = propose(session, honour, tree.users["unit1"], grounds="criminal_penalty", facts=FACTS)
    assert (case.state, case.version, case.unit_id) == ("proposed", 1, tree.unit1.id)
    assert case.data == {"grounds": "criminal_penalty", "facts": FACTS, "proposed_by": "unit"}
    assert case.honour_record_id == honour.id and case.federation_id == tree.federation.id

    fire(case, "review", tree.users["federation"], data={"comment": "经核查属实,提请撤销。"})
    assert case.state == "decision"
    fire(case, "revoke", tree.users["approver"], data=DECISION)
    session.flush()
    session.expire_all()

    assert case.state == "revoked"
    assert honour.status == "revoked"
    assert honour.revoked_on == date(2026, 11, 18)
    assert honour.revocation_decision == "京工发〔2026〕30号"
    assert honour.benefits_active is False
    assert [(i.item, i.due_date, i.returned_on) for i in case.items] == [
        ("certificate", date(2026, 12, 18), None),
        ("medal", date(2026, 12, 18), None),
    ]
    assert case.evidence["decision"]["items"] == ["certificate", "medal"]
    assert [o["trigger"] for o in case.evidence["opinions"]] == ["review", "revoke"]
    # The revoked honour stays in the archive, for the federation and for its unit.
    for user in ("federation", "unit1", "auditor"):
        shown = session.scalars(visible_honours(tree.users[user])).all()
        assert honour in shown, user

    events = events_of(session, case)
    assert [e.action for e in events] == ["case.create", "transition.review", "transition.revoke"]
    assert {e.entity_type for e in events} == {"case"}
    assert [e.role for e in events] == ["unit_submitter", "federation_reviewer", "approver"]
    assert events[2].after["honour_revoked"]["honour_record_id"] == honour.id
    assert events[2].after["honour_revoked"]["revoked_on"] == "2026-11-18"
    assert events[2].before == {"state": "decision", "version": 2}
    # The facts may describe an offence: kept as personal values, readable through the views.
    assert "职务侵占" not in events[0].payload
    assert event_views(session, events[:1])[0].after["data"]["facts"] == FACTS


def test_returned_items_are_recorded_once_by_the_federation(session, tree):
    case = propose(
        session,
        make_honour(session, tree.unit1),
        tree.users["federation"],
        grounds="fraud",
        facts=FACTS,
    )
    revoke(case, tree)
    certificate, medal = case.items

    with pytest.raises(PermissionDenied):
        record_return(session, certificate, tree.users["unit1"], date(2026, 11, 18))
    with pytest.raises(InvalidData) as late:
        record_return(session, certificate, tree.users["federation"], date(2026, 11, 19))
    assert "returned_on" in late.value.fields

    record_return(
        session, certificate, tree.users["federation"], date(2026, 11, 18), note="本人交回"
    )
    assert (certificate.returned_on, certificate.note) == (date(2026, 11, 18), "本人交回")
    assert medal.returned_on is None
    with pytest.raises(Conflict):
        record_return(session, certificate, tree.users["federation"], date(2026, 11, 17))
    assert certificate.returned_on == date(2026, 11, 18)

    event = events_of(session, case)[-1]
    assert (event.action, event.entity_type, event.entity_id) == (
        "case.return_item",
        "case",
        str(case.id),
    )
    assert event.after["item"] == "certificate" and event.after["late"] is False


@pytest.mark.parametrize(
    ("before", "who", "trigger_state"),
    [((), "federation", "proposed"), (("review",), "approver", "decision")],
)
def test_dismissal_leaves_the_honour_active(session, tree, before, who, trigger_state):
    honour = make_honour(session, tree.unit1)
    case = propose(session, honour, tree.users["federation"], grounds="fraud", facts=FACTS)
    for trigger in before:
        fire(case, trigger, tree.users["federation"], data={"comment": "属实"})
    assert case.state == trigger_state
    fire(case, "dismiss", tree.users[who], data={"reason": "经核查,反映问题不属实。"})
    assert case.state == "dismissed"
    assert (honour.status, honour.benefits_active, honour.revoked_on) == ("active", True, None)
    assert case.items == []
    assert events_of(session, case)[-1].action == "transition.dismiss"
    # A dismissed case is closed: the honour may be proposed again on new facts.
    again = propose(session, honour, tree.users["unit1"], grounds="fraud", facts=FACTS + "又查明")
    assert again.id != case.id and again.state == "proposed"


# --- who may do what -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "proposed_by"),
    [
        ("unit1", "unit"),
        ("federation", "federation"),
        ("dept-hr", "discipline"),
        ("unit2", None),
        ("committee1", None),
        ("judge1", None),
        ("auditor", None),
        ("approver", None),
    ],
)
def test_who_may_propose(session, tree, user, proposed_by):
    honour = make_honour(session, tree.unit1)
    if proposed_by is None:
        with pytest.raises(PermissionDenied):
            propose(session, honour, tree.users[user], grounds="fraud", facts=FACTS)
        assert (
            session.scalar(select(ArchiveCase).where(ArchiveCase.honour_record_id == honour.id))
            is None
        )
        return
    case = propose(session, honour, tree.users[user], grounds="serious_violation", facts=FACTS)
    assert case.data["proposed_by"] == proposed_by


def test_the_holders_unit_comes_from_the_person_when_the_honour_names_none(session, tree):
    person, _ = archive.find_or_create_person(
        session,
        tree.federation,
        id_number="110105194912310038",
        name="张建国",
        actor=SYSTEM,
        unit_id=tree.unit2.id,
    )
    honour = make_honour(session, None, person=person)
    with pytest.raises(PermissionDenied):
        propose(session, honour, tree.users["unit1"], grounds="fraud", facts=FACTS)
    case = propose(session, honour, tree.users["unit2"], grounds="fraud", facts=FACTS)
    assert case.unit_id == tree.unit2.id and case.data["proposed_by"] == "unit"


def test_review_and_decision_belong_to_the_federation_and_the_approver(session, tree):
    case = propose(
        session,
        make_honour(session, tree.unit1),
        tree.users["unit1"],
        grounds="fraud",
        facts=FACTS,
    )
    u = tree.users
    for user in ("unit1", "committee1", "judge1", "auditor", "dept-hr"):
        with pytest.raises(PermissionDenied):
            fire(case, "review", u[user], data={"comment": "属实"})
    # The approver decides; on a single case it does not also review.
    with pytest.raises(GuardBlocked):
        fire(case, "review", u["approver"], data={"comment": "属实"})
    with pytest.raises(Conflict):
        fire(case, "revoke", u["approver"], data=DECISION)
    fire(case, "review", u["federation"], data={"comment": "属实"})
    for user in ("unit1", "federation", "auditor"):
        with pytest.raises(PermissionDenied):
            fire(case, "revoke", u[user], data=DECISION)
    fire(case, "revoke", u["approver"], data=DECISION)
    assert case.state == "revoked"


def test_a_unit_reads_its_own_cases_only(session, tree):
    own = propose(
        session, make_honour(session, tree.unit1), tree.users["unit1"], grounds="fraud", facts=FACTS
    )
    other = propose(
        session,
        make_honour(session, tree.unit3, "李四"),
        tree.users["federation"],
        grounds="fraud",
        facts=FACTS,
    )
    ours = propose(
        session,
        make_honour(session, tree.unit2, "王五"),
        tree.users["dept-hr"],
        grounds="fraud",
        facts=FACTS,
    )

    def seen(user: str) -> set[int]:
        return {c.id for c in session.scalars(visible_cases(tree.users[user]))}

    assert seen("unit1") == {own.id}
    assert seen("unit3") == {other.id}
    assert seen("federation") == seen("approver") == seen("auditor") == {own.id, other.id, ours.id}
    assert seen("dept-hr") == {ours.id}  # the discipline body: what it proposed
    assert seen("judge1") == set()


def test_an_honour_revoked_meanwhile_is_not_revoked_again(session, tree):
    honour = make_honour(session, tree.unit1)
    case = propose(session, honour, tree.users["federation"], grounds="fraud", facts=FACTS)
    fire(case, "review", tree.users["federation"], data={"comment": "属实"})
    # Recorded as revoked by some other way (an imported archive, a decision elsewhere).
    honour.status, honour.revoked_on = "revoked", date(2026, 1, 1)
    with pytest.raises(GuardBlocked) as blocked:
        fire(case, "revoke", tree.users["approver"], data=DECISION)
    assert "已被撤销" in str(blocked.value)
    assert honour.revoked_on == date(2026, 1, 1) and case.state == "decision"


# --- one case at a time ----------------------------------------------------------------------


def test_one_open_case_per_honour(session, tree):
    honour = make_honour(session, tree.unit1)
    case = propose(session, honour, tree.users["unit1"], grounds="fraud", facts=FACTS)
    with pytest.raises(Conflict) as under_way:
        propose(session, honour, tree.users["federation"], grounds="fraud", facts=FACTS)
    assert under_way.value.extra["case_id"] == case.id
    fire(case, "review", tree.users["federation"], data={"comment": "属实"})
    with pytest.raises(Conflict):
        propose(session, honour, tree.users["dept-hr"], grounds="fraud", facts=FACTS)
    fire(case, "revoke", tree.users["approver"], data=DECISION)
    # Revoked: nothing left to propose.
    with pytest.raises(Conflict):
        propose(session, honour, tree.users["federation"], grounds="fraud", facts=FACTS)


def test_two_proposals_at_once_make_one_case(app):
    ids = _commit_federation(app, "draft")
    with app.app_context():
        unit = db.session.get(Nomination, ids["nomination"]).unit
        honour_id = make_honour(db.session, unit, decision=f"并发〔{ids['nomination']}〕").id
        db.session.commit()
        db.session.remove()

    def act(start: Any, meet: Any) -> None:
        honour = db.session.get(HonourRecord, honour_id)
        user = _user(ids, "federation")
        db.session.commit()  # end the read, as the page the user submits from did
        start.wait(timeout=30)
        propose(db.session, honour, user, grounds="fraud", facts=FACTS)

    assert sorted(race(app, act)) == ["conflict", "ok"]
    with app.app_context():
        cases = db.session.scalars(
            select(ArchiveCase).where(ArchiveCase.honour_record_id == honour_id)
        ).all()
        assert len(cases) == 1
        db.session.remove()


def test_the_proposal_is_validated_by_its_form(session, tree):
    honour = make_honour(session, tree.unit1)
    with pytest.raises(InvalidData) as bad:
        propose(session, honour, tree.users["unit1"], grounds="rumour", facts="太短")
    assert set(bad.value.fields) == {"grounds", "facts"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"revoked_on": "2025-04-24"}, "revoked_on"),
        ({"return_due": None}, "return_due"),
        ({"return_due": "2026-11-17"}, "return_due"),
        ({"decision_number": ""}, "decision_number"),
        ({"decision_date": "2026-11-19"}, "decision_date"),
    ],
)
def test_a_bad_decision_changes_nothing(session, tree, overrides, field):
    honour = make_honour(session, tree.unit1)
    case = propose(session, honour, tree.users["federation"], grounds="fraud", facts=FACTS)
    fire(case, "review", tree.users["federation"], data={"comment": "属实"})
    data = {k: v for k, v in {**DECISION, **overrides}.items() if v is not None}
    with pytest.raises(InvalidData) as bad, session.begin_nested():
        fire(case, "revoke", tree.users["approver"], data=data)
    assert field in bad.value.fields
    assert (case.state, honour.status, honour.benefits_active, case.items) == (
        "decision",
        "active",
        True,
        [],
    )


# --- batch rescission ------------------------------------------------------------------------


def test_batch_rescission_revokes_every_honour_of_the_decision_and_no_other(session, tree):
    batch = [
        make_honour(session, tree.unit1, "张一"),
        make_honour(session, tree.unit2, "张二"),
        make_honour(session, tree.unit3, "张三"),
    ]
    busy = make_honour(session, tree.unit3, "张四")
    other = make_honour(session, tree.unit1, "李五", decision="京工发〔2025〕10号")
    under_way = propose(session, busy, tree.users["unit3"], grounds="fraud", facts=FACTS)

    results = rescind_decision(
        session,
        BATCH,
        tree.users["approver"],
        grounds="fraud",
        facts="经查,该批工人先锋号推荐过程中存在弄虚作假,撤销该批表彰决定。",
        revocation=DECISION,
        expected={h.id for h in [*batch, busy]},
    )
    session.expire_all()
    assert [(r.honour.id, r.done) for r in results] == [
        *((h.id, True) for h in batch),
        (busy.id, False),
    ]
    refused = results[-1]
    assert refused.code == "conflict" and refused.case.id == under_way.id
    for honour in batch:
        assert (honour.status, honour.revocation_decision, honour.benefits_active) == (
            "revoked",
            "京工发〔2026〕30号",
            False,
        )
    assert busy.status == "active" and under_way.state == "proposed"
    assert other.status == "active"

    for result in results[:3]:
        case = result.case
        assert case.state == "revoked" and case.data["rescinds"] == BATCH
        assert [i.item for i in case.items] == ["certificate", "medal"]
        events = events_of(session, case)
        assert [(e.action, e.role, e.entity_type) for e in events] == [
            ("case.create", "approver", "case"),
            ("transition.review", "approver", "case"),
            ("transition.revoke", "approver", "case"),
        ]


def test_batch_rescission_is_the_approvers_and_checks_what_it_confirmed(session, tree):
    first = make_honour(session, tree.unit1, "张一")
    second = make_honour(session, tree.unit2, "张二")
    args = {"grounds": "fraud", "facts": FACTS, "revocation": DECISION}
    with pytest.raises(PermissionDenied):
        rescind_decision(session, BATCH, tree.users["federation"], **args)
    # The list changed since the approver read it: nothing is done.
    with pytest.raises(Conflict):
        rescind_decision(session, BATCH, tree.users["approver"], expected={first.id}, **args)
    with pytest.raises(InvalidData) as bad:
        rescind_decision(session, BATCH, tree.users["approver"], **{**args, "revocation": {}})
    assert "decision_number" in bad.value.fields
    with pytest.raises(NotFound):
        rescind_decision(session, "京工发〔2099〕1号", tree.users["approver"], **args)
    honours = [first.id, second.id]
    assert (
        session.scalars(select(ArchiveCase).where(ArchiveCase.honour_record_id.in_(honours))).all()
        == []
    )
    assert (first.status, second.status) == ("active", "active")


# --- the pages -------------------------------------------------------------------------------


def test_pages_propose_review_revoke_and_record_returns(session, web, new_web_client):
    honour = make_honour(session, web.unit1)
    session.commit()

    unit = new_web_client()
    login(unit, "unit1")
    page = unit.get(f"/revocations/new?honour_id={honour.id}")
    assert page.status_code == 200 and 'id="proposal-form"' in page.text
    bad = unit.post(
        f"/revocations/new?honour_id={honour.id}", data={"grounds": "fraud", "facts": "太短"}
    )
    assert bad.status_code == 422
    assert "至少 10 字" in bad.text and ">fraud<" not in bad.text
    assert '<option selected value="fraud">' in bad.text  # nothing typed is lost
    sent = unit.post(
        f"/revocations/new?honour_id={honour.id}",
        data={"grounds": "criminal_penalty", "facts": FACTS},
    )
    assert sent.status_code == 302
    case = session.scalar(select(ArchiveCase).where(ArchiveCase.honour_record_id == honour.id))
    assert sent.headers["Location"].endswith(f"/revocations/{case.id}")
    view = unit.get(f"/revocations/{case.id}").text
    assert 'data-state="proposed"' in view and FACTS in view
    assert 'data-trigger="review"' not in view  # the unit does not review
    again = unit.post(
        f"/revocations/new?honour_id={honour.id}",
        data={"grounds": "criminal_penalty", "facts": FACTS},
    )
    assert again.status_code == 409 and FACTS in again.text  # what was typed is kept
    assert f'href="/revocations/{case.id}"' in again.text and "已提议,区总工会审核" in again.text

    federation = new_web_client()
    login(federation, "federation")
    view = federation.get(f"/revocations/{case.id}").text
    assert f'action="/revocations/{case.id}/transitions/review"' in view
    assert 'button type="submit" class="btn btn-primary" name="trigger" value="review"' in view
    assert 'name="field_remarks' not in view  # remarks by field are for nominations
    done = federation.post(
        f"/revocations/{case.id}/transitions/review", data={"version": 1, "comment": "属实"}
    )
    assert done.status_code == 302

    approver = new_web_client()
    login(approver, "approver")
    form = {
        "version": 2,
        "decision_number": DECISION["decision_number"],
        "decision_date": "2026-11-18",
        "revoked_on": "2025-01-01",
        "return_certificate": "y",
        "return_due": "2026-12-18",
    }
    refused = approver.post(f"/revocations/{case.id}/transitions/revoke", data=form)
    assert refused.status_code == 422
    assert "不能早于授予称号的日期" in refused.text and "京工发〔2026〕30号" in refused.text
    stale = approver.post(f"/revocations/{case.id}/transitions/revoke", data={**form, "version": 1})
    assert stale.status_code == 409 and "京工发〔2026〕30号" in stale.text
    ok = approver.post(
        f"/revocations/{case.id}/transitions/revoke", data={**form, "revoked_on": "2026-11-18"}
    )
    assert ok.status_code == 302
    view = approver.get(f"/revocations/{case.id}").text
    assert 'data-state="revoked"' in view
    assert 'data-honour-status="revoked"' in view and "已撤销(自 2026-11-18 起)" in view
    assert 'data-benefits="ended"' in view
    english = approver.get(f"/revocations/{case.id}?lang=en").text
    assert "Revoked from 2026-11-18" in english and "Title revoked" in english
    assert 'data-item="certificate"' in view and 'data-return-item="certificate"' not in view

    view = federation.get(f"/revocations/{case.id}").text
    assert 'data-return-item="certificate"' in view
    item = case.items[0]
    marked = federation.post(
        f"/revocations/{case.id}/items/{item.id}/returned", data={"returned_on": "2026-11-18"}
    )
    assert marked.status_code == 302
    view = federation.get(f"/revocations/{case.id}").text
    assert 'data-returned="true"' in view and 'data-returned-on="2026-11-18"' in view
    twice = federation.post(
        f"/revocations/{case.id}/items/{item.id}/returned", data={"returned_on": "2026-11-18"}
    )
    assert twice.status_code == 409

    listing = unit.get("/revocations/").text
    assert f'data-case="{case.id}" data-state="revoked"' in listing
    assert "已撤销(自 2026-11-18 起)" in listing


def test_pages_are_scoped(session, web, new_web_client):
    honour = make_honour(session, web.unit1)
    case = propose(session, honour, web.users["unit1"], grounds="fraud", facts=FACTS)
    session.commit()
    for user, status in (("unit3", 404), ("judge1", 404), ("committee1", 404), ("auditor", 200)):
        client = new_web_client()
        login(client, user)
        assert client.get(f"/revocations/{case.id}").status_code == status, user
        page = client.get(f"/revocations/new?honour_id={honour.id}")
        assert page.status_code == (200 if user == "auditor" else 404), user
        assert 'id="proposal-form"' not in page.text
    # The approver decides: no review card on a single case, for the federation only.
    approver = new_web_client()
    login(approver, "approver")
    assert 'data-card="review"' not in approver.get(f"/revocations/{case.id}").text
    federation = new_web_client()
    login(federation, "federation")
    assert 'data-card="review"' in federation.get(f"/revocations/{case.id}").text
    judge = new_web_client()
    login(judge, "judge1")
    assert judge.get("/revocations/").status_code == 403
    auditor = new_web_client()
    login(auditor, "auditor")
    assert f'data-case="{case.id}"' in auditor.get("/revocations/").text
    assert (
        auditor.post(
            f"/revocations/{case.id}/transitions/review", data={"version": 1, "comment": "属实"}
        ).status_code
        == 403
    )


def test_discipline_body_finds_the_honour_without_a_name_in_the_url(session, web, new_web_client):
    honour = make_honour(session, web.unit2, "王五")
    session.commit()
    dept = new_web_client()
    login(dept, "dept-hr")
    found = dept.post("/revocations/new", data={"q": "王五"})
    assert found.status_code == 200
    assert f"/revocations/new?honour_id={honour.id}" in found.text
    sent = dept.post(
        f"/revocations/new?honour_id={honour.id}",
        data={"grounds": "serious_violation", "facts": FACTS},
    )
    assert sent.status_code == 302
    case_url = sent.headers["Location"]
    assert 'data-state="proposed"' in dept.get(case_url).text
    assert "纪检监察机关" in dept.get(case_url).text


def test_batch_rescission_page(session, web, new_web_client):
    batch = [make_honour(session, web.unit1, "张一"), make_honour(session, web.unit3, "张三")]
    other = make_honour(session, web.unit1, "李五", decision="京工发〔2025〕10号")
    session.commit()

    federation = new_web_client()
    login(federation, "federation")
    assert federation.get("/revocations/rescind").status_code == 403

    approver = new_web_client()
    login(approver, "approver")
    page = approver.get("/revocations/rescind", query_string={"decision_number": BATCH}).text
    assert all(f'data-honour="{h.id}"' in page for h in batch)
    assert f'data-honour="{other.id}"' not in page
    assert 'id="rescind-decision_number"' in page  # the new decision's number, to fill in
    form = {
        "rescinded": BATCH,
        "shown": ",".join(str(h.id) for h in batch),
        "grounds": "fraud",
        "facts": "经查,该批推荐过程中存在弄虚作假,撤销该批表彰决定。",
        "decision_date": "2026-11-18",
        "revoked_on": "2026-11-18",
        "return_plaque": "y",
        "return_due": "2026-12-31",
    }
    incomplete = approver.post("/revocations/rescind", data=form)
    assert incomplete.status_code == 422
    assert "此项必填" in incomplete.text and "弄虚作假" in incomplete.text
    # A honour of the decision revoked meanwhile: the approver checks the list again.
    stale = approver.post(
        "/revocations/rescind",
        data={**form, "decision_number": "京工发〔2026〕31号", "shown": str(batch[0].id)},
    )
    assert stale.status_code == 409 and "京工发〔2026〕31号" in stale.text
    done = approver.post(
        "/revocations/rescind", data={**form, "decision_number": "京工发〔2026〕31号"}
    )
    assert done.status_code == 200
    assert 'data-done="2" data-total="2"' in done.text
    session.expire_all()
    assert [h.status for h in batch] == ["revoked", "revoked"]
    assert other.status == "active"
    cases = session.scalars(
        select(ArchiveCase)
        .where(ArchiveCase.honour_record_id.in_([h.id for h in batch]))
        .order_by(ArchiveCase.id)
    ).all()
    assert [c.data["rescinds"] for c in cases] == [BATCH, BATCH]
    assert [[i.item for i in c.items] for c in cases] == [["plaque"], ["plaque"]]
