"""The consultation's rules in the workflows: open and close the requests, read the answers."""

from __future__ import annotations

from nomination.consultations.operations import close_open, open_requests, requests_of
from nomination.engine.registry import Context, effect, guard, refusal


@effect("open_consultation")
def open_consultation(ctx: Context) -> None:
    """Send one opinion request to each department the campaign's rules name (征求意见)."""
    days = ctx.nomination.campaign.consultation_working_days
    period = ctx.calendar.period(ctx.now, days)
    requests = open_requests(
        ctx.session,
        ctx.nomination,
        now=ctx.now,
        due_at=period.ends_at,
        working_days=days,
        provisional=period.provisional,
    )
    # Which departments stays out of the event: the unit reads its nomination's history.
    # Each opinion's own event names its department.
    ctx.notes["consultation"] = {
        "requests": [r.id for r in requests],
        "due_at": period.ends_at.isoformat(),
        "provisional": period.provisional,
    }


@effect("close_consultation")
def close_consultation(ctx: Context) -> None:
    """End the requests still open: the nomination no longer needs those opinions."""
    closed = close_open(ctx.session, ctx.nomination)
    if closed:
        ctx.notes["consultation_closed"] = closed


@guard(
    "consultation_all_clear",
    label={
        "zh": "征求意见的部门均已回复无异议",
        "en": "Every consulted department answered: no objection",
    },
)
def consultation_all_clear(ctx: Context) -> dict[str, str] | None:
    """Every department consulted on the nomination has answered, and none objects."""
    requests = [r for r in requests_of(ctx.session, ctx.nomination) if r.status != "closed"]
    waiting = [r.department.name for r in requests if r.status == "open"]
    if any(r.status == "adverse" for r in requests):
        return refusal("有部门提出否决意见", "A department raised an adverse opinion")
    if waiting:
        return refusal(
            "尚待以下部门回复:" + "、".join(waiting),
            f"Waiting for {len(waiting)} department(s) to answer",
        )
    return None


@guard(
    "consultation_adverse",
    label={"zh": "有部门提出否决意见", "en": "A department raised an adverse opinion"},
)
def consultation_adverse(ctx: Context) -> dict[str, str] | None:
    """A department consulted on the nomination gave an adverse opinion (一票否决)."""
    if any(r.status == "adverse" for r in requests_of(ctx.session, ctx.nomination)):
        return None
    return refusal("没有部门提出否决意见", "No department raised an adverse opinion")
