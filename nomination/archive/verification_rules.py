"""Guards and effects of the annual verification workflow (workflows/verification.toml).

A verification case is one unit's part of a round (``ArchiveCase`` of kind "verification"),
with one ``VerificationEntry`` per person the unit confirms or corrects. The corrections enter
the archive only when the federation accepts the case (``apply_verification``), through the
archive's own operations, so each is versioned and audited like any other change.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from nomination.archive import people as archive
from nomination.db import rows_where
from nomination.definitions.forms import missing_required
from nomination.engine.registry import Context, effect, guard, refusal
from nomination.i18n import pick
from nomination.models import (
    ArchiveCase,
    ArchivePerson,
    AuditEvent,
    User,
    VerificationEntry,
    VerificationRound,
)

#: The person's own fields a unit may correct (PersonVersion keeps the old values).
CORRECTED_FIELDS = ("phone", "address", "unit_name", "post")


def entries_of(ctx: Context) -> list[VerificationEntry]:
    """Return the case's entries, in the order they were created."""
    return rows_where(ctx.session, VerificationEntry.case_id, ctx.subject.id)


def answerers(ctx: Context) -> dict[int, User]:
    """Return, per person id, the unit's user who last answered for them in the case."""
    events = ctx.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.action == "verification.answer",
            AuditEvent.entity_type == ArchiveCase.AUDIT_ENTITY,
            AuditEvent.entity_id == str(ctx.subject.id),
        )
        .order_by(AuditEvent.seq)
    )
    by_person = {e.after["person_id"]: e.actor_id for e in events if e.after and e.actor_id}
    found = ctx.session.scalars(select(User).where(User.id.in_(set(by_person.values()))))
    users = {u.id: u for u in found}
    return {p: users[u] for p, u in by_person.items() if u in users}


@guard(
    "verification_round_open",
    label={"zh": "本轮核查尚未结束", "en": "The verification round is still open"},
)
def verification_round_open(ctx: Context) -> dict[str, str] | None:
    """The case's round has not been closed (its report is final then)."""
    query = select(VerificationRound).where(
        VerificationRound.id == ctx.subject.verification_round_id
    )
    if ctx.firing:
        # Shared lock: a close waits for this submission, then sees it (and refuses to close
        # over a submission not yet checked); a submission that waited for a close sees it.
        query = query.with_for_update(read=True).execution_options(populate_existing=True)
    round_ = ctx.session.scalars(query).one_or_none()
    if round_ is not None and round_.status == "open":
        return None
    return refusal("本轮核查已结束,不能再报送", "The round is closed; nothing more can be sent")


@guard(
    "every_person_answered",
    label={
        "zh": "每位劳模均已确认或更正",
        "en": "Every person is confirmed or corrected",
    },
)
def every_person_answered(ctx: Context) -> dict[str, str] | None:
    """Each entry of the case has an outcome (confirmed or corrected)."""
    left = ctx.session.scalar(
        select(func.count())
        .select_from(VerificationEntry)
        .where(VerificationEntry.case_id == ctx.subject.id, VerificationEntry.outcome.is_(None))
    )
    if not left:
        return None
    return refusal(
        f"还有 {left} 人未确认或更正", f"{left} people are not yet confirmed or corrected"
    )


@guard(
    "verification_contact_given",
    label={"zh": "已填写本单位核查联系人", "en": "The unit's contact is given"},
)
def verification_contact_given(ctx: Context) -> dict[str, str] | None:
    """The case's own form (the unit's contact for this round) has its required fields."""
    missing = missing_required(ctx.workflow.nominee_form, ctx.subject.data or {})
    if not missing:
        return None
    names = "、".join(pick(f.label, "zh") for f in missing)
    names_en = ", ".join(pick(f.label, "en") for f in missing)
    return refusal(f"请填写:{names}", f"Fill in: {names_en}")


@effect("apply_verification")
def apply_verification(ctx: Context) -> None:
    """Apply each corrected entry to its person: a new version, a dated status report."""
    case = ctx.subject
    round_ = ctx.session.get(VerificationRound, case.verification_round_id)
    year = round_.year if round_ is not None else ""
    accepted_by = getattr(ctx.actor, "name", "")
    note = f"{year}年度核查更正(核查单 {case.id},{accepted_by} 审核通过)"
    answered_by = answerers(ctx)
    applied: list[dict[str, Any]] = []
    for entry in entries_of(ctx):
        if entry.outcome != "corrected" or not entry.corrections:
            continue
        person = ctx.session.get(ArchivePerson, entry.person_id)
        # Merged into another record since the round opened: that record lives on.
        while person is not None and person.merged_into_id is not None:
            person = ctx.session.get(ArchivePerson, person.merged_into_id)
        if person is None:
            continue
        corrections = entry.corrections
        changes = {k: corrections[k] for k in CORRECTED_FIELDS if k in corrections}
        # The record may have changed since the unit answered: only what still differs is
        # written (update_person records nothing when nothing differs).
        changed = archive.update_person(
            ctx.session, person, ctx.actor, changes, note=note, now=ctx.now
        )
        status = corrections.get("status")
        reported = False
        if status and status != person.status:
            archive.report_status(
                ctx.session,
                person,
                ctx.actor,
                status=status,
                effective_date=date.fromisoformat(corrections["effective_date"]),
                note=note,
                now=ctx.now,
                # The unit reported it; the federation's reviewer (the actor) accepted it.
                reporter=answered_by.get(entry.person_id) or ctx.actor,
            )
            reported = True
        if changed or reported:
            # Names only: the values are in the person's own audited events.
            applied.append({"person_id": person.id, "fields": sorted(changed), "status": reported})
    ctx.notes["applied"] = applied
