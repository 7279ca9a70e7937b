"""Selection rounds (评审委员会评审): opening, sealed votes, recusals, the tally, ties.

The federation opens a round for a campaign's award kind with the shortlisted nominations (in
state ``selection`` and in no unfinished round), the judges who sit in it, its chair and the
number of places; the rule ("1/2" or "2/3") is copied from the campaign. Judges working in a
nominee's unit or working committee stand aside on that nomination from the start (回避);
any judge may stand aside with a reason. Votes are sealed until the round closes: a judge sees
only their own, the federation only how many each judge has cast, and the audit trail records
that a vote was cast, never its value, until the close event records the whole count.

Closing applies the rule to each nomination (members present: the judges not standing aside
who voted on it, an abstention included), ranks those that pass by their yes votes, selects
as many as there are places and holds the rest in reserve; those that fail are not selected.
Equal yes votes straddling the last place are a tie the chair decides (the round then awaits
the chair). Each result is applied by the system through the engine (``select``,
``hold_in_reserve``, ``not_select``), whose guard checks it against the round.

Every operation locks the round's row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite takes
the write lock when the transaction begins), so a vote and the close, or two votes of one
judge, happen one after the other: a vote that waited for the close is refused.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nomination import engine, labels, signals
from nomination.actors import SYSTEM
from nomination.audit.chain import Entity, record_event
from nomination.db import locked, rows_where, utcnow
from nomination.engine.core import stale_is_conflict
from nomination.errors import (
    Conflict,
    InvalidData,
    PermissionDenied,
    require_valid,
    require_visible,
)
from nomination.i18n import tr
from nomination.models import (
    Campaign,
    Nomination,
    Organisation,
    Quota,
    RoleAssignment,
    SelectionEntry,
    SelectionMember,
    SelectionRecusal,
    SelectionRound,
    SelectionVote,
    User,
)
from nomination.models.selection import VOTES
from nomination.permissions import (
    can_close_round,
    can_decide_tie,
    can_follow_round,
    can_open_round,
    can_view_round,
    can_vote,
    closing_role,
    has_role_over,
    is_round_member,
    round_scope,
)

# The pages and the API read the names here; they live in nomination.labels.
VOTE_LABELS = labels.SELECTION_VOTE_LABELS
RESULT_LABELS = labels.SELECTION_RESULT_LABELS
STATUS_LABELS = labels.SELECTION_STATUS_LABELS
RULE_LABELS = labels.SELECTION_RULE_LABELS
#: A recusal's reason, between these lengths.
REASON_MIN, REASON_MAX = 2, 500


# --- reading ---------------------------------------------------------------------------------


def shortlist(session: Session, campaign: Campaign, kind: str) -> list[Nomination]:
    """Return the nominations a new round of ``campaign``'s ``kind`` may vote on.

    Those in state ``selection`` that no unfinished round (open or awaiting its chair) holds,
    in the order of the organisation tree (so by working committee), then by number.
    """
    unfinished = (
        select(SelectionEntry.nomination_id)
        .join(SelectionRound)
        .where(SelectionRound.status != "closed")
    )
    return list(
        session.scalars(
            select(Nomination)
            .join(Organisation, Nomination.unit_id == Organisation.id)
            .where(
                Nomination.campaign_id == campaign.id,
                Nomination.kind == kind,
                Nomination.state.in_(engine.states_tagged("selection")),
                Nomination.id.not_in(unfinished),
            )
            .order_by(Organisation.path, Nomination.id)
        )
    )


def judges_of(session: Session, federation: Organisation) -> list[User]:
    """Return the active users holding the judge role over ``federation``, by name."""
    users = session.scalars(
        select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == "judge", User.active)
        .distinct()
        .order_by(User.display_name, User.id)
    )
    return [u for u in users if has_role_over(u, "judge", federation)]


def default_places(session: Session, campaign: Campaign, kind: str, shortlisted: int) -> int:
    """Return the places a new round offers unless the federation says otherwise.

    The campaign's quota for the kind (the working committees' total, else the units'), less
    what earlier rounds of it selected; without any quota, every shortlisted nomination.
    """
    quotas = session.execute(
        select(Quota.places, Organisation.kind)
        .join(Organisation, Quota.committee_id == Organisation.id)
        .where(Quota.campaign_id == campaign.id, Quota.kind == kind)
    ).all()
    committees = [places for places, org_kind in quotas if org_kind == "committee"]
    units = [places for places, org_kind in quotas if org_kind == "unit"]
    if not committees and not units:
        return shortlisted
    total = sum(committees) if committees else sum(units)
    taken = session.scalar(
        select(func.count(SelectionEntry.id))
        .join(SelectionRound)
        .where(
            SelectionRound.campaign_id == campaign.id,
            SelectionRound.kind == kind,
            SelectionEntry.result == "selected",
        )
    )
    return max(total - (taken or 0), 0)


def load_round(session: Session, round_id: int, user: Any) -> SelectionRound:
    """Return the round if ``user`` may see it; 404 alike whether absent or not theirs."""
    round_ = session.get(SelectionRound, round_id)
    return require_visible(round_, user, can_view_round, "selection round")


def visible_rounds(
    session: Session, user: Any, *, campaign_id: int | None = None
) -> list[SelectionRound]:
    """Return the rounds ``user`` may see, newest first."""
    query = (
        select(SelectionRound)
        .join(Campaign, SelectionRound.campaign_id == Campaign.id)
        .join(Organisation, Campaign.federation_id == Organisation.id)
        .where(round_scope(user))
        .order_by(SelectionRound.opened_at.desc(), SelectionRound.id.desc())
    )
    if campaign_id is not None:
        query = query.where(SelectionRound.campaign_id == campaign_id)
    return list(session.scalars(query))


def my_votes(session: Session, round_: SelectionRound, user: Any) -> dict[int, str]:
    """Return ``user``'s own votes in ``round_`` by nomination id (no one else's)."""
    rows = session.execute(
        select(SelectionVote.nomination_id, SelectionVote.vote).where(
            SelectionVote.round_id == round_.id, SelectionVote.judge_id == user.id
        )
    )
    return {key: value for key, value in rows}


def voted_counts(session: Session, round_: SelectionRound) -> dict[int, int]:
    """Return how many votes each judge has cast in ``round_`` (by judge id): never the values."""
    rows = session.execute(
        select(SelectionVote.judge_id, func.count(SelectionVote.id))
        .where(SelectionVote.round_id == round_.id)
        .group_by(SelectionVote.judge_id)
    )
    return {key: value for key, value in rows}


def recusals_of(session: Session, round_: SelectionRound) -> list[SelectionRecusal]:
    """Return every recusal in ``round_``, automatic and declared, in the order recorded."""
    return rows_where(session, SelectionRecusal.round_id, round_.id)


def category_label(session: Session, campaign: Campaign, kind: str, value: Any) -> Any:
    """Return the bilingual label of a nominee's category (person category), or None."""
    award = campaign.award(kind)
    if award is None or value is None:
        return None
    field = engine.workflow_by_hash(session, award.definition_hash).nominee_form.field("category")
    if field is None:
        return None
    return next((label for v, label in field.choices if v == value), None)


