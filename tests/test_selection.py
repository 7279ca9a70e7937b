"""Selection rounds (评审委员会): recusals, sealed votes, the rule, places, ties, pages and API."""

from __future__ import annotations

import json
import re
import threading
import time

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select
from threads import CommittedFederation, in_threads

from nomination import db, signals
from nomination.accounts import create_api_token
from nomination.actors import SYSTEM
from nomination.administration.campaigns import set_quota
from nomination.api.openapi import document
from nomination.engine import fire
from nomination.errors import Conflict, GuardBlocked, InvalidData, PermissionDenied
from nomination.models import (
    AuditEvent,
    Nomination,
    SelectionEntry,
    SelectionRecusal,
    SelectionRound,
    SelectionVote,
    User,
)
from nomination.nominations.operations import create_nomination
from nomination.selection.operations import (
    cast_vote,
    close_round,
    decide_tie,
    default_places,
    my_votes,
    needed_votes,
    open_round,
    passes,
    recuse,
    shortlist,
    voted_counts,
)

from factories import NOW, attach_required_files, person_data, recommendation
from test_api_support import Api
from test_web_support import login

pytest_plugins = ["test_web_support"]

#: Who reviews for each unit's working committee in the tree.
REVIEWERS = {"unit1": "committee1", "unit2": "committee1", "unit3": "committee2"}
VOTE_WORDS = ('"yes"', '"no"', '"abstain"')


def to_selection(session, tree, unit_user="unit3", name="张建国", kind="individual"):
    """Create a nomination of ``unit_user``'s unit and walk it to state ``selection``."""
    user = tree.users[unit_user]
    n = create_nomination(
        session,
        actor=user,
        campaign=tree.campaign,
        kind=kind,
        unit=user.roles[0].organisation,
        data=person_data(name=name),
    )
    attach_required_files(n, user)
    fire(n, "recommend", user, data=recommendation(), now=NOW)
    fire(n, "forward", tree.users[REVIEWERS[unit_user]], data={"comment": "同意"}, now=NOW)
    fire(n, "accept", tree.users["federation"], data={"comment": "符合条件"}, now=NOW)
    fire(n, "consultation_clear", tree.users["federation"], data={"comment": "无异议"}, now=NOW)
    assert n.state == "selection"
    return n


@pytest.fixture
def judges(session, tree, create_user):
    """Judges over the federation: A works in unit1, B at the second working committee, C at
    the federation itself; P1…P5 (no workplace) vote in the counting tests."""
    people = {}
    for name, workplace in [
        ("A", tree.unit1),
        ("B", tree.committee2),
        ("C", tree.federation),
        ("P1", None),
        ("P2", None),
        ("P3", None),
        ("P4", None),
        ("P5", None),
    ]:
        user = create_user(f"judge-{name}", [("judge", tree.federation)])
        user.workplace = workplace
        people[name] = user
    session.flush()
    return people


def events(session, round_, action=None):
    """Return the audit events of ``round_`` (optionally of one action), oldest first."""
    query = select(AuditEvent).where(
        AuditEvent.entity_type == "selection_round", AuditEvent.entity_id == str(round_.id)
    )
    if action:
        query = query.where(AuditEvent.action == action)
    return list(session.scalars(query.order_by(AuditEvent.seq)))


def transitions(session, nomination):
    """Return the triggers fired on ``nomination``, in order."""
    return [
        e.action.removeprefix("transition.")
        for e in session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.entity_type == "nomination",
                AuditEvent.entity_id == str(nomination.id),
                AuditEvent.action.like("transition.%"),
            )
            .order_by(AuditEvent.seq)
        )
    ]


def open_with(session, tree, nominations, panel, places, chair=None):
    return open_round(
        session,
        tree.campaign,
        "individual",
        tree.users["federation"],
        judge_ids=[j.id for j in panel],
        chair_id=(chair or panel[0]).id,
        places=places,
        nomination_ids=[n.id for n in nominations],
        now=NOW,
    )


def vote_all(session, round_, panel, nomination, pattern):
    """Cast ``pattern`` ("yyna": yes, yes, no, abstain; "-" skips) by the judges in order."""
    words = {"y": "yes", "n": "no", "a": "abstain"}
    for judge, code in zip(panel, pattern, strict=False):
        if code != "-":
            cast_vote(session, round_, judge, nomination_id=nomination.id, vote=words[code])


def row_of(round_, nomination):
    return next(r for r in round_.tally["entries"] if r["nomination_id"] == nomination.id)


# --- the rule --------------------------------------------------------------------------------


@pytest.mark.parametrize("rule", ["1/2", "2/3"])
def test_needed_votes_is_the_least_count_that_passes(rule):
    for present in range(1, 16):
        needed = needed_votes(rule, present)
        assert passes(rule, needed, present)
        assert not passes(rule, needed - 1, present)
    assert not passes(rule, 0, 0)


@pytest.mark.parametrize(
    ("pattern", "half", "two_thirds"),
    [
        ("yyn", True, True),  # 2 of 3 present: more than half, and two thirds
        ("yna", False, False),  # 1 yes, 1 no, 1 abstain: neither
        ("yyyna", True, False),  # 3 of 5: more than half, short of two thirds (needs 4)
        ("yya", True, True),  # an abstention counts as present: 2 of 3
        ("yynn", False, False),  # 2 of 4 is not more than half
        ("yyyyn", True, True),  # 4 of 5
        ("", False, False),  # nobody present
    ],
)
@pytest.mark.parametrize("rule", ["1/2", "2/3"])
def test_the_rule_decides_with_members_present(
    session, tree, judges, rule, pattern, half, two_thirds
):
    tree.campaign.selection_rule = rule
    n = to_selection(session, tree)
    panel = [judges[f"P{i}"] for i in range(1, 6)]
    round_ = open_with(session, tree, [n], panel, places=1)
    vote_all(session, round_, panel, n, pattern)
    close_round(session, round_, tree.users["federation"], now=NOW)

    expected = half if rule == "1/2" else two_thirds
    row = row_of(round_, n)
    assert row["present"] == len(pattern)
    assert row["yes"] == pattern.count("y")
    assert row["passed"] is expected
    assert row["result"] == ("selected" if expected else "not_selected")
    assert n.state == ("public_notice" if expected else "rejected")


