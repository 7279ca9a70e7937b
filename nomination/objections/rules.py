"""The objections' rules in the workflows: filing, concluding, and the unit's verification."""

from __future__ import annotations

import secrets

from nomination.engine.registry import Context, effect
from nomination.models import (
    Objection,
    evidence,
)


def new_objection_reference() -> str:
    """Return a reference number an objector can quote, hard to guess."""
    return "YY-" + secrets.token_hex(6).upper()


@effect("open_objection")
def open_objection(ctx: Context) -> None:
    """Store the public's objection; its reference is given back to the objector."""
    objection = Objection(
        nomination=ctx.nomination,
        reference=new_objection_reference(),
        objector_name=ctx.data["objector_name"],
        objector_phone=ctx.data["objector_phone"],
        objector_address=ctx.data["objector_address"],
        objector_kind=ctx.data.get("objector_kind") or "person",
        facts=ctx.data["facts"],
        received_at=ctx.now,
    )
    ctx.session.add(objection)
    ctx.session.flush()
    # The audit event records that an objection exists: never who made it, nor its reference
    # (the objector's key for following it), since the nominating unit reads the history.
    ctx.notes["objection_id"] = objection.id
    ctx.data.clear()


def _conclude(ctx: Context, status: str) -> None:
    for objection in ctx.nomination.objections:
        if objection.status == "open":
            objection.status = status
            objection.conclusion = ctx.data.get("comment") or ctx.data.get("reason")


@effect("dismiss_objections")
def dismiss_objections(ctx: Context) -> None:
    """Conclude the open objections as unfounded."""
    _conclude(ctx, "unfounded")


@effect("uphold_objections")
def uphold_objections(ctx: Context) -> None:
    """Conclude the open objections as founded."""
    _conclude(ctx, "founded")


@effect("close_objections")
def close_objections(ctx: Context) -> None:
    """Close the open objections of a nomination given up before they were concluded."""
    for objection in ctx.nomination.objections:
        if objection.status == "open":
            objection.status = "closed"
            objection.conclusion = "推荐单位逾期未报核实情况,视为放弃推荐"


@effect("record_verification_request")
def record_verification_request(ctx: Context) -> None:
    """Keep the federation's request to the unit: what to verify, and by when."""
    days = ctx.nomination.campaign.objection_answer_working_days
    period = ctx.calendar.period(ctx.now, days)
    evidence.add(
        ctx.nomination,
        "verifications",
        {
            "requested_at": ctx.now.isoformat(),
            "requested_by": ctx.actor.name,
            "questions": ctx.data["questions"],
            "due_at": period.ends_at.isoformat(),
            "working_days": days,
            "provisional": period.provisional,
        },
        append=True,
    )


@effect("record_verification_answer")
def record_verification_answer(ctx: Context) -> None:
    """Keep the unit's answer, signed by its leader in charge, with the request it answers."""
    requests = evidence.verifications(ctx.nomination)
    answer: evidence.VerificationAnswer = {
        "answered_at": ctx.now.isoformat(),
        "answered_by": ctx.actor.name,
        "finding": ctx.data["finding"],
        "opinion": ctx.data["opinion"],
        "leader_name": ctx.data["leader_name"],
        "leader_post": ctx.data["leader_post"],
    }
    if requests and "answer" not in requests[-1]:
        requests[-1] = {**requests[-1], "answer": answer}
    else:  # an answer with no open request (an older definition): kept all the same
        requests.append({"answer": answer})
    evidence.set_verifications(ctx.nomination, requests)
