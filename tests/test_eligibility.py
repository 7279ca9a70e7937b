"""Eligibility and allocation: barred units, already honoured, unit allocations, the pool, caps."""

from __future__ import annotations

import pytest

from nomination.actors import SYSTEM
from nomination.administration.campaigns import bar_unit, set_quota
from nomination.engine import apply_due_timers, available, fire
from nomination.errors import GuardBlocked, InvalidData, PermissionDenied
from nomination.nominations.queries import honour_of

from factories import DECIDED_AT, person_data, recommendation
from test_web_support import walk_to_notice

pytest_plugins = ["test_web_support"]

DECISION = {"decision_number": "京工发〔2026〕1号", "decision_date": "2026-11-27"}


def blocked(nomination, trigger, user, **data) -> str:
    """Fire ``trigger`` expecting the guards to refuse it; return the reasons."""
    with pytest.raises(GuardBlocked) as refused:
        fire(nomination, trigger, user, data=data or None)
    return str(refused.value.extra.get("reasons") or refused.value.message)


def test_a_barred_unit_cannot_recommend(session, tree, create_nomination_for):
    n = create_nomination_for("unit1")
    bar_unit(session, actor=SYSTEM, unit=tree.unit1, year=2025, reason="上年度发生安全事故")
    fire(n, "recommend", tree.users["unit1"], data=recommendation())  # another year's bar
    other = create_nomination_for("unit1", data=person_data(name="王芳"))
    bar_unit(session, actor=SYSTEM, unit=tree.unit1, year=2026, reason="拖欠职工工资")
    reasons = blocked(other, "recommend", tree.users["unit1"], **recommendation())
    assert "2026年度不得推荐:拖欠职工工资" in reasons
    # The reason shows before the button is pressed, too.
    [option] = [
        o for o in available(other, tree.users["unit1"]) if o.transition.trigger == "recommend"
    ]
    assert not option.allowed and any("拖欠职工工资" in r for r in option.reasons)


def test_a_bar_on_the_committee_covers_its_units(session, tree, create_nomination_for):
    bar_unit(session, actor=SYSTEM, unit=tree.committee1, year=2026, reason="区域整体不达标")
    n = create_nomination_for("unit2")
    assert "区域整体不达标" in blocked(n, "recommend", tree.users["unit2"], **recommendation())
    elsewhere = create_nomination_for("unit3")
    fire(elsewhere, "recommend", tree.users["unit3"], data=recommendation())
    assert elsewhere.state == "committee_review"


def test_barring_needs_an_administrator_and_a_reason(session, tree):
    with pytest.raises(PermissionDenied):
        bar_unit(session, actor=tree.users["federation"], unit=tree.unit1, year=2026, reason="x")
    with pytest.raises(InvalidData):
        bar_unit(session, actor=SYSTEM, unit=tree.unit1, year=2026, reason="  ")


def test_already_holding_the_award_needs_new_achievements(
    clock, session, tree, create_nomination_for
):
    first = create_nomination_for("unit1")
    walk_to_notice(first, tree)
    apply_due_timers(session, first.timer_due_at)
    clock(DECIDED_AT)  # the decision follows the notice
    fire(first, "approve", tree.users["approver"], data=DECISION)
    assert first.state == "approved"
    again = create_nomination_for("unit1")  # the same person: the same ID number
    reasons = blocked(again, "recommend", tree.users["unit1"], **recommendation())
    assert "已于2026年获得首都劳动奖章" in reasons
    # Someone else is not held back, and new achievements let the same person through.
    fire(
        again,
        "recommend",
        tree.users["unit1"],
        data=recommendation(
            new_achievements="2026年以来主持完成管网智能化改造,年节约标准煤1200吨。"
        ),
    )
    assert again.state == "committee_review"


def test_a_revoked_honour_does_not_count(clock, session, tree, create_nomination_for):
    first = create_nomination_for("unit1")
    walk_to_notice(first, tree)
    apply_due_timers(session, first.timer_due_at)
    clock(DECIDED_AT)  # the decision follows the notice
    fire(first, "approve", tree.users["approver"], data=DECISION)
    revoked = honour_of(session, first)
    revoked.status, revoked.revoked_on = "revoked", revoked.decision_date
    session.flush()
    again = create_nomination_for("unit1")
    fire(again, "recommend", tree.users["unit1"], data=recommendation())
    assert again.state == "committee_review"


def test_a_unit_recommends_within_its_allocation(session, tree, create_nomination_for):
    set_quota(
        session,
        actor=SYSTEM,
        campaign=tree.campaign,
        committee=tree.unit1,
        kind="individual",
        places=1,
    )
    user = tree.users["unit1"]
    first = create_nomination_for("unit1")
    fire(first, "recommend", user, data=recommendation())
    second = create_nomination_for("unit1", data=person_data(name="王芳"))
    assert "推荐名额(1)已用完" in blocked(second, "recommend", user, **recommendation())
    # A returned nomination keeps its place; a withdrawn one gives it back.
    fire(first, "return_to_unit", tree.users["committee1"], data={"reason": "补充材料"})
    assert "已用完" in blocked(second, "recommend", user, **recommendation())
    fire(first, "withdraw", user, data={"reason": "本人申请撤回"})
    fire(second, "recommend", user, data=recommendation())
    assert second.state == "committee_review"
    # Another unit's allocation is its own.
    third = create_nomination_for("unit2")
    fire(third, "recommend", tree.users["unit2"], data=recommendation())


def test_the_pool_lets_more_candidates_than_places(session, tree, create_nomination_for):
    tree.campaign.pool_percent = 150  # a quota of 2 may forward 3 (差额)
    committee = tree.users["committee1"]
    forwarded = []
    for i, name in enumerate(("甲", "乙", "丙", "丁")):
        n = create_nomination_for("unit1" if i % 2 else "unit2", data=person_data(name=name))
        fire(n, "recommend", tree.users["unit1" if i % 2 else "unit2"], data=recommendation())
        forwarded.append(n)
    for n in forwarded[:3]:
        fire(n, "forward", committee, data={"comment": "同意"})
    assert "名额(3)已用完" in blocked(forwarded[3], "forward", committee, comment="同意")


def test_leaders_are_forwarded_within_the_control_number(session, tree, create_nomination_for):
    tree.campaign.leader_share_max = 50  # half of the committee's two places: one leader
    committee = tree.users["committee1"]
    heads = []
    for name in ("赵总", "钱总"):
        n = create_nomination_for("unit1", data=person_data(name=name, category="enterprise_head"))
        fire(n, "recommend", tree.users["unit1"], data=recommendation())
        heads.append(n)
    worker = create_nomination_for("unit2", data=person_data(name="孙师傅"))
    fire(worker, "recommend", tree.users["unit2"], data=recommendation())
    fire(heads[0], "forward", committee, data={"comment": "同意"})
    assert "控制数(1名)已用完" in blocked(heads[1], "forward", committee, comment="同意")
    fire(worker, "forward", committee, data={"comment": "同意"})  # not a leader: no cap
    assert worker.state == "federation_review"


def test_quotas_are_for_committees_and_units(session, tree):
    with pytest.raises(InvalidData):
        set_quota(
            session,
            actor=SYSTEM,
            campaign=tree.campaign,
            committee=tree.federation,
            kind="individual",
            places=3,
        )