def test_rule_is_copied_when_the_round_opens(session, tree, judges):
    tree.campaign.selection_rule = "2/3"
    n = to_selection(session, tree)
    panel = [judges[f"P{i}"] for i in range(1, 6)]
    round_ = open_with(session, tree, [n], panel, places=1)
    tree.campaign.selection_rule = "1/2"
    session.flush()
    vote_all(session, round_, panel, n, "yyynn")
    close_round(session, round_, tree.users["federation"], now=NOW)
    # 3 of 5 present: more than half, but not two thirds, which the round was opened under.
    assert round_.rule == "2/3" and round_.tally["rule"] == "2/3"
    assert row_of(round_, n)["needed"] == 4
    assert row_of(round_, n)["passed"] is False
    assert n.state == "rejected"


# --- opening and recusals --------------------------------------------------------------------


def test_open_round_takes_the_shortlist_and_recuses_by_unit_and_committee(session, tree, judges):
    set_quota(
        session, actor=SYSTEM, campaign=tree.campaign, committee=tree.committee1,
        kind="individual", places=3,
    )  # fmt: skip
    n1 = to_selection(session, tree, "unit1", "甲")
    n2 = to_selection(session, tree, "unit2", "乙")
    n3 = to_selection(session, tree, "unit3", "丙")
    draft = create_nomination(
        session,
        actor=tree.users["unit3"],
        campaign=tree.campaign,
        kind="individual",
        unit=tree.unit3,
        data=person_data(name="丁"),
    )
    assert {n.id for n in shortlist(session, tree.campaign, "individual")} == {n1.id, n2.id, n3.id}
    # The committees' quotas for the kind: committee1's 3 (committee2 has none).
    assert default_places(session, tree.campaign, "individual", 3) == 3

    received = []

    def opened_signal(sender, **kw):
        received.append((sender, kw))

    panel = [judges["A"], judges["B"], judges["C"]]
    with signals.selection_round_opened.connected_to(opened_signal):
        round_ = open_round(
            session,
            tree.campaign,
            "individual",
            tree.users["federation"],
            judge_ids=[j.id for j in panel],
            chair_id=judges["C"].id,
            now=NOW,
        )
    assert round_.status == "open" and round_.number == 1 and round_.places == 3
    assert [e.nomination_id for e in round_.entries] == [n1.id, n2.id, n3.id]
    assert draft.id not in [e.nomination_id for e in round_.entries]
    assert received and received[-1][0] is round_
    assert received[-1][1]["actor"] is tree.users["federation"]

    recusals = {
        (r.judge_id, r.nomination_id): r
        for r in session.scalars(
            select(SelectionRecusal).where(SelectionRecusal.round_id == round_.id)
        )
    }
    # A works in unit1: its own unit's nomination, and unit2's in the same working committee.
    assert "单位一" in recusals[(judges["A"].id, n1.id)].reason
    assert "第一工委" in recusals[(judges["A"].id, n2.id)].reason
    # B works at the second working committee: unit3's nomination.
    assert "第二工委" in recusals[(judges["B"].id, n3.id)].reason
    assert all(r.automatic for r in recusals.values())
    assert set(recusals) == {
        (judges["A"].id, n1.id),
        (judges["A"].id, n2.id),
        (judges["B"].id, n3.id),
    }
    opened = events(session, round_, "selection_round.open")
    assert len(opened) == 1
    assert opened[0].after["nominations"] == [n1.id, n2.id, n3.id]
    assert len(opened[0].after["recusals"]) == 3

    # A recused judge may not vote on that nomination.
    with pytest.raises(PermissionDenied):
        cast_vote(session, round_, judges["A"], nomination_id=n1.id, vote="yes")
    assert voted_counts(session, round_) == {}

    # The shortlist no longer offers what the open round holds; a second round cannot take it.
    assert shortlist(session, tree.campaign, "individual") == []
    with pytest.raises(InvalidData) as err:
        open_with(session, tree, [n3], [judges["C"]], places=1)
    assert "nomination_ids" in err.value.fields


def test_open_round_checks_who_and_what(session, tree, judges):
    n = to_selection(session, tree)
    panel = [judges["P1"], judges["P2"]]
    with pytest.raises(PermissionDenied):
        open_round(
            session, tree.campaign, "individual", tree.users["committee2"],
            judge_ids=[j.id for j in panel], chair_id=panel[0].id,
        )  # fmt: skip
    with pytest.raises(InvalidData) as err:
        open_round(
            session, tree.campaign, "individual", tree.users["federation"],
            judge_ids=[judges["P1"].id, tree.users["unit1"].id], chair_id=judges["P2"].id,
            places=-1, nomination_ids=[n.id, 999999],
        )  # fmt: skip
    assert set(err.value.fields) == {"judge_ids", "chair_id", "places", "nomination_ids"}
    with pytest.raises(InvalidData) as err:
        open_round(
            session, tree.campaign, "individual", tree.users["federation"],
            judge_ids=[], chair_id=None, nomination_ids=[],
        )  # fmt: skip
    assert set(err.value.fields) == {"judge_ids", "chair_id", "nomination_ids"}
    assert (
        session.scalar(
            select(func.count(SelectionRound.id)).where(
                SelectionRound.campaign_id == tree.campaign.id
            )
        )
        == 0
    )


