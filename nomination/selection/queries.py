"""What waits for a judge: the rounds they vote in, and the ties they decide as chair."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nomination.models import (
    SelectionMember,
    SelectionRecusal,
    SelectionRound,
    SelectionVote,
)
from nomination.permissions import can_decide_tie, can_vote, is_user


@dataclass(frozen=True)
class Ballot:
    """A round waiting for one judge: how many votes are still theirs to cast, or a tie."""

    round: SelectionRound
    #: Nominations of the round the judge may vote on (not standing aside).
    due: int
    #: Of those, how many the judge has not voted on yet.
    left: int
    #: The round awaits this judge's decision of a tie, as its chair.
    tie: bool


def pending_ballots(session: Session, user: Any) -> list[Ballot]:
    """Return the rounds waiting for ``user``: ties to decide first, then votes left to cast.

    An open round is listed while the judge may still vote in it, even when every vote is
    cast (a vote can be changed until the round closes), those with votes left first.
    """
    if not is_user(user):
        return []
    rounds = session.scalars(
        select(SelectionRound)
        .join(SelectionMember, SelectionMember.round_id == SelectionRound.id)
        .where(SelectionMember.user_id == user.id, SelectionRound.status != "closed")
        .order_by(SelectionRound.opened_at, SelectionRound.id)
    ).all()
    out = []
    for round_ in rounds:
        if round_.status == "awaiting_chair":
            if can_decide_tie(user, round_):
                out.append(Ballot(round_, 0, 0, True))
            continue
        if not can_vote(user, round_):
            continue
        aside = session.scalar(
            select(func.count(SelectionRecusal.id)).where(
                SelectionRecusal.round_id == round_.id, SelectionRecusal.judge_id == user.id
            )
        )
        cast = session.scalar(
            select(func.count(SelectionVote.id)).where(
                SelectionVote.round_id == round_.id, SelectionVote.judge_id == user.id
            )
        )
        due = len(round_.entries) - (aside or 0)
        out.append(Ballot(round_, due, max(due - (cast or 0), 0), False))
    return sorted(out, key=lambda b: (not b.tie, b.left == 0))