def round_view(session: Session, round_: SelectionRound, user: Any) -> dict[str, Any]:
    """Return what ``user`` may see of ``round_``; pages and the API show only this.

    A judge gets their own votes; those following the round for the federation get how many
    votes each judge has cast. Nobody gets another's vote: the values leave the database only
    as the counts of the tally, once the round closed.
    """
    member = is_round_member(user, round_)
    follows = can_follow_round(user, round_)
    mine = my_votes(session, round_, user) if member else {}
    recusals = recusals_of(session, round_)
    by_nomination: dict[int, list[SelectionRecusal]] = defaultdict(list)
    for r in recusals:
        by_nomination[r.nomination_id].append(r)
    entries = []
    for entry in round_.entries:
        n = entry.nomination
        data = n.data or {}
        value = data.get("category")
        stood_aside = by_nomination.get(n.id, [])
        entries.append(
            {
                "nomination_id": n.id,
                "name": n.nominee_name,
                "unit": {"id": n.unit.id, "name": n.unit.name, "name_en": n.unit.name_en},
                "category": value,
                "category_label": category_label(session, round_.campaign, round_.kind, value),
                "summary": str(data.get("summary") or ""),
                "state": n.state,
                "result": entry.result,
                "recusals": [
                    {
                        "judge_id": r.judge_id,
                        "judge_name": r.judge.name,
                        "reason": r.reason,
                        "automatic": r.automatic,
                        "recorded_at": r.recorded_at,
                    }
                    for r in stood_aside
                ],
                "recused": member and any(r.judge_id == user.id for r in stood_aside),
                "my_vote": mine.get(n.id),
            }
        )
    counts = voted_counts(session, round_) if follows else {}
    members = []
    for m in round_.members:
        row: dict[str, Any] = {
            "id": m.user_id,
            "name": m.user.name,
            "chair": m.user_id == round_.chair_id,
        }
        if follows:
            aside = sum(1 for r in recusals if r.judge_id == m.user_id)
            row["votes_cast"] = counts.get(m.user_id, 0)
            row["votes_due"] = len(entries) - aside
        members.append(row)
    return {
        "id": round_.id,
        "campaign_id": round_.campaign_id,
        "kind": round_.kind,
        "number": round_.number,
        "status": round_.status,
        "rule": round_.rule,
        "places": round_.places,
        "version": round_.version,
        "chair": {"id": round_.chair_id, "name": round_.chair.name},
        "opened_by": {"id": round_.opened_by_id, "name": round_.opened_by.name},
        "opened_at": round_.opened_at,
        "closed_by": (
            {"id": round_.closed_by_id, "name": round_.closed_by.name}
            if round_.closed_by is not None
            else None
        ),
        "closed_at": round_.closed_at,
        "members": members,
        "entries": entries,
        "tally": round_.tally if round_.status != "open" else None,
        "viewer": {
            "member": member,
            "follows": follows,
            "can_vote": round_.status == "open" and can_vote(user, round_),
            "can_close": round_.status == "open" and can_close_round(user, round_),
            "can_decide": round_.status == "awaiting_chair" and can_decide_tie(user, round_),
        },
    }