def test_manual_recusal_withdraws_the_vote_and_is_audited(session, tree, judges):
    n = to_selection(session, tree, "unit3")
    panel = [judges["C"], judges["P1"]]
    round_ = open_with(session, tree, [n], panel, places=1)
    cast_vote(session, round_, judges["C"], nomination_id=n.id, vote="yes")

    with pytest.raises(InvalidData) as err:
        recuse(session, round_, judges["C"], nomination_id=n.id, reason=" ")
    assert "reason" in err.value.fields
    recuse(session, round_, judges["C"], nomination_id=n.id, reason="与被推荐人系亲属关系")
    assert my_votes(session, round_, judges["C"]) == {}
    with pytest.raises(PermissionDenied):
        cast_vote(session, round_, judges["C"], nomination_id=n.id, vote="no")
    with pytest.raises(Conflict):
        recuse(session, round_, judges["C"], nomination_id=n.id, reason="再次申请")
    [event] = events(session, round_, "selection_round.recuse")
    assert event.comment == "与被推荐人系亲属关系"
    assert event.after == {
        "nomination": n.id,
        "judge": judges["C"].id,
        "automatic": False,
        "vote_withdrawn": True,
    }
    # Not a member: nothing to stand aside from.
    with pytest.raises(PermissionDenied):
        recuse(session, round_, judges["P2"], nomination_id=n.id, reason="无关")

    cast_vote(session, round_, judges["P1"], nomination_id=n.id, vote="yes")
    close_round(session, round_, tree.users["federation"], now=NOW)
    row = row_of(round_, n)
    assert (row["yes"], row["present"]) == (1, 1)  # C's withdrawn vote does not count
    assert row["recused"] == [
        {"judge_id": judges["C"].id, "automatic": False, "reason": "与被推荐人系亲属关系"}
    ]


# --- sealing ---------------------------------------------------------------------------------


def test_a_judge_changes_their_vote_and_the_trail_never_holds_its_value(session, tree, judges):
    n = to_selection(session, tree)
    panel = [judges["P1"], judges["P2"], judges["P3"]]
    round_ = open_with(session, tree, [n], panel, places=1)
    cast_vote(session, round_, judges["P1"], nomination_id=n.id, vote="yes")
    cast_vote(session, round_, judges["P1"], nomination_id=n.id, vote="no")
    cast_vote(session, round_, judges["P1"], nomination_id=n.id, vote="no")  # unchanged
    cast_vote(session, round_, judges["P2"], nomination_id=n.id, vote="abstain")
    assert my_votes(session, round_, judges["P1"]) == {n.id: "no"}
    assert my_votes(session, round_, judges["P3"]) == {}
    assert voted_counts(session, round_) == {judges["P1"].id: 1, judges["P2"].id: 1}
    count = select(func.count(SelectionVote.id)).where(SelectionVote.round_id == round_.id)
    assert session.scalar(count) == 2

    votes = events(session, round_, "selection_round.vote")
    assert [e.after["changed"] for e in votes] == [False, True, False]
    for e in events(session, round_):
        text = json.dumps(e.after, ensure_ascii=False) + e.payload + (e.comment or "")
        assert not any(word in text for word in VOTE_WORDS), e.action

    close_round(session, round_, tree.users["federation"], now=NOW)
    [closed] = events(session, round_, "selection_round.close")
    assert closed.after["ballots"] == {
        str(n.id): {str(judges["P1"].id): "no", str(judges["P2"].id): "abstain"}
    }
    row = row_of(round_, n)
    assert (row["yes"], row["no"], row["abstain"], row["present"]) == (0, 1, 1, 2)
    # The tally kept on the round (shown to everyone who sees it) has counts, never ballots.
    assert "ballots" not in round_.tally
    shown = {v for r in round_.tally["entries"] for v in r.values() if isinstance(v, str)}
    assert not shown & {"yes", "no", "abstain"}


def test_a_vote_after_the_close_is_refused(session, tree, judges):
    n = to_selection(session, tree)
    panel = [judges["P1"], judges["P2"]]
    round_ = open_with(session, tree, [n], panel, places=1)
    vote_all(session, round_, panel, n, "yy")
    close_round(session, round_, tree.users["federation"], now=NOW)
    with pytest.raises(Conflict):
        cast_vote(session, round_, judges["P1"], nomination_id=n.id, vote="no")
    with pytest.raises(Conflict):
        close_round(session, round_, tree.users["federation"], now=NOW)
    with pytest.raises(PermissionDenied):  # only the federation closes
        close_round(session, round_, judges["P1"], now=NOW)


# --- results ---------------------------------------------------------------------------------


def test_places_select_the_best_and_reserves_follow_in_rank_order(session, tree, judges):
    a = to_selection(session, tree, name="甲")  # 3 yes
    b = to_selection(session, tree, name="乙")  # 4 yes
    c = to_selection(session, tree, name="丙")  # 5 yes
    d = to_selection(session, tree, name="丁")  # 2 yes: fails
    panel = [judges[f"P{i}"] for i in range(1, 6)]
    round_ = open_with(session, tree, [a, b, c, d], panel, places=1)
    vote_all(session, round_, panel, a, "yyynn")
    vote_all(session, round_, panel, b, "yyyyn")
    vote_all(session, round_, panel, c, "yyyyy")
    vote_all(session, round_, panel, d, "yynnn")
    received = []

    def closed_signal(sender, **kw):
        received.append((sender, kw["actor"]))

    with signals.selection_round_closed.connected_to(closed_signal):
        close_round(session, round_, tree.users["federation"], now=NOW)

    assert round_.status == "closed" and received == [(round_, tree.users["federation"])]
    assert (c.state, b.state, a.state, d.state) == (
        "public_notice",
        "reserve",
        "reserve",
        "rejected",
    )
    assert [row_of(round_, x)["reserve_rank"] for x in (b, a)] == [1, 2]
    # The better ranked reserve entered reserve first, so it is the first to move up.
    assert b.state_entered_at < a.state_entered_at
    results = {e.nomination_id: e.result for e in round_.entries}
    assert results == {c.id: "selected", b.id: "reserve", a.id: "reserve", d.id: "not_selected"}
    assert [r["nomination_id"] for r in round_.tally["entries"]] == [c.id, b.id, a.id, d.id]

    select_event = session.scalar(
        select(AuditEvent).where(
            AuditEvent.entity_id == str(c.id), AuditEvent.action == "transition.select"
        )
    )
    assert select_event.actor_name == "system"
    assert select_event.comment == "评审委员会第1轮表决通过:赞成5票,反对0票,弃权0票"
    rejected = session.scalar(
        select(AuditEvent).where(
            AuditEvent.entity_id == str(d.id), AuditEvent.action == "transition.not_select"
        )
    )
    assert rejected.comment.startswith("未入选(评审委员会第1轮:赞成2票,反对3票,弃权0票")
    reserve = session.scalar(
        select(AuditEvent).where(
            AuditEvent.entity_id == str(a.id), AuditEvent.action == "transition.hold_in_reserve"
        )
    )
    assert "第2位递补人选" in reserve.comment and "赞成3票" in reserve.comment


