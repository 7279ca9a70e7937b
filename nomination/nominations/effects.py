"""Effects named by workflow definitions; they run inside the firing transaction."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from sqlalchemy import select

from nomination.archive import people as archive
from nomination.engine.registry import Context, effect
from nomination.i18n import pick
from nomination.models import HonourRecord, Objection
from nomination.notices import publication as notices


def _add_evidence(ctx: Context, key: str, value: Any, append: bool = False) -> None:
    # Reassign rather than mutate: the JSON column only notices a new value.
    evidence = dict(ctx.nomination.evidence or {})
    if append:
        evidence[key] = [*evidence.get(key, []), value]
    else:
        evidence[key] = value
    ctx.nomination.evidence = evidence


@effect("record_unit_recommendation")
def record_unit_recommendation(ctx: Context) -> None:
    """Keep the workers'-congress vote and the unit's notice with the nomination."""
    _add_evidence(ctx, "unit_recommendation", ctx.data)


@effect("record_opinion")
def record_opinion(ctx: Context) -> None:
    """Keep the opinion (意见) of this level: who, in which role, when, what."""
    text = ctx.data.get("comment") or ctx.data.get("reason") or ""
    opinion = {
        "role": ctx.role,
        "by": ctx.actor.name,
        "at": ctx.now.isoformat(),
        "trigger": ctx.transition.trigger,
        "text": text,
    }
    # What must change, field by field (a return): only the nominee form's fields. The form
    # checked the shape; only the workflow knows the nominee form, so the names are checked
    # here, and the caller rolls the transition back.
    remarks = ctx.data.get("field_remarks")
    if remarks:
        known = {f.name for f in ctx.workflow.nominee_form.fields}
        unknown = [name for name in remarks if name not in known]
        if unknown:
            from nomination.errors import InvalidData

            names = ", ".join(name[:64] for name in unknown)
            message = pick({"zh": f"没有这一项:{names}", "en": f"No such field: {names}"})
            raise InvalidData(
                f"field_remarks names no field of the nominee form: {names}",
                fields={"field_remarks": [message]},
            )
        opinion["field_remarks"] = dict(remarks)
    _add_evidence(ctx, "opinions", opinion, append=True)


@effect("record_decision")
def record_decision(ctx: Context) -> None:
    """Set the decision number and date (表彰决定) on the nomination."""
    ctx.nomination.decision_number = ctx.data["decision_number"]
    ctx.nomination.decision_date = date.fromisoformat(ctx.data["decision_date"])


@effect("create_honour_record")
def create_honour_record(ctx: Context) -> None:
    """Write the nominee's archive record, in the same transaction as the approval."""
    n = ctx.nomination
    award = n.campaign.award(n.kind)
    title = award.title if award else pick(ctx.workflow.title, "zh")
    person = None
    if n.kind == "individual":
        # One record per person across years and levels: a second honour extends it.
        person, _created = archive.find_or_create_person(
            ctx.session,
            n.campaign.federation,
            id_number=n.data["id_number"],
            name=n.nominee_name,
            actor=ctx.actor,
            now=ctx.now,
            gender=n.data.get("gender"),
            birth_date=n.data.get("birth_date"),
            ethnicity=n.data.get("ethnicity"),
            phone=n.data.get("phone"),
            unit_id=n.unit_id,
            unit_name=n.unit.name,
            post=n.data.get("post") or "",
            sector=n.data.get("industry") or "",
        )
    record = HonourRecord(
        nomination=n,
        person=person,
        team_id=n.team_id,
        level=archive.level_of_title(title),
        honour_type=archive.HONOUR_TYPE_OF_KIND.get(n.kind),
        kind=n.kind,
        title=title,
        year=n.campaign.year,
        holder_name=n.nominee_name,
        unit_id=n.unit_id,
        conferred_by=n.campaign.objection_contact.get("body", ""),
        decision_number=n.decision_number or ctx.data["decision_number"],
        decision_date=n.decision_date or date.fromisoformat(ctx.data["decision_date"]),
    )
    ctx.session.add(record)
    ctx.session.flush()
    ctx.notes["honour_record_id"] = record.id


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