# --- the rule --------------------------------------------------------------------------------


def passes(rule: str, yes: int, present: int) -> bool:
    """Return whether ``yes`` votes of ``present`` members carry under ``rule``.

    "1/2": more than half of those present; "2/3": at least two thirds. Nobody present: no.
    """
    if present <= 0:
        return False
    if rule == "2/3":
        return yes * 3 >= present * 2
    return yes * 2 > present


def needed_votes(rule: str, present: int) -> int:
    """Return the fewest yes votes that carry with ``present`` members (at least one)."""
    if rule == "2/3":
        return max((2 * present + 2) // 3, 1)
    return present // 2 + 1


# --- operations ------------------------------------------------------------------------------


def _round_entity(round_: SelectionRound) -> Entity:
    return Entity("selection_round", round_.id, round_.campaign.federation_id, round_.campaign_id)


def _check_version(round_: SelectionRound, version: int | None) -> None:
    if version is not None and version != round_.version:
        raise Conflict("the round was changed by someone else; reload it", version=round_.version)


def _automatic_reason(judge: User, nomination: Nomination) -> str | None:
    """Return why ``judge`` stands aside on ``nomination`` from the start, or None.

    A judge working in the nominee's unit, or in (or below) its working committee.
    """
    workplace = judge.workplace
    if workplace is None:
        return None
    unit = nomination.unit
    if workplace.id == unit.id:
        return f"自动回避:本人工作单位即推荐单位({unit.name})"
    committee = unit.committee()
    if committee is not None and workplace.path.startswith(committee.path):
        if workplace.id == committee.id:
            return f"自动回避:本人在推荐单位所属的{committee.name}工作"
        return f"自动回避:本人工作单位({workplace.name})属于推荐单位所在的{committee.name}"
    return None


def open_round(
    session: Session,
    campaign: Campaign,
    kind: str,
    actor: Any,
    *,
    judge_ids: Iterable[int],
    chair_id: int | None,
    places: int | None = None,
    nomination_ids: Iterable[int] | None = None,
    now: datetime | None = None,
) -> SelectionRound:
    """Open a round of ``campaign``'s ``kind``; judges working where a nominee does stand aside.

    ``nomination_ids`` (default: the whole shortlist) must be shortlisted; ``judge_ids`` hold
    the judge role over the federation; the chair is one of them; ``places`` (default:
    :func:`default_places`) is not negative. Refused with 403 for anyone but the federation's
    reviewers, 422 naming the field, 409 when another round was opened meanwhile.
    """
    now = now or utcnow()
    if not can_open_round(actor, campaign):
        raise PermissionDenied("only the federation's reviewers open selection rounds")
    if campaign.award(kind) is None:
        raise InvalidData(
            "the campaign offers no such award",
            fields={"kind": [tr("本活动没有此奖项", "unknown kind")]},
        )
    errors: dict[str, list[str]] = {}
    eligible = {n.id: n for n in shortlist(session, campaign, kind)}
    wanted = list(dict.fromkeys(eligible if nomination_ids is None else nomination_ids))
    stray = [str(i) for i in wanted if i not in eligible]
    # Entries follow the shortlist's order whatever order the caller sent: it breaks ties of
    # rank, so a caller must not be able to choose it.
    chosen_ids = [i for i in eligible if i in set(wanted)]
    if stray:
        errors["nomination_ids"] = [
            tr("以下推荐不在待评审名单中:", "not shortlisted (or in an unfinished round): ")
            + ", ".join(stray)
        ]
    elif not chosen_ids:
        errors["nomination_ids"] = [tr("请至少选择一个推荐对象", "choose at least one")]
    judges = {u.id: u for u in judges_of(session, campaign.federation)}
    member_ids = list(dict.fromkeys(judge_ids))
    unknown = [str(i) for i in member_ids if i not in judges]
    if unknown:
        errors["judge_ids"] = [
            tr("以下用户不是本级评审委员:", "not a judge here: ") + ", ".join(unknown)
        ]
    elif not member_ids:
        errors["judge_ids"] = [tr("请选择评审委员", "choose the judges")]
    if chair_id is None:
        errors["chair_id"] = [tr("请选择主任委员", "choose the chair")]
    elif chair_id not in member_ids:
        errors["chair_id"] = [tr("主任委员须为所选评审委员之一", "must be one of the judges")]
    if places is None:
        places = default_places(session, campaign, kind, len(chosen_ids))
    if places < 0:
        errors["places"] = [tr("不能为负数", "must be 0 or more")]
    require_valid(errors)
    # Lock the chosen nominations and move their version on: a direct decision fired at the
    # same moment then conflicts instead of leaving the round an entry it can never apply.
    locked = session.scalars(
        select(Nomination)
        .where(Nomination.id.in_(chosen_ids))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    moved = sorted(
        str(n.id) for n in locked if not engine.workflow_for(n).tagged(n.state, "selection")
    )
    if moved:
        raise Conflict("decided meanwhile: " + ", ".join(moved))
    for n in locked:
        n.updated_at = now

    number = (
        session.scalar(
            select(func.max(SelectionRound.number)).where(
                SelectionRound.campaign_id == campaign.id, SelectionRound.kind == kind
            )
        )
        or 0
    ) + 1
    round_ = SelectionRound(
        campaign=campaign,
        kind=kind,
        number=number,
        status="open",
        rule=campaign.selection_rule,
        places=places,
        chair_id=chair_id,
        opened_by_id=actor.id,
        opened_at=now,
    )
    round_.members = [SelectionMember(user_id=i) for i in member_ids]
    round_.entries = [SelectionEntry(nomination_id=i) for i in chosen_ids]
    session.add(round_)
    automatic = []
    for nomination_id in chosen_ids:
        for judge_id in member_ids:
            reason = _automatic_reason(judges[judge_id], eligible[nomination_id])
            if reason is not None:
                automatic.append(
                    SelectionRecusal(
                        nomination_id=nomination_id,
                        judge_id=judge_id,
                        reason=reason,
                        automatic=True,
                        recorded_at=now,
                    )
                )
    try:
        # The number is unique per campaign and kind: of two rounds opened at once, one fails
        # here, so no nomination ever sits in two unfinished rounds.
        session.flush()
        for recusal in automatic:
            recusal.round_id = round_.id
        session.add_all(automatic)
        session.flush()
    except IntegrityError:
        raise Conflict("another round was opened meanwhile; reload and try again") from None
    record_event(
        session,
        actor,
        "selection_round.open",
        _round_entity(round_),
        role="federation_reviewer",
        after={
            "number": number,
            "kind": kind,
            "rule": round_.rule,
            "places": places,
            "chair": chair_id,
            "members": member_ids,
            "nominations": chosen_ids,
            "recusals": [
                {"nomination": r.nomination_id, "judge": r.judge_id, "reason": r.reason}
                for r in automatic
            ],
            "version": round_.version,
        },
        now=now,
    )
    signals.selection_round_opened.send(round_, actor=actor)
    return round_


def _entry_ids(round_: SelectionRound) -> set[int]:
    return {e.nomination_id for e in round_.entries}


def _judge_checks(round_: SelectionRound, actor: Any, nomination_id: Any) -> None:
    """Refuse a judge's action for anyone not sitting in the round, or outside its list."""
    if not can_vote(actor, round_):
        raise PermissionDenied("only the judges sitting in this round may do this")
    if not isinstance(nomination_id, int) or nomination_id not in _entry_ids(round_):
        raise InvalidData(
            "this nomination is not voted on in this round",
            fields={"nomination_id": [tr("不是本轮的推荐对象", "not in this round")]},
        )


def _still_open(round_: SelectionRound) -> None:
    if round_.status != "open":
        raise Conflict(f"round {round_.number} is no longer open for votes", version=round_.version)


def _recusal(session: Session, round_: SelectionRound, judge_id: int, nomination_id: int) -> Any:
    return session.scalar(
        select(SelectionRecusal).where(
            SelectionRecusal.round_id == round_.id,
            SelectionRecusal.nomination_id == nomination_id,
            SelectionRecusal.judge_id == judge_id,
        )
    )


def _vote_row(
    session: Session, round_: SelectionRound, judge_id: int, nomination_id: int
) -> SelectionVote | None:
    return session.scalar(
        select(SelectionVote)
        .where(
            SelectionVote.round_id == round_.id,
            SelectionVote.nomination_id == nomination_id,
            SelectionVote.judge_id == judge_id,
        )
        .execution_options(populate_existing=True)
    )


def cast_vote(
    session: Session,
    round_: SelectionRound,
    actor: Any,
    *,
    nomination_id: int,
    vote: str,
    now: datetime | None = None,
) -> SelectionVote:
    """Record (or change) ``actor``'s sealed vote on a nomination of an open round.

    403 for anyone not sitting in the round, or standing aside on that nomination; 409 once
    the round closed; 422 naming the field. The audit event says that a vote was cast, never
    which: the close event records the count.
    """
    now = now or utcnow()
    _judge_checks(round_, actor, nomination_id)
    if vote not in VOTES:
        raise InvalidData(
            "unknown vote", fields={"vote": [tr("须为赞成、反对或弃权", "one of yes, no, abstain")]}
        )
    round_ = locked(session, round_)
    _still_open(round_)
    if _recusal(session, round_, actor.id, nomination_id) is not None:
        raise PermissionDenied("you stand aside on this nomination and may not vote on it")
    row = _vote_row(session, round_, actor.id, nomination_id)
    changed = row is not None
    if row is not None and row.vote == vote:
        return row  # the same vote again: nothing changes, nothing to record
    if row is None:
        row = SelectionVote(
            round_id=round_.id,
            nomination_id=nomination_id,
            judge_id=actor.id,
            vote=vote,
            cast_at=now,
        )
        session.add(row)
    else:
        row.vote = vote
        row.cast_at = now
    try:
        session.flush()
    except IntegrityError:
        # Only without the row lock (it serialises one judge's requests): never two rows.
        raise Conflict("your vote on this nomination was just recorded; reload") from None
    record_event(
        session,
        actor,
        "selection_round.vote",
        _round_entity(round_),
        role="judge",
        # Sealed: that this judge voted on this nomination (again), not how.
        after={"nomination": nomination_id, "judge": actor.id, "cast": True, "changed": changed},
        now=now,
    )
    return row


def recuse(
    session: Session,
    round_: SelectionRound,
    actor: Any,
    *,
    nomination_id: int,
    reason: str | None,
    now: datetime | None = None,
) -> SelectionRecusal:
    """Record that ``actor`` stands aside on a nomination, with the reason; shown to all.

    A vote already cast on it is withdrawn. 403 for anyone not sitting in the round, 409 once
    the round closed or when the judge already stands aside, 422 naming the field.
    """
    now = now or utcnow()
    _judge_checks(round_, actor, nomination_id)
    reason = (reason or "").strip()
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise InvalidData(
            "give the reason for standing aside",
            fields={
                "reason": [
                    tr(
                        f"请填写{REASON_MIN}至{REASON_MAX}字的理由",
                        f"between {REASON_MIN} and {REASON_MAX} characters",
                    )
                ]
            },
        )
    round_ = locked(session, round_)
    _still_open(round_)
    if _recusal(session, round_, actor.id, nomination_id) is not None:
        raise Conflict("you already stand aside on this nomination")
    vote = _vote_row(session, round_, actor.id, nomination_id)
    if vote is not None:
        session.delete(vote)
    recusal = SelectionRecusal(
        round_id=round_.id,
        nomination_id=nomination_id,
        judge_id=actor.id,
        reason=reason,
        automatic=False,
        recorded_at=now,
    )
    session.add(recusal)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("you already stand aside on this nomination") from None
    record_event(
        session,
        actor,
        "selection_round.recuse",
        _round_entity(round_),
        role="judge",
        after={
            "nomination": nomination_id,
            "judge": actor.id,
            "automatic": False,
            "vote_withdrawn": vote is not None,
        },
        comment=reason,
        now=now,
    )
    return recusal


def _count(
    session: Session, round_: SelectionRound
) -> tuple[list[dict[str, Any]], dict[str, dict[str, str]]]:
    """Return each entry's count under the round's rule, and the ballots by nomination."""
    members = {m.user_id for m in round_.members}
    aside: dict[int, list[SelectionRecusal]] = defaultdict(list)
    for r in recusals_of(session, round_):
        aside[r.nomination_id].append(r)
    votes: dict[int, list[SelectionVote]] = defaultdict(list)
    for v in session.scalars(
        select(SelectionVote)
        .where(SelectionVote.round_id == round_.id)
        .order_by(SelectionVote.id)
        .execution_options(populate_existing=True)
    ):
        votes[v.nomination_id].append(v)
    rows, ballots = [], {}
    for order, entry in enumerate(round_.entries):
        nid = entry.nomination_id
        standing_aside = {r.judge_id for r in aside[nid]}
        counted = [
            v for v in votes[nid] if v.judge_id in members and v.judge_id not in standing_aside
        ]
        counts = {choice: sum(1 for v in counted if v.vote == choice) for choice in VOTES}
        present = len(counted)
        rows.append(
            {
                "nomination_id": nid,
                "order": order,
                **counts,
                "present": present,
                "needed": needed_votes(round_.rule, present),
                "passed": passes(round_.rule, counts["yes"], present),
                "recused": [
                    {"judge_id": r.judge_id, "automatic": r.automatic, "reason": r.reason}
                    for r in aside[nid]
                ],
                "rank": None,
                "reserve_rank": None,
                "result": None,
                "applied": False,
            }
        )
        ballots[str(nid)] = {str(v.judge_id): v.vote for v in counted}
    return rows, ballots


def _rank(rows: list[dict[str, Any]], places: int) -> dict[str, Any] | None:
    """Give each row its result (and rank); return the tie at the last place, if any.

    Those that pass are ranked by yes votes (equal votes share a rank); the first ``places``
    are selected and the others held in reserve, in that order (equal votes in the order of
    the shortlist). When equal votes straddle the last place, those tied are left to the
    chair: the ones above are selected, the ones below go to reserve after the chair decides.
    """
    passing = sorted((r for r in rows if r["passed"]), key=lambda r: (-r["yes"], r["order"]))
    for r in passing:
        r["rank"] = 1 + sum(1 for other in passing if other["yes"] > r["yes"])
    for r in rows:
        if not r["passed"]:
            r["result"] = "not_selected"
    tie = None
    if 0 < places < len(passing) and passing[places - 1]["yes"] == passing[places]["yes"]:
        line = passing[places - 1]["yes"]
        above = [r for r in passing if r["yes"] > line]
        tied = [r for r in passing if r["yes"] == line]
        for r in above:
            r["result"] = "selected"
        for r in tied:
            r["result"] = "tie"
        for r in passing:
            if r["yes"] < line:
                r["result"] = "reserve"  # ranked after the tied ones the chair leaves out
        tie = {
            "yes": line,
            "places_left": places - len(above),
            "nomination_ids": [r["nomination_id"] for r in tied],
        }
    else:
        for i, r in enumerate(passing):
            r["result"] = "selected" if i < places else "reserve"
        for i, r in enumerate(passing[places:], start=1):
            r["reserve_rank"] = i
    return tie


def _display_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (not r["passed"], -r["yes"], r["order"]))


def _counts_text(row: dict[str, Any]) -> str:
    return f"赞成{row['yes']}票,反对{row['no']}票,弃权{row['abstain']}票"


def _apply(
    round_: SelectionRound,
    rows: list[dict[str, Any]],
    now: datetime,
    *,
    by_chair: Iterable[int] = (),
) -> None:
    """Set each row's result on its entry and fire its trigger as the system.

    Selected and not selected first, then the reserves in rank order, each entering its state
    a microsecond after the one before it: the reserve who moves up first (the earliest to
    enter reserve) is then the best ranked.
    """
    entries = {e.nomination_id: e for e in round_.entries}
    chosen = set(by_chair)
    n = round_.number
    reserves = sorted(
        (r for r in rows if r["result"] == "reserve"), key=lambda r: r["reserve_rank"]
    )
    for row in rows:
        entry = entries[row["nomination_id"]]
        if row["result"] == "selected":
            entry.result = "selected"
            comment = f"评审委员会第{n}轮表决通过:{_counts_text(row)}"
            if row["nomination_id"] in chosen:
                comment += ";得票相同,经主任委员决定入选"
            engine.fire(entry.nomination, "select", SYSTEM, data={"comment": comment}, now=now)
        elif row["result"] == "not_selected":
            entry.result = "not_selected"
            reason = (
                f"未入选(评审委员会第{n}轮:{_counts_text(row)};"
                f"出席委员{row['present']}人,需赞成{row['needed']}票)"
            )
            engine.fire(entry.nomination, "not_select", SYSTEM, data={"reason": reason}, now=now)
    for offset, row in enumerate(reserves, start=1):
        entry = entries[row["nomination_id"]]
        entry.result = "reserve"
        comment = (
            f"评审委员会第{n}轮表决通过,列为第{row['reserve_rank']}位递补人选:{_counts_text(row)}"
        )
        engine.fire(
            entry.nomination,
            "hold_in_reserve",
            SYSTEM,
            data={"comment": comment},
            now=now + timedelta(microseconds=offset),
        )


def _person(user: Any) -> dict[str, Any]:
    return {"id": user.id, "name": user.name}


def close_preview(session: Session, round_: SelectionRound, actor: Any) -> dict[str, Any]:
    """Return what closing ``round_`` now would do, for its closer to confirm (nothing saved).

    Each nomination's result (selected, reserve with its rank, not selected, or tied at the
    last place for the chair to decide), the tie, and the votes still due per member. The
    vote counts stay sealed: only the results are given. 403 for anyone who may not close it,
    409 once it is no longer open.
    """
    if not can_close_round(actor, round_):
        raise PermissionDenied("you do not close this selection round")
    _still_open(round_)
    rows, _ballots = _count(session, round_)
    tie = _rank(rows, round_.places)
    names = {e.nomination_id: e.nomination for e in round_.entries}
    counts = voted_counts(session, round_)
    aside: dict[int, int] = defaultdict(int)
    for r in recusals_of(session, round_):
        aside[r.judge_id] += 1
    return {
        "entries": [
            {
                "nomination_id": r["nomination_id"],
                "name": names[r["nomination_id"]].nominee_name,
                "unit": names[r["nomination_id"]].unit.name,
                "unit_en": names[r["nomination_id"]].unit.name_en,
                "result": r["result"],
                "reserve_rank": r["reserve_rank"],
            }
            for r in sorted(rows, key=lambda r: r["order"])
        ],
        "tie": tie,
        "outstanding": [
            {"id": m.user_id, "name": m.user.name, "left": left}
            for m in round_.members
            if (left := len(rows) - aside[m.user_id] - counts.get(m.user_id, 0)) > 0
        ],
        "version": round_.version,
    }


def close_round(
    session: Session,
    round_: SelectionRound,
    actor: Any,
    *,
    version: int | None = None,
    now: datetime | None = None,
) -> SelectionRound:
    """Close the vote, keep the tally and apply every result that is decided.

    A tie at the last place leaves the round awaiting its chair; the tied nominations, and the
    reserves ranked below them, wait for the chair's decision. 403 for anyone but who the
    campaign says closes its rounds (the federation's reviewers, or the round's chair), 409
    when the round is no longer open or ``version`` is stale.
    """
    now = now or utcnow()
    if not can_close_round(actor, round_):
        who = "the round's chair" if round_.campaign.round_closer == "chair" else "the federation"
        raise PermissionDenied(f"only {who} closes this selection round")
    round_ = locked(session, round_)
    _check_version(round_, version)
    _still_open(round_)
    rows, ballots = _count(session, round_)
    tie = _rank(rows, round_.places)
    # Applied now: all but the tied ones and the reserves whose rank waits for the chair.
    ready = [r for r in rows if r["result"] != "reserve" or r["reserve_rank"] is not None]
    ready = [r for r in ready if r["result"] != "tie"]
    for row in ready:
        row["applied"] = True
    tally = {
        "round": round_.number,
        "kind": round_.kind,
        "rule": round_.rule,
        "places": round_.places,
        "members": [_person(m.user) for m in round_.members],
        "chair": _person(round_.chair),
        "closed_by": _person(actor),
        "closed_at": now.isoformat(),
        "entries": _display_order(rows),
        "tie": tie,
        "decision": None,
    }
    round_.status = "awaiting_chair" if tie else "closed"
    round_.closed_by_id = actor.id
    round_.closed_at = now
    round_.tally = copy.deepcopy(tally)
    # The tied nominations' entries say so; the guard refuses to move them meanwhile.
    entries = {e.nomination_id: e for e in round_.entries}
    for row in rows:
        if row["result"] == "tie":
            entries[row["nomination_id"]].result = "tie"
    with stale_is_conflict():
        session.flush()
    record_event(
        session,
        actor,
        "selection_round.close",
        _round_entity(round_),
        role=closing_role(round_),
        before={"status": "open"},
        # The votes were sealed until now; the close records each judge's, for the audit to
        # check the count against. Pages and the API show the counts only (a secret ballot).
        after={
            "status": round_.status,
            "version": round_.version,
            "tally": tally,
            "ballots": ballots,
        },
        now=now,
    )
    _apply(round_, ready, now)
    signals.selection_round_closed.send(round_, actor=actor)
    return round_


def decide_tie(
    session: Session,
    round_: SelectionRound,
    actor: Any,
    *,
    nomination_ids: Iterable[int],
    version: int | None = None,
    now: datetime | None = None,
) -> SelectionRound:
    """Record the chair's choice among the tied nominations and apply what waited for it.

    The chosen take the places left and are selected; the other tied ones are held in reserve
    ahead of those ranked below them. 403 for anyone but the chair, 409 when the round awaits
    no decision, 422 naming ``nomination_ids`` unless exactly the places left are chosen.
    """
    now = now or utcnow()
    if not can_decide_tie(actor, round_):
        raise PermissionDenied("only the chair of the round decides a tie")
    round_ = locked(session, round_)
    _check_version(round_, version)
    if round_.status != "awaiting_chair" or not round_.tally or not round_.tally.get("tie"):
        raise Conflict("this round awaits no decision", version=round_.version)
    tally = copy.deepcopy(round_.tally)
    tie = tally["tie"]
    chosen = list(dict.fromkeys(nomination_ids))
    if any(i not in tie["nomination_ids"] for i in chosen):
        raise InvalidData(
            "choose among the tied nominations",
            fields={"nomination_ids": [tr("只能从票数相同者中选择", "only the tied ones")]},
        )
    if len(chosen) != tie["places_left"]:
        raise InvalidData(
            f"choose exactly {tie['places_left']} of the tied nominations",
            fields={
                "nomination_ids": [
                    tr(f"须选择{tie['places_left']}名", f"choose exactly {tie['places_left']}")
                ]
            },
        )
    rows = tally["entries"]
    by_id = {r["nomination_id"]: r for r in rows}
    left_out = [i for i in tie["nomination_ids"] if i not in chosen]
    for i in chosen:
        by_id[i]["result"] = "selected"
    # The tied ones the chair left out rank first among the reserves, then those below them.
    below = sorted(
        (r for r in rows if r["result"] == "reserve" and not r["applied"]),
        key=lambda r: (-r["yes"], r["order"]),
    )
    ready = [by_id[i] for i in chosen]
    for position, row in enumerate([by_id[i] for i in left_out] + below, start=1):
        row["result"] = "reserve"
        row["reserve_rank"] = position
        ready.append(row)
    for row in ready:
        row["applied"] = True
    tally["decision"] = {
        "by": _person(actor),
        "at": now.isoformat(),
        "selected": chosen,
        "reserve": left_out,
    }
    tally["entries"] = _display_order(rows)
    round_.status = "closed"
    round_.tally = tally
    with stale_is_conflict():
        session.flush()
    record_event(
        session,
        actor,
        "selection_round.decide",
        _round_entity(round_),
        role="judge",
        before={"status": "awaiting_chair"},
        after={
            "status": "closed",
            "version": round_.version,
            "selected": chosen,
            "reserve": left_out,
        },
        now=now,
    )
    _apply(round_, ready, now, by_chair=chosen)
    signals.selection_round_closed.send(round_, actor=actor)
    return round_