def test_a_tie_at_the_last_place_awaits_the_chair(session, tree, judges):
    top = to_selection(session, tree, name="甲")  # 5 yes: selected
    tied1 = to_selection(session, tree, name="乙")  # 4 yes
    tied2 = to_selection(session, tree, name="丙")  # 4 yes
    below = to_selection(session, tree, name="丁")  # 3 yes: reserve after the chair decides
    failed = to_selection(session, tree, name="戊")  # 1 yes
    panel = [judges[f"P{i}"] for i in range(1, 6)]
    chair = judges["P3"]
    round_ = open_with(session, tree, [top, tied1, tied2, below, failed], panel, 2, chair=chair)
    vote_all(session, round_, panel, top, "yyyyy")
    vote_all(session, round_, panel, tied1, "yyyyn")
    vote_all(session, round_, panel, tied2, "yyyya")
    vote_all(session, round_, panel, below, "yyynn")
    vote_all(session, round_, panel, failed, "ynnnn")
    close_round(session, round_, tree.users["federation"], now=NOW)

    assert round_.status == "awaiting_chair"
    assert round_.tally["tie"] == {
        "yes": 4,
        "places_left": 1,
        "nomination_ids": [tied1.id, tied2.id],
    }
    assert (top.state, failed.state) == ("public_notice", "rejected")
    # Nothing is decided about the tied ones, nor about the reserve ranked below them.
    for n in (tied1, tied2, below):
        assert n.state == "selection"
        assert transitions(session, n)[-1] == "consultation_clear"
    results = {e.nomination_id: e.result for e in round_.entries}
    assert results[tied1.id] == results[tied2.id] == "tie" and results[below.id] is None
    with pytest.raises(GuardBlocked):
        fire(tied1, "select", tree.users["federation"], data={"comment": "评审通过"}, now=NOW)
    with pytest.raises(GuardBlocked):
        fire(below, "hold_in_reserve", tree.users["federation"], data={"comment": "递补"})

    with pytest.raises(PermissionDenied):  # a member who is not the chair
        decide_tie(session, round_, judges["P1"], nomination_ids=[tied2.id], now=NOW)
    with pytest.raises(PermissionDenied):  # nor the federation
        decide_tie(session, round_, tree.users["federation"], nomination_ids=[tied2.id])
    with pytest.raises(InvalidData) as err:
        decide_tie(session, round_, chair, nomination_ids=[tied1.id, tied2.id], now=NOW)
    assert "nomination_ids" in err.value.fields
    with pytest.raises(InvalidData):
        decide_tie(session, round_, chair, nomination_ids=[below.id], now=NOW)

    decide_tie(session, round_, chair, nomination_ids=[tied2.id], now=NOW)
    assert round_.status == "closed"
    assert (tied2.state, tied1.state, below.state) == ("public_notice", "reserve", "reserve")
    assert tied1.state_entered_at < below.state_entered_at
    assert [row_of(round_, x)["reserve_rank"] for x in (tied1, below)] == [1, 2]
    assert round_.tally["decision"]["selected"] == [tied2.id]
    assert round_.tally["decision"]["by"]["id"] == chair.id
    assert "主任委员决定" in session.scalar(
        select(AuditEvent.comment).where(
            AuditEvent.entity_id == str(tied2.id), AuditEvent.action == "transition.select"
        )
    )
    assert len(events(session, round_, "selection_round.decide")) == 1
    with pytest.raises(Conflict):
        decide_tie(session, round_, chair, nomination_ids=[tied1.id], now=NOW)


def test_nothing_decides_a_nomination_while_its_round_votes(session, tree, judges):
    n = to_selection(session, tree)
    round_ = open_with(session, tree, [n], [judges["P1"]], places=1)
    for trigger, data in [
        ("select", {"comment": "评审通过"}),
        ("not_select", {"reason": "票数不足"}),
        ("hold_in_reserve", {"comment": "递补"}),
    ]:
        with pytest.raises(GuardBlocked):
            fire(n, trigger, tree.users["federation"], data=data, now=NOW)
    assert n.state == "selection" and round_.status == "open"


# --- pages -----------------------------------------------------------------------------------


