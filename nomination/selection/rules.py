"""The selection's rules in the workflows: the round's result decides; reserves move up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from nomination.engine.registry import Context, effect, guard, refusal
from nomination.models import (
    Nomination,
    SelectionEntry,
    SelectionRound,
)


def first_reserve(ctx: Context) -> Any:
    """Return the reserve who moves up first for this nomination's campaign and award."""
    n = ctx.nomination
    return ctx.session.scalar(
        select(Nomination)
        .where(
            Nomination.campaign_id == n.campaign_id,
            Nomination.kind == n.kind,
            Nomination.state.in_(ctx.workflow.states_tagged("reserve")),
            Nomination.id != n.id,
        )
        .order_by(Nomination.state_entered_at, Nomination.id)
        .limit(1)
    )


@effect("promote_reserve")
def promote_reserve(ctx: Context) -> None:
    """Move the first reserve up into the public notice in place of this nomination (递补)."""
    from nomination.engine.core import fire

    reserve = first_reserve(ctx)
    if reserve is None:  # the guard reserve_available said there was one
        raise RuntimeError("no reserve to move up")
    comment = f"递补推荐 {ctx.nomination.id}({ctx.nomination.nominee_name})"
    fire(reserve, "promote", ctx.actor, data={"comment": comment}, now=ctx.now)
    ctx.notes["replaced_by"] = reserve.id


@guard(
    "reserve_available",
    label={
        "zh": "有递补人选",
        "en": "A reserve is waiting",
    },
)
def reserve_available(ctx: Context) -> dict[str, str] | None:
    """A reserve (递补人选) of the same campaign and award is waiting to move up."""
    if first_reserve(ctx) is None:
        return refusal("本奖项没有递补人选", "There is no reserve for this award")
    return None


#: The trigger that applies each result of a closed selection round.
ROUND_TRIGGERS = {"selected": "select", "reserve": "hold_in_reserve", "not_selected": "not_select"}


@guard(
    "selection_round_allows",
    label={"zh": "符合评审委员会表决结果", "en": "Matches the selection committee's vote"},
)
def selection_round_allows(ctx: Context) -> dict[str, str] | None:
    """While a round votes on the nomination nothing decides it; after, only its result.

    A nomination in no round may be decided directly, recording a decision taken outside the
    system (the comment says which).
    """
    if not ctx.workflow.tagged(ctx.nomination.state, "selection"):
        return None
    entry = ctx.session.scalar(
        select(SelectionEntry)
        .join(SelectionRound)
        .where(SelectionEntry.nomination_id == ctx.nomination.id)
        .order_by(SelectionRound.id.desc())
        .limit(1)
    )
    if entry is None:
        return None
    round_ = entry.round
    if round_.status == "open":
        return refusal(
            f"评审委员会第{round_.number}轮正在表决",
            f"Selection round {round_.number} is voting on it",
        )
    if entry.result == "tie" or entry.result is None:
        return refusal(
            f"第{round_.number}轮票数相同,待主任委员决定",
            f"Round {round_.number} tied; the chair decides",
        )
    if ROUND_TRIGGERS.get(entry.result) != ctx.transition.trigger:
        return refusal(
            f"与第{round_.number}轮表决结果不符",
            f"Round {round_.number} decided otherwise",
        )
    return None
