"""The whole path of a nomination through the engine, as each role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from nomination.audit.chain import verify_chain
from nomination.engine import apply_due_timers, available, fire
from nomination.errors import Conflict, GuardBlocked, InvalidData, PermissionDenied
from nomination.models import HonourRecord

from factories import DECIDED_AT, NOW, recommendation


def walk_to_notice(n, tree, now=NOW):
    u = tree.users
    fire(n, "recommend", u["unit1"], data=recommendation(), now=now)
    fire(n, "forward", u["committee1"], data={"comment": "同意"}, now=now)
    fire(n, "accept", u["federation"], data={"comment": "符合条件"}, now=now)
    fire(n, "consultation_clear", u["federation"], data={"comment": "各部门无异议"}, now=now)
    fire(n, "select", u["federation"], data={"comment": "评审通过"}, now=now)


def test_full_path_to_approved(clock, session, tree, create_nomination_for):
    n = create_nomination_for()
    assert n.state == "draft"
    walk_to_notice(n, tree)
    assert n.state == "public_notice"
    assert n.timer_trigger == "close_notice"
    # Opened Wednesday 18 Nov 10:00 → five working days close Tuesday 24 Nov 17:00 Beijing.
    assert n.timer_due_at.isoformat() == "2026-11-24T09:00:00+00:00"
    assert apply_due_timers(session, n.timer_due_at - timedelta(seconds=1)) == []
    assert apply_due_timers(session, n.timer_due_at) == [n]
    assert n.state == "final_approval"
    clock(DECIDED_AT)  # the decision follows the notice
    fire(
        n,
        "approve",
        tree.users["approver"],
        data={"decision_number": "京工发〔2026〕12号", "decision_date": "2026-11-27"},
        now=DECIDED_AT,
    )
    assert n.state == "approved"
    record = session.scalar(select(HonourRecord).where(HonourRecord.nomination_id == n.id))
    assert record.holder_name == "张建国"
    assert record.decision_number == "京工发〔2026〕12号"
    assert verify_chain(session).ok


def test_wrong_role_is_refused(session, tree, create_nomination_for):
    n = create_nomination_for()
    with pytest.raises(PermissionDenied):
        fire(n, "recommend", tree.users["unit2"], data=recommendation(), now=NOW)
    with pytest.raises(PermissionDenied):
        fire(n, "recommend", tree.users["committee1"], data=recommendation(), now=NOW)


def test_stale_version_conflicts(session, tree, create_nomination_for):
    n = create_nomination_for()
    with pytest.raises(Conflict):
        fire(
            n,
            "recommend",
            tree.users["unit1"],
            version=n.version + 1,
            data=recommendation(),
            now=NOW,
        )
    assert n.state == "draft"


def test_form_and_guards(session, tree, create_nomination_for):
    n = create_nomination_for()
    with pytest.raises(InvalidData) as err:
        fire(n, "recommend", tree.users["unit1"], data=recommendation(votes_for=None), now=NOW)
    assert "votes_for" in err.value.fields
    with pytest.raises(GuardBlocked) as blocked:
        fire(n, "recommend", tree.users["unit1"], data=recommendation(votes_for=50), now=NOW)
    assert "50" in blocked.value.message
    with pytest.raises(GuardBlocked):
        fire(
            n,
            "recommend",
            tree.users["unit1"],
            data=recommendation(notice_end="2026-11-06"),
            now=NOW,
        )


def test_available_lists_only_own_transitions(session, tree, create_nomination_for):
    n = create_nomination_for()
    triggers = {a.transition.trigger for a in available(n, tree.users["unit1"], now=NOW)}
    assert triggers == {"recommend", "withdraw"}
    assert available(n, tree.users["committee1"], now=NOW) == []