def test_the_pages_from_opening_to_the_printed_tally(
    session, tree, judges, web, web_client, new_web_client
):
    n1 = to_selection(session, tree, "unit3", "甲")
    n2 = to_selection(session, tree, "unit3", "乙")
    session.commit()
    fed = web_client
    login(fed, "federation")
    assert 'id="nav-selection"' in fed.get("/selection-rounds").text
    new_url = f"/selection-rounds/new?campaign_id={tree.campaign.id}&kind=individual"
    page = fed.get(new_url)
    assert page.status_code == 200
    assert page.text.count('name="nomination_ids"') == 2 and page.text.count("checked") == 2
    assert 'value="2"' in page.text  # committee1's quota of 2: the default places

    # No chair: the error is beside the field, and the judges ticked stay ticked.
    panel = [judges["B"], judges["P1"], judges["P2"]]
    form = {
        "nomination_ids": [str(n1.id), str(n2.id)],
        "judge_ids": [str(j.id) for j in panel],
        "chair_id": "",
        "places": "1",
    }
    refused = fed.post(new_url, data=form)
    assert refused.status_code == 422
    assert 'data-field="chair_id"' in refused.text and "invalid-feedback" in refused.text
    assert refused.text.count("checked") == 5
    opened = fed.post(new_url, data={**form, "chair_id": str(judges["P1"].id)})
    assert opened.status_code == 302
    round_ = session.scalar(
        select(SelectionRound).where(SelectionRound.campaign_id == tree.campaign.id)
    )
    url = f"/selection-rounds/{round_.id}"
    assert opened.headers["Location"].endswith(url)

    # B works at committee2: stands aside on both, shown to everyone who sees the round.
    p1, p2, b = new_web_client(), new_web_client(), new_web_client()
    login(p1, "judge-P1")
    login(p2, "judge-P2")
    login(b, "judge-B")
    assert 'id="nav-selection"' in p1.get("/").text
    page = b.get(url)
    assert page.text.count("data-recused-me") == 2 and 'name="vote-' not in page.text
    assert f'data-recusal-row="{n1.id}-{judges["B"].id}"' in page.text

    assert (
        p1.post(f"{url}/votes", data={f"vote-{n1.id}": "yes", f"vote-{n2.id}": "no"}).status_code
        == 302
    )
    mine = p1.get(url).text
    assert f'id="vote-{n1.id}-yes" value="yes" checked' in mine
    assert 'data-my-vote="yes"' in mine and 'data-my-vote="no"' in mine
    # P2 sees nothing of P1's votes: no radio is ticked, every own vote is empty.
    other = p2.get(url).text
    assert "checked" not in other
    assert 'data-my-vote="yes"' not in other and 'data-my-vote="no"' not in other
    # The federation sees how many each has cast, not how.
    follow = fed.get(url).text
    assert f'data-member="{judges["P1"].id}" data-votes-cast="2"' in follow
    assert f'data-member="{judges["P2"].id}" data-votes-cast="0"' in follow
    assert "data-my-vote" not in follow and 'name="vote-' not in follow

    # P2 stands aside on n2: an empty reason is refused beside the field, then recorded.
    empty = p2.post(f"{url}/recusals", data={"nomination_id": str(n2.id), "reason": ""})
    assert empty.status_code == 422 and 'id="recuse-reason-errors"' in empty.text
    assert (
        p2.post(
            f"{url}/recusals", data={"nomination_id": str(n2.id), "reason": "曾在该单位任职"}
        ).status_code
        == 302
    )
    assert "曾在该单位任职" in fed.get(url).text
    assert "曾在该单位任职" in p1.get(url).text
    assert p2.post(f"{url}/votes", data={f"vote-{n1.id}": "yes"}).status_code == 302

    assert p1.post(f"{url}/close", data={"version": round_.version}).status_code == 403
    assert fed.get(f"{url}/print").status_code == 409  # no tally while the vote is open
    # Closing asks first, saying what will happen; nothing closes without the confirmation.
    confirm = fed.get(f"{url}/close")
    assert confirm.status_code == 200
    assert f'data-preview-row="{n1.id}" data-result="selected"' in confirm.text
    assert f'data-preview-row="{n2.id}" data-result="not_selected"' in confirm.text
    assert 'id="close-outstanding"' not in confirm.text  # B stands aside; P1, P2 voted
    assert "不能撤销" in confirm.text and "data-yes" not in confirm.text  # counts stay sealed
    # The English page names the unit in English.
    n1.unit.name_en = "Unit One Works"
    session.commit()
    english = fed.get(f"{url}/close?lang=en").text
    assert "Unit One Works" in english.split(f'data-preview-row="{n1.id}"')[1].split("</tr>")[0]
    unconfirmed = fed.post(f"{url}/close", data={"version": round_.version})
    assert unconfirmed.status_code == 422 and "请勾选确认后再结束表决" in unconfirmed.text
    session.refresh(round_)
    assert round_.status == "open"
    closing = {"version": round_.version, "confirm": "y"}
    assert fed.post(f"{url}/close", data=closing).status_code == 302
    late = p1.post(f"{url}/votes", data={f"vote-{n1.id}": "no"})
    assert late.status_code == 409 and "本轮表决已结束" in late.text

    done = fed.get(url).text
    assert f'data-tally-row="{n1.id}" data-result="selected"' in done
    assert f'data-tally-row="{n2.id}" data-result="not_selected"' in done
    printed = fed.get(f"{url}/print")
    assert printed.status_code == 200
    assert "评审委员会第1轮表决结果" in printed.text and "甲" in printed.text
    assert '<td class="text-end" data-yes>2</td>' in printed.text  # n1: P1 and P2 for it
    pdf = fed.get(f"{url}/tally.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")

    # Units do not see the committee's rounds at all.
    unit = new_web_client()
    login(unit, "unit3")
    assert 'id="nav-selection"' not in unit.get("/").text
    assert unit.get(url).status_code == 404


def test_a_tie_is_decided_on_the_page_by_the_chair_only(session, tree, judges, web, new_web_client):
    x = to_selection(session, tree, name="甲")
    y = to_selection(session, tree, name="乙")
    panel = [judges["P1"], judges["P2"], judges["P3"]]
    round_ = open_with(session, tree, [x, y], panel, places=1, chair=judges["P2"])
    vote_all(session, round_, panel, x, "yyn")
    vote_all(session, round_, panel, y, "yyn")
    close_round(session, round_, tree.users["federation"], now=NOW)
    session.commit()
    url = f"/selection-rounds/{round_.id}"
    chair, other = new_web_client(), new_web_client()
    login(chair, "judge-P2")
    login(other, "judge-P1")
    assert (
        "data-tie" in other.get(url).text
        and 'action="' + url + '/decision"' not in other.get(url).text
    )
    assert (
        other.post(
            f"{url}/decision", data={"nomination_ids": [str(x.id)], "version": round_.version}
        ).status_code
        == 403
    )
    page = chair.get(url).text
    assert f'action="{url}/decision"' in page
    both = chair.post(
        f"{url}/decision",
        data={"nomination_ids": [str(x.id), str(y.id)], "version": round_.version},
    )
    assert both.status_code == 422 and "须选择1名" in both.text
    assert both.text.count("checked") == 2  # what the chair ticked is kept
    assert (
        chair.post(
            f"{url}/decision", data={"nomination_ids": [str(y.id)], "version": round_.version}
        ).status_code
        == 302
    )
    session.refresh(x)
    session.refresh(y)
    assert (y.state, x.state) == ("public_notice", "reserve")


