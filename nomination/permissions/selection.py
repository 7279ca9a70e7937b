"""Who opens, follows, votes in and closes selection rounds (评审)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.orm import object_session

from nomination import engine
from nomination.models import (
    Nomination,
    Organisation,
    SelectionEntry,
    SelectionMember,
    SelectionRecusal,
    SelectionRound,
)
from nomination.permissions.roles import has_role, has_role_over, in_subtrees, is_user, role_paths

#: Roles that follow a federation's selection rounds: who has voted (never how), the recusals,
#: and the tally once the round closed.
ROUND_FOLLOWERS = ("federation_reviewer", "approver", "auditor")


def _judged_nominations(user: Any) -> Any:
    """Return a SELECT of the ids of the nominations ``user`` judges in an unfinished round.

    Only rounds they sit in, still open or awaiting the chair, and never a nomination on which
    they stand aside (回避: automatically for their own unit or working committee, or declared).
    """
    stands_aside = exists().where(
        SelectionRecusal.round_id == SelectionEntry.round_id,
        SelectionRecusal.nomination_id == SelectionEntry.nomination_id,
        SelectionRecusal.judge_id == user.id,
    )
    return (
        select(SelectionEntry.nomination_id)
        .join(SelectionRound, SelectionEntry.round_id == SelectionRound.id)
        .join(SelectionMember, SelectionMember.round_id == SelectionRound.id)
        .where(
            SelectionMember.user_id == user.id,
            SelectionRound.status != "closed",
            ~stands_aside,
        )
    )


def judge_scope(user: Any) -> ColumnElement[bool]:
    """Return a WHERE clause over Nomination (joined to its unit): what ``user`` judges.

    A judge reads a nomination only while it waits in selection, in a round they sit in, over
    a unit of their federation, and not one they stand aside on.
    """
    paths = role_paths(user, "judge")
    if not paths:
        return false()
    return and_(
        Nomination.state.in_(engine.states_tagged("selection")),
        in_subtrees(paths),
        Nomination.id.in_(_judged_nominations(user)),
    )


def can_judge_nomination(user: Any, nomination: Any) -> bool:
    """Return whether ``user`` reads ``nomination`` as a judge (see :func:`judge_scope`)."""
    if not has_role_over(user, "judge", nomination.unit):
        return False
    if not engine.workflow_for(nomination).tagged(nomination.state, "selection"):
        return False
    session = object_session(nomination)
    if session is None:
        return False
    query = _judged_nominations(user).where(SelectionEntry.nomination_id == nomination.id)
    return session.scalar(query.limit(1)) is not None


def can_open_round(user: Any, campaign: Any) -> bool:
    """Return whether ``user`` may open a selection round of ``campaign``: its federation's."""
    return has_role_over(user, "federation_reviewer", campaign.federation)


def is_round_member(user: Any, round_: Any) -> bool:
    """Return whether ``user`` sits in ``round_`` as one of its judges."""
    return is_user(user) and any(m.user_id == user.id for m in round_.members)


def can_vote(user: Any, round_: Any) -> bool:
    """Return whether ``user`` votes in ``round_``: a member who still holds the judge role.

    Never an administrator (separation of duties).
    """
    if has_role(user, "admin"):
        return False
    return is_round_member(user, round_) and has_role_over(
        user, "judge", round_.campaign.federation
    )


def can_follow_round(user: Any, round_: Any) -> bool:
    """Return whether ``user`` follows ``round_`` for the federation (counts, never votes)."""
    federation = round_.campaign.federation
    return any(has_role_over(user, role, federation) for role in ROUND_FOLLOWERS)


def can_view_round(user: Any, round_: Any) -> bool:
    """Return whether ``user`` may see ``round_``: its members and those who follow it."""
    return is_round_member(user, round_) or can_follow_round(user, round_)


def can_close_round(user: Any, round_: Any) -> bool:
    """Return whether ``user`` may close ``round_`` and apply its results.

    The campaign decides (``round_closer``): the federation's reviewers, or the round's chair
    (a member who still holds the judge role, never an administrator).
    """
    if round_.campaign.round_closer == "chair":
        return is_user(user) and user.id == round_.chair_id and can_vote(user, round_)
    return has_role_over(user, "federation_reviewer", round_.campaign.federation)


def closing_role(round_: Any) -> str:
    """Return the role in which ``round_`` is closed (for the audit trail)."""
    return "judge" if round_.campaign.round_closer == "chair" else "federation_reviewer"


def can_decide_tie(user: Any, round_: Any) -> bool:
    """Return whether ``user`` decides a tie at the last place of ``round_``: its chair."""
    return is_user(user) and user.id == round_.chair_id and can_vote(user, round_)


def can_use_selection(user: Any) -> bool:
    """Return whether ``user`` works with selection rounds at all (the navigation link)."""
    return has_role(user, "judge") or has_role(user, "federation_reviewer")


def round_scope(user: Any) -> ColumnElement[bool]:
    """Return a WHERE clause limiting SelectionRound (joined to its campaign's federation)."""
    if not is_user(user):
        return false()
    member_of = select(SelectionMember.round_id).where(SelectionMember.user_id == user.id)
    return or_(
        SelectionRound.id.in_(member_of),
        *(Organisation.path.startswith(p) for p in role_paths(user, *ROUND_FOLLOWERS)),
    )
