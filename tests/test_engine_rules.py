"""Engine rules: who may fire what, guards, timers, rollback, versions pinned per campaign."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from nomination.actors import PUBLIC, SYSTEM
from nomination.audit.chain import event_view, verify_chain
from nomination.engine import apply_due_timers, available, fire, workflow_for
from nomination.engine.registry import EFFECTS
from nomination.errors import Conflict, GuardBlocked, PermissionDenied
from nomination.models import AuditEvent, DefinitionVersion, Nomination

from factories import ANSWER, DECIDED_AT, DECIDED_ON, NOW, VERIFY, person_data, recommendation
from test_api_support import Api

ALL_USERS = [
    "unit1",
    "unit2",
    "unit3",
    "committee1",
    "committee2",
    "federation",
    "approver",
    "auditor",
    "admin",
    "judge1",
    "dept-hr",
]

OBJECTION = {
    "objector_name": "孙某",
    "objector_phone": "13800138002",
    "objector_address": "北京市朝阳区某路3号",
    "facts": "该同志所报荣誉与事实不符,请予核查。",
}
DECISION = {"decision_number": "京工发〔2026〕1号", "decision_date": DECIDED_ON}

#: (trigger, state it leaves) → (form data, users allowed to fire it on unit1's nomination).
#: Every transition of the workflow that a user may fire; the public's and the timers' are
#: refused to every user in test_timers_and_public_cannot_be_fired_by_users.

MATRIX = {
    ("recommend", "draft"): (recommendation(), {"unit1"}),
    ("withdraw", "draft"): ({"reason": "本人申请撤回"}, {"unit1"}),
    ("forward", "committee_review"): ({"comment": "同意"}, {"committee1"}),
    ("return_to_unit", "committee_review"): ({"reason": "事迹需补充"}, {"committee1"}),
    ("reject", "committee_review"): ({"reason": "不符合条件"}, {"committee1"}),
    ("resubmit", "returned"): ({"comment": "已补充"}, {"unit1"}),
    ("withdraw", "returned"): ({"reason": "本人申请撤回"}, {"unit1"}),
    ("accept", "federation_review"): ({"comment": "同意"}, {"federation"}),
    ("return_to_unit", "federation_review"): ({"reason": "事迹需补充"}, {"federation"}),
    ("reject", "federation_review"): ({"reason": "不符合条件"}, {"federation"}),
    ("consultation_clear", "consultation"): ({"comment": "无异议"}, {"federation"}),
    ("select", "selection"): ({"comment": "评审通过"}, {"federation"}),
    ("not_select", "selection"): ({"reason": "票数不足"}, {"federation"}),
    ("hold_in_reserve", "selection"): ({"comment": "列为递补"}, {"federation"}),
    ("promote", "reserve"): ({"comment": "递补"}, {"federation"}),
    ("not_select", "reserve"): ({"reason": "无需递补"}, {"federation"}),
    ("dismiss_objection", "objection_review"): ({"comment": "经核查不属实"}, {"federation"}),
    ("uphold_objection", "objection_review"): ({"reason": "经核查属实"}, {"federation"}),
    ("substitute", "objection_review"): ({"reason": "经核查属实,递补"}, {"federation"}),
    ("request_verification", "objection_review"): (VERIFY, {"federation"}),
    ("answer_objection", "unit_verification"): (ANSWER, {"unit1"}),
    ("approve", "final_approval"): (DECISION, {"approver"}),
    ("reject", "final_approval"): ({"reason": "不予批准"}, {"approver"}),
}


PATH = [
    ("recommend", "unit1", recommendation()),
    ("forward", "committee1", {"comment": "同意"}),
    ("accept", "federation", {"comment": "同意"}),
    ("consultation_clear", "federation", {"comment": "无异议"}),
    ("select", "federation", {"comment": "评审通过"}),
]


def advance(nomination, tree, state):
    """Fire the main path (or the side road) until ``nomination`` is in ``state``."""
    if state == "returned":
        advance(nomination, tree, "committee_review")
        fire(
            nomination, "return_to_unit", tree.users["committee1"], data={"reason": "补充"}, now=NOW
        )
        return
    if state == "objection_review":
        advance(nomination, tree, "public_notice")
        fire(nomination, "object", PUBLIC, data=dict(OBJECTION), now=NOW)
        return
    if state == "unit_verification":
        advance(nomination, tree, "objection_review")
        fire(nomination, "request_verification", tree.users["federation"], data=VERIFY, now=NOW)
        return
    if state == "reserve":
        advance(nomination, tree, "selection")
        fire(nomination, "hold_in_reserve", tree.users["federation"], data={"comment": "递补"})
        return
    for trigger, user, data in PATH:
        if nomination.state == state:
            return
        actor = n_unit_user(tree, nomination) if user == "unit1" else tree.users[user]
        fire(nomination, trigger, actor, data=data, now=NOW)
    if state == "final_approval" and nomination.state == "public_notice":
        apply_due_timers(nomination_session(nomination), nomination.timer_due_at)
    assert nomination.state == state


def nomination_session(nomination):
    from sqlalchemy.orm import object_session

    return object_session(nomination)


def test_the_matrix_covers_every_transition_users_may_fire(session, tree, create_nomination_for):
    wf = workflow_for(create_nomination_for())
    fired_by_users = {
        (t.trigger, source)
        for t in wf.transitions
        for source in t.sources
        if set(t.roles) - {"public", "system"}
    }
    assert fired_by_users == set(MATRIX)


@pytest.mark.parametrize(("trigger", "state"), sorted(MATRIX))
@pytest.mark.parametrize("username", ALL_USERS)
def test_permission_matrix(clock, session, tree, create_nomination_for, trigger, state, username):
    data, allowed = MATRIX[trigger, state]
    if trigger == "substitute":
        advance(create_nomination_for(), tree, "reserve")  # someone to move up
    n = create_nomination_for()
    advance(n, tree, state)
    user = tree.users[username]
    offered = {a.transition.trigger for a in available(n, user, now=NOW)}
    if username in allowed:
        assert trigger in offered
        # A decision is taken after the notice closed (DECIDED_AT); the rest happen at NOW.
        clock(DECIDED_AT)  # the decision follows the notice
        when = DECIDED_AT if trigger == "approve" else NOW
        fire(n, trigger, user, version=n.version, data=dict(data), now=when)
        assert n.state == workflow_for(n).transition(state, trigger).dest
    else:
        assert trigger not in offered
        with pytest.raises(PermissionDenied):
            fire(n, trigger, user, version=n.version, data=dict(data), now=NOW)
        assert n.state == state


@pytest.mark.parametrize("username", ALL_USERS)
def test_timers_and_public_cannot_be_fired_by_users(session, tree, create_nomination_for, username):
    user = tree.users[username]
    n = create_nomination_for()
    advance(n, tree, "public_notice")
    for trigger, data in (("close_notice", None), ("object", dict(OBJECTION))):
        assert trigger not in {a.transition.trigger for a in available(n, user, now=NOW)}
        with pytest.raises(PermissionDenied):
            fire(n, trigger, user, data=data, now=NOW)
    returned = create_nomination_for()
    advance(returned, tree, "returned")
    with pytest.raises(PermissionDenied):
        fire(returned, "lapse", user, now=NOW)
    verifying = create_nomination_for()
    advance(verifying, tree, "unit_verification")
    with pytest.raises(PermissionDenied):
        fire(verifying, "lapse_verification", user, now=NOW)
    assert (n.state, returned.state) == ("public_notice", "returned")
    assert verifying.state == "unit_verification"


def test_the_public_may_only_object(session, tree, create_nomination_for):
    n = create_nomination_for()
    advance(n, tree, "public_notice")
    assert [a.transition.trigger for a in available(n, PUBLIC, now=NOW)] == ["object"]
    with pytest.raises(PermissionDenied):
        fire(n, "close_notice", PUBLIC, now=NOW)
    # The timers fire as the system, which may do nothing a person does (only what a
    # definition gives it: timers, a department's veto, a selection round's result).
    other = create_nomination_for()
    advance(other, tree, "federation_review")
    with pytest.raises(PermissionDenied):
        fire(other, "accept", SYSTEM, data={"comment": "x"}, now=NOW)


def test_trigger_from_wrong_state_conflicts(session, tree, create_nomination_for):
    n = create_nomination_for()
    with pytest.raises(Conflict):
        fire(n, "approve", tree.users["approver"], data={}, now=DECIDED_AT)


def test_failing_effect_rolls_everything_back(
    clock, session, tree, create_nomination_for, monkeypatch
):
    n = create_nomination_for()
    advance(n, tree, "final_approval")
    n_id, version = n.id, n.version
    events_before = session.scalar(select(func.count(AuditEvent.seq)))
    session.commit()  # to the test's savepoint: what the request had done before approving

    def explode(ctx):
        raise RuntimeError("archive unavailable")

    # The effect registry is the engine's extension point; replace one effect for this test.
    monkeypatch.setitem(EFFECTS, "create_honour_record", explode)
    clock(DECIDED_AT)  # the decision follows the notice
    with pytest.raises(RuntimeError):
        fire(
            n,
            "approve",
            tree.users["approver"],
            data={"decision_number": "京工发〔2026〕1号", "decision_date": "2026-11-27"},
            now=DECIDED_AT,
        )
    session.rollback()
    fresh = session.get(Nomination, n_id)
    assert (fresh.state, fresh.version, fresh.decision_number) == ("final_approval", version, None)
    assert session.scalar(select(func.count(AuditEvent.seq))) == events_before
    assert verify_chain(session).ok


def test_quota_guard(session, tree, create_nomination_for):
    # committee1 has two places for medals.
    noms = [create_nomination_for(unit_user="unit1" if i % 2 else "unit2") for i in range(3)]
    for n in noms:
        fire(n, "recommend", n_unit_user(tree, n), data=recommendation(), now=NOW)
    fire(noms[0], "forward", tree.users["committee1"], data={"comment": "同意"}, now=NOW)
    fire(noms[1], "forward", tree.users["committee1"], data={"comment": "同意"}, now=NOW)
    blocked = [a for a in available(noms[2], tree.users["committee1"], now=NOW)]
    forward = next(a for a in blocked if a.transition.trigger == "forward")
    assert not forward.allowed and "名额" in forward.reasons[0]
    with pytest.raises(GuardBlocked):
        fire(noms[2], "forward", tree.users["committee1"], data={"comment": "同意"}, now=NOW)


def n_unit_user(tree, nomination):
    return tree.users["unit1"] if nomination.unit_id == tree.unit1.id else tree.users["unit2"]


def test_incomplete_data_blocks_recommend(session, tree, create_nomination_for):
    n = create_nomination_for(data={"name": "李桂兰"})
    rec = next(
        a for a in available(n, tree.users["unit1"], now=NOW) if a.transition.trigger == "recommend"
    )
    # Data completeness is judged before the form is shown; the vote is judged on firing.
    assert not rec.allowed and "性别" in rec.reasons[0]
    with pytest.raises(GuardBlocked) as err:
        fire(n, "recommend", tree.users["unit1"], data=recommendation(), now=NOW)
    assert "性别" in err.value.message


def test_tick_is_idempotent_and_lazy_reads_agree(app, session, tree, client, create_nomination_for):
    ticked, read = create_nomination_for(), create_nomination_for(unit_user="unit2")
    for n in (ticked, read):
        advance(n, tree, "public_notice")
    due = ticked.timer_due_at
    assert read.timer_due_at == due
    api = Api(client, session, tree)  # commits what the test made, so requests keep it

    # The tick closes one notice, three days late; running it again changes nothing.
    later = due + timedelta(days=3)
    assert apply_due_timers(session, later, ids=[ticked.id]) == [ticked]
    assert apply_due_timers(session, later, ids=[ticked.id]) == []
    session.commit()

    # No tick for the other one: its unit opens it a day after the notice ended.
    frozen = app.config["FROZEN_TIME"]
    app.config["FROZEN_TIME"] = due + timedelta(days=1)
    try:
        seen = api.get(f"/nominations/{read.id}", "unit2")
    finally:
        app.config["FROZEN_TIME"] = frozen
    assert seen.status_code == 200, seen.json
    assert seen.json["state"]["name"] == "final_approval"
    assert seen.json["state_entered_at"] == due.isoformat()

    session.expire_all()
    closing = {}
    for n in (ticked, read):
        assert n.state == "final_approval"
        # The state was entered when the notice closed, not when the tick or the read ran.
        assert n.state_entered_at == due
        closing[n.id] = session.scalar(
            select(AuditEvent).where(
                AuditEvent.entity_type == "nomination",
                AuditEvent.entity_id == str(n.id),
                AuditEvent.action == "transition.close_notice",
            )
        )
    by_tick, by_read = closing[ticked.id], closing[read.id]
    assert by_tick.actor_name == by_read.actor_name == SYSTEM.name
    assert by_tick.after == by_read.after
    assert by_tick.after["effective_at"] == due.isoformat()
    # Nothing is left for a later tick.
    assert apply_due_timers(session, later) == []
    assert verify_chain(session).ok


def test_returned_nomination_lapses(session, tree, create_nomination_for):
    n = create_nomination_for()
    fire(n, "recommend", tree.users["unit1"], data=recommendation(), now=NOW)
    fire(n, "return_to_unit", tree.users["committee1"], data={"reason": "补充事迹"}, now=NOW)
    assert n.state == "returned" and n.timer_trigger == "lapse"
    apply_due_timers(session, n.timer_due_at)
    assert n.state == "lapsed"
    last = session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
    assert last.action == "transition.lapse" and last.actor_name == SYSTEM.name


def test_objection_cycle(session, tree, create_nomination_for):
    n = create_nomination_for()
    advance(n, tree, "public_notice")
    first_due = n.timer_due_at
    fire(
        n,
        "object",
        PUBLIC,
        data={
            "objector_name": "王某",
            "objector_phone": "13800138000",
            "objector_address": "北京市朝阳区某街道1号",
            "facts": "该同志2025年曾发生安全生产事故,未如实填报。",
        },
        now=NOW + timedelta(days=1),
    )
    assert n.state == "objection_review" and n.timer_due_at is None
    assert n.objections[0].status == "open"
    last = session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
    assert "王某" not in last.payload and "13800138000" not in last.payload
    fire(
        n,
        "dismiss_objection",
        tree.users["federation"],
        data={"comment": "经核查不属实"},
        now=NOW + timedelta(days=2),
    )
    assert n.state == "public_notice"
    assert n.objections[0].status == "unfounded"
    # The notice restarts for its full length when it resumes.
    assert n.timer_due_at > first_due


def test_campaign_keeps_its_pinned_version(session, tree, create_nomination_for):
    n = create_nomination_for()
    pinned = n.definition_hash
    assert session.get(DefinitionVersion, pinned) is not None
    assert n.campaign.award("individual").definition_hash == pinned
    assert workflow_for(n).hash == pinned


def test_data_edit_is_audited_with_before_and_after(session, tree, create_nomination_for):
    from nomination.nominations.operations import update_nomination

    n = create_nomination_for()
    changed = update_nomination(
        n, actor=tree.users["unit1"], data=person_data(post="班组长"), version=n.version
    )
    assert changed == ["post"]
    last = session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
    assert last.action == "nomination.update"
    # The hashed event holds commitments; its view joins the clear values back.
    view = event_view(last)
    assert view.before["data"] == {"post": "北京热力集团 运行班班长"}
    assert view.after["data"] == {"post": "班组长"}
    with pytest.raises(Conflict):
        update_nomination(n, actor=tree.users["unit1"], data=person_data(), version=n.version - 1)


def test_a_period_into_an_unpublished_year_is_provisional_not_refused(
    session, tree, create_nomination_for
):
    from datetime import UTC, datetime

    n = create_nomination_for()
    advance(n, tree, "selection")
    late = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)  # a five-day notice from here ends in 2027
    fire(n, "select", tree.users["federation"], data={"comment": "评审通过"}, now=late)
    assert n.state == "public_notice"
    assert n.timer_provisional is True
    assert (n.timer_started_at, n.timer_working_days) == (late, 5)
