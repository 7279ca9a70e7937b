"""Erasing a person's data from the audit trail without breaking its verification.

The hashed events hold only salted commitments to personal values; the salts and clear values
live in ``audit_personal`` (see :mod:`nomination.audit.chain`). Erasure deletes a subject's rows
there
and appends an event recording the erasure: which subject, which events, how many values, by
whom and why — never the data. The chain still verifies; the commitments left behind reveal
nothing, since nobody holds their salts any more; and verification counts the values as
redacted, and fails for values that disappeared without such an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from nomination.actors import SystemActor, actor_fields
from nomination.audit.chain import ERASE_ACTION, append_event, lock_head, subject_key
from nomination.errors import InvalidData, NotFound, PermissionDenied
from nomination.models import Nomination
from nomination.models.audit import AuditPersonal
from nomination.permissions import can_administer


@dataclass(frozen=True)
class Erasure:
    """What an erasure removed, and the event that records it."""

    subject: str
    values: int
    events: list[int]
    seq: int


def _subject(subject: int | str) -> str:
    if isinstance(subject, int):
        return subject_key("nomination", subject)
    return subject


def erase_person(
    session: Session,
    *,
    actor: Any,
    subject: int | str,
    reason: str,
    now: datetime | None = None,
) -> Erasure:
    """Erase a person's values from the audit trail and audit the erasure; never commits.

    ``subject`` is a nomination id or a subject key such as ``nomination:42``. Only
    administrators (and the command line) may erase. The reason (the request or the legal
    ground) is required and recorded.
    """
    if not (isinstance(actor, SystemActor) or can_administer(actor)):
        raise PermissionDenied("only administrators may erase personal data")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidData("give the reason for the erasure", fields={"reason": ["required"]})
    key = _subject(subject)
    # Appends wait for this lock, so no event of this subject can slip in between the values
    # deleted and the erasure's event.
    session.flush()
    lock_head(session)
    counts = session.execute(
        select(AuditPersonal.seq, func.count())
        .where(AuditPersonal.subject == key)
        .group_by(AuditPersonal.seq)
        .order_by(AuditPersonal.seq)
    ).all()
    if not counts:
        raise NotFound(f"the audit trail holds no personal data of {key}")
    session.execute(delete(AuditPersonal).where(AuditPersonal.subject == key))
    events = [seq for seq, _ in counts]
    values = sum(n for _, n in counts)
    entity_type, _, entity_id = key.partition(":")
    nomination = (
        session.get(Nomination, int(entity_id))
        if entity_type == "nomination" and entity_id.isdigit()
        else None
    )
    appended = append_event(
        session,
        action=ERASE_ACTION,
        **actor_fields(actor),
        role="admin",
        organisation_id=nomination.unit_id if nomination else None,
        campaign_id=nomination.campaign_id if nomination else None,
        entity_type=entity_type if entity_id else None,
        entity_id=entity_id or key,
        after={"subject": key, "events": events, "values": values},
        comment=reason,
        now=now,
    )
    return Erasure(key, values, events, appended.seq)