@effect("pause_notice")
def pause_notice(ctx: Context) -> None:
    """Keep how many working days the interrupted notice had left, to resume it with."""
    due = ctx.nomination.timer_due_at
    left = ctx.calendar.remaining_working_days(ctx.now, due) if due else 0
    _add_evidence(ctx, "notice_paused", {"at": ctx.now.isoformat(), "working_days_left": left})
    ctx.notes["notice_working_days_left"] = left


@effect("resume_notice")
def resume_notice(ctx: Context) -> None:
    """Resume the notice after an unfounded objection, as the campaign's rule says.

    "extend": for the working days it had left when the objection interrupted it (at least
    one, so that the public sees it again); "restart": for a full period.
    """
    rule = ctx.nomination.campaign.objection_resume
    paused = (ctx.nomination.evidence or {}).get("notice_paused") or {}
    if rule == "extend" and paused:
        ctx.timer_working_days = max(1, int(paused.get("working_days_left") or 0))
    ctx.notes["notice_resumed"] = {"rule": rule, "working_days": ctx.timer_working_days}


@effect("record_verification_request")
def record_verification_request(ctx: Context) -> None:
    """Keep the federation's request to the unit: what to verify, and by when."""
    days = ctx.nomination.campaign.objection_answer_working_days
    period = ctx.calendar.period(ctx.now, days)
    _add_evidence(
        ctx,
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
    evidence = dict(ctx.nomination.evidence or {})
    requests = [dict(r) for r in evidence.get("verifications", [])]
    answer = {
        "answered_at": ctx.now.isoformat(),
        "answered_by": ctx.actor.name,
        "finding": ctx.data["finding"],
        "opinion": ctx.data["opinion"],
        "leader_name": ctx.data["leader_name"],
        "leader_post": ctx.data["leader_post"],
    }
    if requests and "answer" not in requests[-1]:
        requests[-1]["answer"] = answer
    else:  # an answer with no open request (an older definition): kept all the same
        requests.append({"answer": answer})
    evidence["verifications"] = requests
    ctx.nomination.evidence = evidence


def first_reserve(ctx: Context) -> Any:
    """Return the reserve who moves up first for this nomination's campaign and award."""
    from nomination.models import Nomination

    n = ctx.nomination
    return ctx.session.scalar(
        select(Nomination)
        .where(
            Nomination.campaign_id == n.campaign_id,
            Nomination.kind == n.kind,
            Nomination.state == "reserve",
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


@effect("publish_notice")
def publish_notice(ctx: Context) -> None:
    """Publish the nominee on the public notice, keeping exactly what the public is shown."""
    entry = notices.publish(
        ctx.session,
        ctx.nomination,
        ctx.workflow,
        at=ctx.now,
        calendar=ctx.calendar,
        working_days=ctx.timer_working_days,
    )
    # The event names the entry and the digest of what it published, so that the archived
    # notice can be checked against the audit trail.
    ctx.notes["notice_entry"] = {
        "id": entry.id,
        "sequence": entry.sequence,
        "sha256": notices.digest(entry),
    }


@effect("end_notice")
def end_notice(ctx: Context) -> None:
    """Close the nominee's entry on the public notice; it stays in the notice archive."""
    notices.end(ctx.session, ctx.nomination, at=ctx.now)


@effect("open_consultation")
def open_consultation(ctx: Context) -> None:
    """Send one opinion request to each department the campaign's rules name (征求意见)."""
    from nomination.consultations.operations import open_requests

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
    from nomination.consultations.operations import close_open

    closed = close_open(ctx.session, ctx.nomination)
    if closed:
        ctx.notes["consultation_closed"] = closed
