"""The public notice's rules in the workflows: publish, pause, resume and end it."""

from __future__ import annotations

from nomination.engine.registry import Context, effect
from nomination.models import (
    evidence,
)
from nomination.notices import publication as notices


@effect("pause_notice")
def pause_notice(ctx: Context) -> None:
    """Keep how many working days the interrupted notice had left, to resume it with."""
    due = ctx.nomination.timer_due_at
    left = ctx.calendar.remaining_working_days(ctx.now, due) if due else 0
    evidence.add(
        ctx.nomination, "notice_paused", {"at": ctx.now.isoformat(), "working_days_left": left}
    )
    ctx.notes["notice_working_days_left"] = left


@effect("resume_notice")
def resume_notice(ctx: Context) -> None:
    """Resume the notice after an unfounded objection, as the campaign's rule says.

    "extend": for the working days it had left when the objection interrupted it (at least
    one, so that the public sees it again); "restart": for a full period.
    """
    rule = ctx.nomination.campaign.objection_resume
    paused = evidence.notice_pause(ctx.nomination)
    if rule == "extend" and paused:
        ctx.timer_working_days = max(1, int(paused.get("working_days_left") or 0))
    ctx.notes["notice_resumed"] = {"rule": rule, "working_days": ctx.timer_working_days}


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