# --- API -------------------------------------------------------------------------------------


def conforms(instance, schema):
    doc = document()
    errors = [
        e.message
        for e in Draft202012Validator({**schema, "components": doc["components"]}).iter_errors(
            instance
        )
    ]
    assert errors == [], errors


@pytest.fixture
def api(client, session, tree, judges):
    api = Api(client, session, tree)
    for name, user in judges.items():
        api.tokens[f"judge-{name}"] = create_api_token(session, user, name="tests", actor=user)
    session.commit()
    return api


def test_the_api_opens_votes_closes_and_never_shows_another_judges_vote(session, tree, judges, api):
    n1 = to_selection(session, tree, name="甲")
    n2 = to_selection(session, tree, name="乙")
    session.commit()
    doc = document()
    round_schema = doc["paths"]["/selection-rounds/{round_id}"]["get"]["responses"]["200"][
        "content"
    ]["application/json"]["schema"]
    body = {
        "campaign_id": tree.campaign.id,
        "kind": "individual",
        "judge_ids": [judges["P1"].id, judges["P2"].id, judges["P3"].id],
        "chair_id": judges["P1"].id,
        "places": 1,
    }
    bad = api.post("/selection-rounds", "federation", json={**body, "judge_ids": "P1", "extra": 1})
    assert bad.status_code == 422
    assert set(bad.json["error"]["fields"]) == {"judge_ids", "extra"}
    assert api.post("/selection-rounds", "judge-P1", json=body).status_code == 403
    created = api.post("/selection-rounds", "federation", json=body)
    assert created.status_code == 201, created.json
    conforms(created.json, round_schema)
    rid = created.json["id"]
    assert created.headers["Location"].endswith(f"/api/v1/selection-rounds/{rid}")
    assert [e["nomination_id"] for e in created.json["entries"]] == [n1.id, n2.id]
    assert created.json["entries"][0]["summary"] == person_data()["summary"]

    voted = api.post(
        f"/selection-rounds/{rid}/votes", "judge-P1", json={"nomination_id": n1.id, "vote": "yes"}
    )
    assert voted.status_code == 200
    assert voted.json["entries"][0]["my_vote"] == "yes"
    wrong = api.post(
        f"/selection-rounds/{rid}/votes", "judge-P2", json={"nomination_id": n1.id, "vote": "maybe"}
    )
    assert wrong.status_code == 422 and set(wrong.json["error"]["fields"]) == {"vote"}
    stray = api.post(
        f"/selection-rounds/{rid}/votes", "judge-P2", json={"nomination_id": 0, "vote": "no"}
    )
    assert stray.status_code == 422 and set(stray.json["error"]["fields"]) == {"nomination_id"}
    assert (
        api.post(
            f"/selection-rounds/{rid}/votes",
            "federation",
            json={"nomination_id": n1.id, "vote": "no"},
        ).status_code
        == 403
    )
    api.post(
        f"/selection-rounds/{rid}/votes", "judge-P2", json={"nomination_id": n1.id, "vote": "no"}
    )

    # P3 (nothing cast) and the federation: no vote value anywhere in what they get.
    for who in ("judge-P3", "federation", "approver", "auditor"):
        seen = api.get(f"/selection-rounds/{rid}", who)
        assert seen.status_code == 200, who
        conforms(seen.json, round_schema)
        assert not any(w in json.dumps(seen.json) for w in VOTE_WORDS), who
        listed = api.get("/selection-rounds", who).json["items"]
        assert [r["id"] for r in listed] == [rid]
        assert not any(w in json.dumps(listed) for w in VOTE_WORDS), who
    followed = api.get(f"/selection-rounds/{rid}", "federation").json
    assert [m["votes_cast"] for m in followed["members"]] == [1, 1, 0]
    assert "votes_cast" not in api.get(f"/selection-rounds/{rid}", "judge-P3").json["members"][0]
    mine = api.get("/selection-rounds", "judge-P2").json["items"][0]["entries"]
    assert [e["my_vote"] for e in mine] == ["no", None]
    # Outside the round: 404 alike for units, committees and a judge not sitting in it.
    for who in ("unit3", "committee2", "judge-P4"):
        assert api.get(f"/selection-rounds/{rid}", who).status_code == 404, who
        assert api.get("/selection-rounds", who).json["items"] == []

    recused = api.post(
        f"/selection-rounds/{rid}/recusals",
        "judge-P3",
        json={"nomination_id": n2.id, "reason": "本人回避"},
    )
    assert recused.status_code == 201
    assert recused.json["entries"][1]["recused"] is True
    assert recused.json["entries"][1]["recusals"][0]["reason"] == "本人回避"

    assert api.post(f"/selection-rounds/{rid}/close", "judge-P1").status_code == 403
    stale = api.post(f"/selection-rounds/{rid}/close", "federation", json={"version": 99})
    assert stale.status_code == 409
    closed = api.post(f"/selection-rounds/{rid}/close", "federation")
    assert closed.status_code == 200, closed.json
    conforms(closed.json, round_schema)
    assert closed.json["status"] == "closed"
    tally = {r["nomination_id"]: r for r in closed.json["tally"]["entries"]}
    # n1: 1 yes 1 no of 2 present fails "more than half"; n2: nobody voted.
    assert (tally[n1.id]["yes"], tally[n1.id]["no"], tally[n1.id]["result"]) == (
        1,
        1,
        "not_selected",
    )
    assert tally[n2.id]["present"] == 0 and tally[n2.id]["result"] == "not_selected"
    assert "ballots" not in closed.json["tally"]
    late = api.post(
        f"/selection-rounds/{rid}/votes", "judge-P1", json={"nomination_id": n1.id, "vote": "no"}
    )
    assert late.status_code == 409
    assert (
        api.post(
            f"/selection-rounds/{rid}/decision", "judge-P1", json={"nomination_ids": []}
        ).status_code
        == 409
    )
    rejected = api.get(f"/nominations/{n1.id}", "unit3").json
    assert rejected["state"]["name"] == "rejected"


