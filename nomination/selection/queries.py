"""What waits for a judge: the ballots of the open rounds they sit in."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from nomination.models.selection import (
    SelectionEntry,
    SelectionMember,
    SelectionRecusal,
    SelectionRound,
    SelectionVote,
)


def pending_ballots(session: Session, user: Any) -> list[tuple[SelectionRound, int]]:
    """Return each open round ``user`` sits in with how many nominations still await their vote.

    A nomination the judge has voted on or stands aside from (回避) waits no more; rounds with
    nothing left are not listed. Oldest round first.
    """
    voted = exists().where(
        SelectionVote.round_id == SelectionEntry.round_id,
        SelectionVote.nomination_id == SelectionEntry.nomination_id,
        SelectionVote.judge_id == user.id,
    )
    recused = exists().where(
        SelectionRecusal.round_id == SelectionEntry.round_id,
        SelectionRecusal.nomination_id == SelectionEntry.nomination_id,
        SelectionRecusal.judge_id == user.id,
    )
    waiting = (
        select(SelectionEntry.round_id, func.count().label("waiting"))
        .join(
            SelectionMember,
            SelectionMember.round_id == SelectionEntry.round_id,
        )
        .join(SelectionRound, SelectionRound.id == SelectionEntry.round_id)
        .where(
            SelectionMember.user_id == user.id,
            SelectionRound.status == "open",
            ~voted,
            ~recused,
        )
        .group_by(SelectionEntry.round_id)
        .subquery()
    )
    rows = session.execute(
        select(SelectionRound, waiting.c.waiting)
        .join(waiting, waiting.c.round_id == SelectionRound.id)
        .order_by(SelectionRound.opened_at, SelectionRound.id)
    ).all()
    return [(round_, int(count)) for round_, count in rows]
