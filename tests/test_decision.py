"""The final decision (表彰决定): dated after its notice closed and never in the future."""

from __future__ import annotations

import pytest

from nomination.actors import SYSTEM
from nomination.administration.campaigns import set_quota
from nomination.engine import apply_due_timers, fire
from nomination.errors import InvalidData
from nomination.models import Nomination

from factories import DECIDED_AT, DECIDED_ON
from test_api_support import Api
from test_web_support import field_block, login, walk_to_notice

pytest_plugins = ["test_web_support"]

#: The notice of a nomination selected at NOW closes on Tuesday 24 November, 17:00 Beijing;
#: DECIDED_AT is Friday 27 November.
REFUSED = {
    "2026-11-07": "公示结束(2026-11-24)之后",  # before the notice even opened
    "2026-11-24": "公示结束(2026-11-24)之后",  # its last day: the notice still ran
    "2026-11-28": "不能晚于今天",  # after the day it is recorded
}


def to_final_approval(session, tree, create_nomination_for, clock):
    n = create_nomination_for()
    walk_to_notice(n, tree)
    apply_due_timers(session, n.timer_due_at)
    assert n.state == "final_approval"
    session.commit()  # to the test's savepoint: a refused decision rolls back to here
    clock(DECIDED_AT)
    return n


@pytest.mark.parametrize("day", sorted(REFUSED))
def test_a_decision_is_dated_after_the_notice_and_not_in_the_future(
    session, tree, create_nomination_for, clock, day
):
    n = to_final_approval(session, tree, create_nomination_for, clock)
    with pytest.raises(InvalidData) as refused:
        fire(
            n,
            "approve",
            tree.users["approver"],
            data={"decision_number": "京工发〔2026〕1号", "decision_date": day},
        )
    assert REFUSED[day] in refused.value.fields["decision_date"][0]
    session.rollback()
    assert session.get(Nomination, n.id).state == "final_approval"


@pytest.mark.parametrize("day", ["2026-11-25", DECIDED_ON])
def test_a_decision_after_the_notice_is_recorded(session, tree, create_nomination_for, clock, day):
    n = to_final_approval(session, tree, create_nomination_for, clock)
    fire(
        n,
        "approve",
        tree.users["approver"],
        data={"decision_number": "京工发〔2026〕1号", "decision_date": day},
    )
    assert n.state == "approved" and n.decision_date.isoformat() == day


def test_the_api_names_the_field_and_the_page_shows_it_beside_the_field(
    session, tree, create_nomination_for, clock, client, web_client
):
    n = to_final_approval(session, tree, create_nomination_for, clock)
    api = Api(client, session, tree)
    body = api.get(f"/nominations/{n.id}", "approver").json
    refused = api.post(
        f"/nominations/{n.id}/transitions",
        "approver",
        json={
            "trigger": "approve",
            "version": body["version"],
            "decision_number": "京工发〔2026〕1号",
            "decision_date": "2026-11-20",
        },
    )
    assert refused.status_code == 422
    assert list(refused.json["error"]["fields"]) == ["decision_date"]

    login(web_client, "approver")
    page = web_client.post(
        f"/nominations/{n.id}/transitions/approve",
        data={
            "version": str(n.version),
            "decision_number": "京工发〔2026〕1号",
            "decision_date": "2026-11-20",
            "comment": "同意",
        },
    )
    assert page.status_code == 422
    form = page.text[page.text.index('data-trigger="approve"') :]
    block = field_block(form, "decision_date")
    assert "is-invalid" in block and "公示结束(2026-11-24)之后" in block
    assert 'value="京工发〔2026〕1号"' in field_block(form, "decision_number")
    session.expire_all()
    assert session.get(Nomination, n.id).state == "final_approval"


# --- approving in bulk -----------------------------------------------------------------------


def three_awaiting_decision(session, tree, create_nomination_for, clock):
    """Two nominations whose notice closed on 11-24, and one whose notice closed on 11-26."""
    set_quota(
        session,
        actor=SYSTEM,
        campaign=tree.campaign,
        committee=tree.committee1,
        kind="individual",
        places=3,
    )
    early = [create_nomination_for(), create_nomination_for()]
    for n in early:
        walk_to_notice(n, tree)
    clock(DECIDED_AT.replace(day=20))  # Friday: its five working days end Thursday 26th
    late = create_nomination_for()
    walk_to_notice(late, tree)
    for n in (*early, late):
        apply_due_timers(session, n.timer_due_at)
        assert n.state == "final_approval"
    session.commit()
    clock(DECIDED_AT)
    return early, late


def test_the_approver_approves_in_bulk_with_one_decision(
    session, tree, create_nomination_for, clock, web_client
):
    early, late = three_awaiting_decision(session, tree, create_nomination_for, clock)
    login(web_client, "approver")
    landing = web_client.get("/").text
    assert 'id="bulk-decision"' in landing and '<option value="approve"' in landing
    ticks = [f"{n.id}:{n.version}" for n in (*early, late)]
    form = {"trigger": "approve", "items": ticks, "text": "同意授予。"}

    # The decision's number and date are asked beside their fields; the ticks are kept.
    missing = web_client.post("/nominations/bulk-transitions", data=form)
    assert missing.status_code == 422
    assert 'id="bulk-decision_number-errors"' in missing.text
    assert 'id="bulk-decision_date-errors"' in missing.text
    assert missing.text.count("checked") >= 3
    future = web_client.post(
        "/nominations/bulk-transitions",
        data={**form, "decision_number": "京工发〔2026〕20号", "decision_date": "2026-11-28"},
    )
    assert future.status_code == 422 and "日期不能晚于今天" in future.text

    done = web_client.post(
        "/nominations/bulk-transitions",
        data={**form, "decision_number": "京工发〔2026〕20号", "decision_date": "2026-11-25"},
    )
    assert done.status_code == 200
    assert "<span data-done>2</span>" in done.text
    assert f'data-result="{late.id}" data-status="refused"' in done.text
    assert "公示结束(2026-11-26)之后" in done.text
    session.expire_all()
    for n in early:
        approved = session.get(Nomination, n.id)
        assert approved.state == "approved"
        assert approved.decision_number == "京工发〔2026〕20号"
        assert approved.decision_date.isoformat() == "2026-11-25"
        assert approved.evidence["opinions"][-1]["text"] == "同意授予。"
        assert [e.action for e in audit_of(session, approved)][-1] == "transition.approve"
    assert session.get(Nomination, late.id).state == "final_approval"


def test_the_api_approves_in_bulk_and_names_the_refused_field(
    session, tree, create_nomination_for, clock, client
):
    early, late = three_awaiting_decision(session, tree, create_nomination_for, clock)
    api = Api(client, session, tree)
    response = api.post(
        "/nominations/bulk-transitions",
        "approver",
        json={
            "trigger": "approve",
            "items": [{"id": n.id, "version": n.version} for n in (*early, late)],
            "data": {"decision_number": "京工发〔2026〕21号", "decision_date": "2026-11-25"},
        },
    )
    assert response.status_code == 200, response.json
    by_id = {r["id"]: r for r in response.json["items"]}
    assert [by_id[n.id]["status"] for n in early] == ["done", "done"]
    assert by_id[late.id]["status"] == "refused"
    assert list(by_id[late.id]["error"]["fields"]) == ["decision_date"]


def audit_of(session, nomination):
    from sqlalchemy import select

    from nomination.models import AuditEvent

    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "nomination", AuditEvent.entity_id == str(nomination.id))
        .order_by(AuditEvent.seq)
    ).all()