# --- concurrency (committed data, each thread its own transaction) ---------------------------


def _commit_round(app, judges=3):
    """Commit for real a federation (unique codes), judges, a nomination in an open round."""
    with app.app_context():
        s = db.session
        f = CommittedFederation(s)
        users = f.users
        panel = [f.user(f"judge{i}", "judge", f.fed) for i in range(judges)]
        campaign = f.campaign("评审并发测试")
        n = create_nomination(
            s, actor=users["unit"], campaign=campaign, kind="individual", unit=f.unit,
            data=person_data(),
        )  # fmt: skip
        attach_required_files(n, users["unit"])
        fire(n, "recommend", users["unit"], data=recommendation(), now=NOW)
        fire(n, "forward", users["committee"], data={"comment": "同意"}, now=NOW)
        fire(n, "accept", users["federation"], data={"comment": "同意"}, now=NOW)
        fire(n, "consultation_clear", users["federation"], data={"comment": "无异议"}, now=NOW)
        s.flush()
        round_ = open_round(
            s, campaign, "individual", users["federation"],
            judge_ids=[j.id for j in panel], chair_id=panel[0].id, places=1, now=NOW,
        )  # fmt: skip
        s.commit()
        ids = {
            "round": round_.id,
            "nomination": n.id,
            "federation": users["federation"].id,
            "judges": [j.id for j in panel],
        }
        db.session.remove()
    return ids


def _voter(ids, judge, vote):
    def act(barrier):
        round_ = db.session.get(SelectionRound, ids["round"])
        user = db.session.get(User, judge)
        assert round_.status == "open" and user.roles
        db.session.commit()  # end the read, as the page the judge submits from did
        barrier.wait(timeout=30)
        cast_vote(db.session, round_, user, nomination_id=ids["nomination"], vote=vote)

    return act


def _votes(app, ids):
    with app.app_context():
        rows = db.session.execute(
            select(SelectionVote.judge_id, SelectionVote.vote).where(
                SelectionVote.round_id == ids["round"]
            )
        ).all()
        db.session.remove()
    return sorted(rows)


def test_two_judges_voting_at_once_are_both_kept(app):
    ids = _commit_round(app)
    j1, j2 = ids["judges"][:2]
    results = in_threads(app, _voter(ids, j1, "yes"), _voter(ids, j2, "no"))
    assert results == ["ok", "ok"], results
    assert _votes(app, ids) == sorted([(j1, "yes"), (j2, "no")])


def test_one_judge_voting_twice_at_once_keeps_one_vote(app):
    ids = _commit_round(app)
    j1 = ids["judges"][0]
    results = in_threads(app, _voter(ids, j1, "yes"), _voter(ids, j1, "no"))
    assert "ok" in results and set(results) <= {"ok", "conflict"}, results
    votes = _votes(app, ids)
    assert len(votes) == 1 and votes[0][0] == j1


def test_a_vote_waiting_for_the_close_is_refused(app):
    ids = _commit_round(app)
    locked = threading.Event()

    def closer(_barrier):
        round_ = db.session.get(SelectionRound, ids["round"])
        close_round(db.session, round_, db.session.get(User, ids["federation"]))
        locked.set()
        time.sleep(0.5)  # hold the round's lock while the judge tries to vote

    def judge(_barrier):
        assert locked.wait(timeout=30)
        round_ = db.session.get(SelectionRound, ids["round"])
        user = db.session.get(User, ids["judges"][1])
        cast_vote(db.session, round_, user, nomination_id=ids["nomination"], vote="yes")

    assert in_threads(app, closer, judge) == ["ok", "conflict"]
    assert _votes(app, ids) == []
    with app.app_context():
        entry = db.session.scalar(
            select(SelectionEntry).where(SelectionEntry.round_id == ids["round"])
        )
        assert entry.result == "not_selected"
        assert db.session.get(Nomination, ids["nomination"]).state == "rejected"
        db.session.remove()


def test_the_campaigns_selection_committee_comes_ticked(session, tree, judges, web, web_client):
    from nomination.administration.campaigns import set_judges

    to_selection(session, tree, "unit3", "甲")
    panel = [judges["P1"], judges["P2"], judges["P3"]]
    set_judges(tree.campaign, actor=tree.users["admin"], members=panel, chair=judges["P2"])
    session.commit()
    login(web_client, "federation")
    page = web_client.get(
        f"/selection-rounds/new?campaign_id={tree.campaign.id}&kind=individual"
    ).text
    ticked = set(re.findall(r'name="judge_ids"[^>]*value="(\d+)"[^>]*checked', page))
    ticked |= set(re.findall(r'checked[^>]*name="judge_ids"[^>]*value="(\d+)"', page))
    assert ticked == {str(j.id) for j in panel}
    assert re.search(
        rf'<option selected value="{judges["P2"].id}"|value="{judges["P2"].id}" selected', page
    )


# --- what a judge reads ----------------------------------------------------------------------

#: Who reads the nomination a judge may see, through which door: the page (with its history),
#: the printable form, the API's record and the API's list. Each cell names a judge of the
#: `judges` fixture, or "judge1" (a judge of the federation who sits in no round).
JUDGE_READS = {
    "P1": True,  # sits in the round
    "A": False,  # sits in it, but works in the nominee's unit (automatic recusal)
    "P2": False,  # sits in it and stood aside with a reason
    "P3": False,  # sits in another round only
    "judge1": False,  # sits in no round
}
DOORS = ("page", "print", "api", "api_list")


