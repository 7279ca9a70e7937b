"""Appending to and verifying the hash-chained audit trail."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nomination.db import utcnow
from nomination.models import AuditEvent, AuditHead
from nomination.models.audit import GENESIS_HASH

#: The fields of an event in the order they are documented; all of them go into the payload.
EVENT_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_name",
    "role",
    "organisation_id",
    "campaign_id",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
    "comment",
    "prev_hash",
)


def _plain(value: Any) -> Any:
    """Turn dates into ISO strings and refuse floats, whose text form is not canonical."""
    if isinstance(value, float):
        raise TypeError("floats are not allowed in audited records")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def canonical_json(record: dict[str, Any]) -> str:
    """Serialise ``record`` the one way this project hashes: sorted keys, no spaces, UTF-8."""
    return json.dumps(_plain(record), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def sha256_hex(text: str) -> str:
    """Return the SHA-256 of ``text`` encoded as UTF-8, in hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Appended:
    """What an append returns: the new event's place in the chain."""

    seq: int
    hash: str


_EVENTS = AuditEvent.__table__
_HEAD = AuditHead.__table__
# Built once: executing a prebuilt statement with parameters reuses its compiled form.
_LOCK_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
_INSERT_EVENT = _EVENTS.insert()
_MOVE_HEAD = _HEAD.update().where(_HEAD.c.id == 1)


def append_event(
    session: Session,
    *,
    action: str,
    actor_id: int | None = None,
    actor_name: str = "system",
    role: str | None = None,
    organisation_id: int | None = None,
    campaign_id: int | None = None,
    entity_type: str | None = None,
    entity_id: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    comment: str | None = None,
    now: datetime | None = None,
) -> Appended:
    """Append one event to the chain in the caller's transaction."""
    # Flush first, so that the event follows the changes it records in the same transaction.
    session.flush()
    # Locking the head row serialises appenders, so two transactions never chain to one parent.
    # Core statements, not the ORM: this runs once per change and is the hot path.
    head = session.execute(_LOCK_HEAD).one()
    occurred_at = (now or utcnow()).astimezone(UTC)
    record = {
        "seq": head.seq + 1,
        "occurred_at": occurred_at.isoformat(),
        "actor_id": actor_id,
        "actor_name": actor_name,
        "role": role,
        "organisation_id": organisation_id,
        "campaign_id": campaign_id,
        "action": action,
        "entity_type": entity_type,
        "entity_id": None if entity_id is None else str(entity_id),
        "before": _plain(before) if before is not None else None,
        "after": _plain(after) if after is not None else None,
        "comment": comment,
        "prev_hash": head.hash,
    }
    payload = canonical_json(record)
    digest = sha256_hex(payload)
    session.execute(
        _INSERT_EVENT, {**record, "occurred_at": occurred_at, "hash": digest, "payload": payload}
    )
    session.execute(_MOVE_HEAD, {"seq": record["seq"], "hash": digest})
    return Appended(record["seq"], digest)


def event_record(event: AuditEvent) -> dict[str, Any]:
    """Return the fields of a stored event as they appear in its payload."""
    record = {name: getattr(event, name) for name in EVENT_FIELDS}
    record["occurred_at"] = event.occurred_at.isoformat()
    return record


@dataclass
class VerifyResult:
    """The outcome of checking the chain."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data."""
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
        }


def _events(session: Session) -> Iterator[AuditEvent]:
    result = session.scalars(
        select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=1000)
    )
    try:
        yield from result
    finally:
        # Stopping at the first bad event must not leave a server-side cursor open.
        result.close()


def verify_chain(session: Session) -> VerifyResult:
    """Re-check every event: its hash, its link to the previous one, its columns and the head."""
    with contextlib.closing(_events(session)) as events:
        return _verify(session, events)


def _verify(session: Session, events: Iterator[AuditEvent]) -> VerifyResult:
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for event in events:
        if event.seq != expected_seq:
            return VerifyResult(
                False, checked, expected_seq, f"event {expected_seq} is missing (found {event.seq})"
            )
        if sha256_hex(event.payload) != event.hash:
            return VerifyResult(False, checked, event.seq, "payload does not match its hash")
        stored = json.loads(event.payload)
        if stored.get("prev_hash") != prev_hash:
            return VerifyResult(
                False,
                checked,
                event.seq,
                "not linked to the previous event (inserted or reordered)",
            )
        if stored != _plain(event_record(event)):
            return VerifyResult(False, checked, event.seq, "columns differ from the hashed record")
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    head = session.get(AuditHead, 1)
    if head is None or head.seq != checked or head.hash != prev_hash:
        return VerifyResult(
            False,
            checked,
            checked + 1,
            "the chain ends before its recorded head (events deleted from the end)",
        )
    return VerifyResult(True, checked)