def read_through(door, client, api, user, nomination):
    """Return whether ``user`` reads ``nomination`` through ``door``."""
    if door == "page":
        return client.get(f"/nominations/{nomination.id}").status_code == 200
    if door == "print":
        return client.get(f"/nominations/{nomination.id}/form.pdf").status_code == 200
    if door == "api":
        return api.get(f"/nominations/{nomination.id}", user).status_code == 200
    listed = api.get("/nominations", user).json["items"]
    return nomination.id in {item["id"] for item in listed}


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("judge", sorted(JUDGE_READS))
def test_judges_read_only_what_they_judge(session, tree, judges, api, new_web_client, judge, door):
    api.tokens["judge1"] = create_api_token(
        session, tree.users["judge1"], name="tests", actor=tree.users["judge1"]
    )
    mine = to_selection(session, tree, "unit1", "甲")  # judge A works in unit1
    elsewhere = to_selection(session, tree, "unit2", "乙")
    panel = [judges["A"], judges["P1"], judges["P2"]]
    round_ = open_with(session, tree, [mine], panel, places=1, chair=judges["P1"])
    open_with(session, tree, [elsewhere], [judges["P3"]], places=1)
    recuse(session, round_, judges["P2"], nomination_id=mine.id, reason="曾在该单位任职")
    session.commit()
    client = new_web_client()
    username = judge if judge == "judge1" else f"judge-{judge}"
    login(client, username)
    api_user = "judge1" if judge == "judge1" else f"judge-{judge}"
    assert read_through(door, client, api, api_user, mine) is JUDGE_READS[judge]

    # Once the round has closed, the nomination has left them: nobody judges it any more.
    close_round(session, round_, tree.users["federation"], now=NOW)
    session.commit()
    assert read_through(door, client, api, api_user, mine) is False


def test_a_judge_lands_on_the_rounds_waiting_for_them(session, tree, judges, web, new_web_client):
    x = to_selection(session, tree, "unit1", "甲")  # judge A works in unit1: stands aside
    y = to_selection(session, tree, "unit3", "乙")
    panel = [judges["P1"], judges["A"], judges["P2"]]
    round_ = open_with(session, tree, [x, y], panel, places=1, chair=judges["P1"])
    cast_vote(session, round_, judges["P1"], nomination_id=x.id, vote="yes")
    session.commit()
    p1, a, p3 = new_web_client(), new_web_client(), new_web_client()
    login(p1, "judge-P1")
    login(a, "judge-A")
    login(p3, "judge-P3")
    landing = p1.get("/").text
    assert 'id="my-ballots"' in landing
    assert 'id="queue"' not in landing  # a judge has no review queue: the ballots are the work
    assert landing.index('id="my-ballots"') < landing.index('id="all"')
    assert f'data-ballot="{round_.id}"' in landing and 'data-ballot-left="1"' in landing
    assert f'href="/selection-rounds/{round_.id}"' in landing
    assert 'data-ballot-left="1"' in a.get("/").text  # one to vote on: the other stands aside
    assert 'id="my-ballots"' not in p3.get("/").text  # sits in no round

    # A tie waits for the chair: their landing says so; the other judges have nothing left.
    for judge in (judges["P1"], judges["P2"]):
        cast_vote(session, round_, judge, nomination_id=x.id, vote="yes")
        cast_vote(session, round_, judge, nomination_id=y.id, vote="yes")
    cast_vote(session, round_, judges["A"], nomination_id=y.id, vote="no")
    close_round(session, round_, tree.users["federation"], now=NOW)
    session.commit()
    assert round_.status == "awaiting_chair"
    assert "data-ballot-tie" in p1.get("/").text
    assert 'id="my-ballots"' not in a.get("/").text


def test_the_campaign_decides_who_closes_its_rounds(
    session, tree, judges, api, web, new_web_client
):
    x = to_selection(session, tree, name="甲")
    panel = [judges["P1"], judges["P2"]]
    round_ = open_with(session, tree, [x], panel, places=1, chair=judges["P2"])
    session.commit()
    # The administrator says so, in the API as on the campaign's page.
    admin_page = new_web_client()
    login(admin_page, "admin")
    assert 'name="round_closer"' in admin_page.get(f"/admin/campaigns/{tree.campaign.id}").text
    current = api.get(f"/admin/campaigns/{tree.campaign.id}", "admin").json
    assert current["round_closer"] == "federation"
    wrong = api.patch(
        f"/admin/campaigns/{tree.campaign.id}",
        "admin",
        json={"round_closer": "anyone", "expected": current["version"]},
    )
    assert wrong.status_code == 422 and list(wrong.json["error"]["fields"]) == ["round_closer"]
    changed = api.patch(
        f"/admin/campaigns/{tree.campaign.id}",
        "admin",
        json={"round_closer": "chair", "expected": current["version"]},
    )
    assert changed.status_code == 200 and changed.json["round_closer"] == "chair"
    session.refresh(tree.campaign)

    # The federation no longer closes it, nor does a member who is not the chair.
    for user in (tree.users["federation"], judges["P1"]):
        with pytest.raises(PermissionDenied):
            close_round(session, round_, user, now=NOW)
    chair = new_web_client()
    login(chair, "judge-P2")
    url = f"/selection-rounds/{round_.id}"
    assert 'id="close-round"' in chair.get(url).text
    assert chair.get(f"{url}/close").status_code == 200
    fed = new_web_client()
    login(fed, "federation")
    assert 'id="close-round"' not in fed.get(url).text
    assert fed.get(f"{url}/close").status_code == 403
    closed = chair.post(f"{url}/close", data={"version": round_.version, "confirm": "y"})
    assert closed.status_code == 302
    session.refresh(round_)
    assert round_.status == "closed" and round_.closed_by_id == judges["P2"].id
    (event,) = events(session, round_, "selection_round.close")
    assert event.role == "judge"
