"""Appending to and verifying the hash-chained audit trail, with erasable personal data.

A person's data never enters the hashed record in clear. Where an event carries it (a
nomination's nominee data when created or edited, the address a user signed in from), each
value is replaced by a salted commitment ``{"$c": SHA-256(salt ‖ canonical JSON of the
value)}``; the salt and the clear value go into ``audit_personal``, in the same transaction.
Reading an event for display joins them back (:func:`event_view`); :func:`verify_chain` checks
every commitment against its value and salt. Erasing a person (:mod:`nomination.audit.erasure`)
deletes their salts and values and records the erasure as an event: the chain still verifies,
reports the values as redacted, and a value that disappeared without a recorded erasure is an
error.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypedDict, Unpack, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session, object_session

from nomination.actors import actor_fields
from nomination.canonical import dumps as _dumps
from nomination.canonical import plain as _plain
from nomination.canonical import sha256_hex
from nomination.db import utcnow
from nomination.models import ArchiveCase, AuditEvent, AuditHead, Nomination, Organisation
from nomination.models.audit import GENESIS_HASH, AuditPersonal

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

#: The key of a commitment object, ``{"$c": "<hex>"}``; reserved in audited records.
COMMITMENT = "$c"
#: How a commitment appears in a payload: a quick test for events that hold one.
COMMITMENT_MARK = '{"$c":'
#: Shown instead of a personal value whose salt and clear value were erased.
REDACTED = "[redacted]"
#: Shown instead of a personal value whose stored clear value no longer matches the record.
ALTERED = "[altered]"
#: The action of the event that records an erasure; its ``after`` lists the events erased.
ERASE_ACTION = "personal_data.erase"
#: Random bytes of each salt: enough that a short value (a birth date) cannot be guessed back.
SALT_BYTES = 16


@dataclass(frozen=True)
class Personal:
    """Whose data an event carries, and where: each path names a dict of personal values.

    ``paths`` are (side, key) pairs such as ``("after", "data")``: every value of
    ``after["data"]`` is committed to, field by field, so the field names stay readable.
    """

    subject: str
    paths: tuple[tuple[str, str], ...]


#: The actions whose before/after carry a person's data, and where. The subject is the
#: event's entity (``nomination:42``). An action not listed carries no personal data.
PERSONAL_PATHS: dict[str, tuple[tuple[str, str], ...]] = {
    "nomination.create": (("after", "data"),),
    "nomination.update": (("before", "data"), ("after", "data")),
    # The network address a user signed in from (the subject is the user, ``user:7``).
    "auth.login": (("after", "client"),),
    "auth.login_failed": (("after", "client"),),
    # A unit's contact person and phone; a user's name and e-mail address.
    "organisation.create": (("after", "contact"),),
    "organisation.update": (("before", "contact"), ("after", "contact")),
    "user.create": (("after", "person"),),
    "user.update": (("before", "person"), ("after", "person")),
}


def subject_key(entity_type: str, entity_id: Any) -> str:
    """Return the key naming a data subject: ``nomination:42``."""
    return f"{entity_type}:{entity_id}"


def commitment(salt_hex: str, value_json: str) -> str:
    """Return SHA-256(salt ‖ UTF-8 of the value's canonical JSON), in hex."""
    return hashlib.sha256(bytes.fromhex(salt_hex) + value_json.encode("utf-8")).hexdigest()


def _token(part: str) -> str:
    if "~" in part or "/" in part:
        return part.replace("~", "~0").replace("/", "~1")
    return part


def pointer(*parts: str) -> str:
    """Return the JSON Pointer (RFC 6901) of ``parts``: ``/after/data/name``."""
    return "".join("/" + _token(p) for p in parts)


@dataclass(frozen=True)
class Appended:
    """What an append returns: the new event's place in the chain."""

    seq: int
    hash: str


# Each model maps a Table (declarative types ``__table__`` as any FromClause).
_EVENTS = cast(Table, AuditEvent.__table__)
_HEAD = cast(Table, AuditHead.__table__)
_PERSONAL = cast(Table, AuditPersonal.__table__)
# Built once: executing a prebuilt statement with parameters reuses its compiled form.
_LOCK_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
_INSERT_EVENT = _EVENTS.insert()
_INSERT_PERSONAL = _PERSONAL.insert()
_MOVE_HEAD = _HEAD.update().where(_HEAD.c.id == 1)
_HEAD_SEQ = select(_HEAD.c.seq).where(_HEAD.c.id == 1)


def lock_head(session: Session) -> Any:
    """Lock the chain's head row for this transaction and return it (seq, hash)."""
    return session.execute(_LOCK_HEAD).one()


def _commit_personal(record: dict[str, Any], personal: Personal) -> list[dict[str, Any]]:
    """Replace the personal values in ``record`` by commitments; return their stored rows."""
    rows = []
    seq = record["seq"]
    subject = personal.subject
    sha256 = hashlib.sha256
    for side, key in personal.paths:
        part = record[side]
        values = part.get(key) if part else None
        if not values or not isinstance(values, dict):
            continue
        prefix = f"/{side}/{_token(key)}/"
        # One read of the system's random source for every salt of the dict.
        salts = os.urandom(SALT_BYTES * len(values))
        for i, (name, value) in enumerate(values.items()):
            text = _dumps(value)
            salt = salts[i * SALT_BYTES : (i + 1) * SALT_BYTES]
            values[name] = {COMMITMENT: sha256(salt + text.encode("utf-8")).hexdigest()}
            rows.append(
                {
                    "seq": seq,
                    "path": prefix + _token(name),
                    "subject": subject,
                    "salt": salt.hex(),
                    "value": text,
                }
            )
    return rows


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
    personal: Personal | None = None,
) -> Appended:
    """Append one event to the chain in the caller's transaction.

    Personal values (``personal``, or by default where :data:`PERSONAL_PATHS` says the action
    carries them) are hashed as salted commitments, their clear values kept apart.
    """
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
    if personal is None and action in PERSONAL_PATHS:
        if entity_id is None or entity_type is None:
            raise ValueError(f"'{action}' carries personal data: name its entity, their subject")
        personal = Personal(subject_key(entity_type, record["entity_id"]), PERSONAL_PATHS[action])
    rows = _commit_personal(record, personal) if personal is not None else ()
    # Every part of the record is plain already: serialise it without walking it again.
    payload = _dumps(record)
    if not rows and COMMITMENT_MARK in payload:
        raise ValueError(f"'{COMMITMENT}' is reserved for commitments in audited records")
    digest = sha256_hex(payload)
    session.execute(
        _INSERT_EVENT, {**record, "occurred_at": occurred_at, "hash": digest, "payload": payload}
    )
    if rows:
        session.execute(_INSERT_PERSONAL, rows)
    session.execute(_MOVE_HEAD, {"seq": record["seq"], "hash": digest})
    return Appended(record["seq"], digest)


@dataclass(frozen=True)
class Entity:
    """What an event is about: its entity, and the unit and campaign the entity belongs to."""

    type: str
    id: Any
    organisation_id: int | None = None
    campaign_id: int | None = None


def nomination_entity(nomination: Nomination) -> Entity:
    """Return a nomination as events about it name it: with its unit and campaign."""
    return Entity("nomination", nomination.id, nomination.unit_id, nomination.campaign_id)


def organisation_entity(org: Organisation) -> Entity:
    """Return an organisation as events about it name it: its own organisation."""
    return Entity("organisation", org.id, org.id)


def case_entity(case: ArchiveCase) -> Entity:
    """Return an archive case as events about it name it: with its unit."""
    return Entity("case", case.id, case.unit_id)


class Change(TypedDict, total=False):
    """What an event says of a change: the entity before and after it, and why."""

    before: dict[str, Any] | None
    after: dict[str, Any] | None
    comment: str | None


class Details(Change, total=False):
    """What else an event may say, as :func:`append_event` takes it."""

    role: str | None
    now: datetime | None
    personal: Personal | None


def record_event(
    session: Session, actor: Any, action: str, entity: Entity, **details: Unpack[Details]
) -> Appended:
    """Append the event of ``actor`` (a user, SYSTEM or PUBLIC) doing ``action`` to ``entity``."""
    return append_event(
        session,
        action=action,
        **actor_fields(actor),
        organisation_id=entity.organisation_id,
        campaign_id=entity.campaign_id,
        entity_type=entity.type,
        entity_id=entity.id,
        **details,
    )


def event_record(event: AuditEvent) -> dict[str, Any]:
    """Return the fields of a stored event as they appear in its payload."""
    record = {name: getattr(event, name) for name in EVENT_FIELDS}
    record["occurred_at"] = event.occurred_at.isoformat()
    return record


# --- reading events with their personal values ---------------------------------------------


@dataclass(frozen=True)
class EventView:
    """An event's before/after as people read them: personal values in clear, where kept.

    A value whose salt and clear value were erased reads :data:`REDACTED`; one whose stored
    clear value no longer matches the hashed record reads :data:`ALTERED`.
    """

    before: dict[str, Any] | None
    after: dict[str, Any] | None
    #: How many personal values of the event were erased.
    redacted: int = 0


def _is_commitment(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get(COMMITMENT), str)


def _commitments(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Yield (JSON Pointer, digest) of every commitment inside ``value``."""
    if _is_commitment(value):
        yield path, value[COMMITMENT]
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _commitments(v, path + pointer(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _commitments(v, f"{path}/{i}")


def _reveal(value: Any, path: str, clear: Mapping[str, tuple[str, str]], counts: list[int]) -> Any:
    if _is_commitment(value):
        found = clear.get(path)
        if found is None:
            counts[0] += 1
            return REDACTED
        salt, text = found
        if commitment(salt, text) != value[COMMITMENT]:
            return ALTERED
        return json.loads(text)
    if isinstance(value, dict):
        return {k: _reveal(v, path + pointer(k), clear, counts) for k, v in value.items()}
    if isinstance(value, list):
        return [_reveal(v, f"{path}/{i}", clear, counts) for i, v in enumerate(value)]
    return value


def _view(event: AuditEvent, clear: Mapping[str, tuple[str, str]]) -> EventView:
    counts = [0]
    before = _reveal(event.before, "/before", clear, counts)
    after = _reveal(event.after, "/after", clear, counts)
    return EventView(before, after, counts[0])


#: Sequence numbers per query when fetching clear values (bound parameters stay few).
_CHUNK = 500


def event_views(session: Session, events: Iterable[AuditEvent]) -> list[EventView]:
    """Return the views of ``events``, in order, fetching their clear values in one query."""
    events = list(events)
    wanted = [e.seq for e in events if COMMITMENT_MARK in e.payload]
    clear: dict[int, dict[str, tuple[str, str]]] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = session.execute(
            select(
                AuditPersonal.seq, AuditPersonal.path, AuditPersonal.salt, AuditPersonal.value
            ).where(AuditPersonal.seq.in_(wanted[start : start + _CHUNK]))
        )
        for seq, path, salt, value in rows:
            clear.setdefault(seq, {})[path] = (salt, value)
    marked = set(wanted)
    return [
        _view(e, clear.get(e.seq, {}))
        if e.seq in marked
        # Nothing personal in it: the stored dicts are the view.
        else EventView(e.before, e.after)
        for e in events
    ]


def event_view(event: AuditEvent, session: Session | None = None) -> EventView:
    """Return one event's before/after with its personal values in clear (or redacted)."""
    session = session or object_session(event)
    assert session is not None, "the event must belong to a session"
    return event_views(session, [event])[0]


# --- verification ----------------------------------------------------------------------------


@dataclass
class VerifyResult:
    """The outcome of checking the chain."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None
    #: Personal values whose salt and clear value were erased (recorded erasures, not errors).
    redacted: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data."""
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
            "redacted": self.redacted,
        }


@dataclass
class ChainState:
    """How far a verification of the chain got: it resumes with the next event.

    The caller passes one to :func:`verify_chain` and reads it after a run was stopped (its
    ``progress`` raised); it is JSON-ready through :meth:`as_dict` and :meth:`from_dict`.
    """

    #: Events 1 to ``checked`` were verified.
    checked: int = 0
    prev_hash: str = GENESIS_HASH
    redacted: int = 0
    #: Events whose personal values are gone, and those recorded erasures say were erased.
    missing: set[int] = field(default_factory=set)
    erased: set[int] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        """Return the state as JSON-ready data."""
        return {
            "checked": self.checked,
            "prev_hash": self.prev_hash,
            "redacted": self.redacted,
            "missing": sorted(self.missing),
            "erased": sorted(self.erased),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChainState:
        """Read a state written by :meth:`as_dict`."""
        return cls(
            checked=int(data["checked"]),
            prev_hash=str(data["prev_hash"]),
            redacted=int(data.get("redacted", 0)),
            missing={int(s) for s in data.get("missing", ())},
            erased={int(s) for s in data.get("erased", ())},
        )


def _events(session: Session, after: int) -> Generator[AuditEvent, None, None]:
    result = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.seq > after)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=1000)
    )
    try:
        yield from result
    finally:
        # Stopping at the first bad event must not leave a server-side cursor open.
        result.close()


def _personal_rows(session: Session, after: int) -> Generator[Any, None, None]:
    result = session.execute(
        select(AuditPersonal.seq, AuditPersonal.path, AuditPersonal.salt, AuditPersonal.value)
        .where(AuditPersonal.seq > after)
        .order_by(AuditPersonal.seq, AuditPersonal.path)
        .execution_options(yield_per=1000)
    )
    try:
        yield from result
    finally:
        result.close()


def _watched(
    events: Iterator[AuditEvent], progress: Callable[[int], None], start: int
) -> Iterator[AuditEvent]:
    for checked, event in enumerate(events, start):
        # Every 256 events: often enough to stop on time, rarely enough to cost nothing; never
        # before this run's first ones, so that each run resumed moves on.
        if checked % 256 == 0 and checked > start:
            progress(checked)
        yield event


def verify_chain(
    session: Session,
    progress: Callable[[int], None] | None = None,
    state: ChainState | None = None,
) -> VerifyResult:
    """Re-check every event: its hash, its link, its columns, its personal values and the head.

    ``progress`` is called with the number of events checked so far, every few hundred; it
    may raise to stop a run that has taken too long (the exception propagates, and ``state``
    then says how far it got). Given the ``state`` of a stopped run, it resumes there: each
    event is checked once, as it stood when the run reached it.
    """
    state = state if state is not None else ChainState()
    # Where each statement reads its own snapshot (PostgreSQL), the head is read first, then
    # the clear values, then the events: a value missing from an event the head already
    # covered was erased before the events were read, so the erasure's event is among them.
    # Events appended meanwhile may have values the earlier read could not see yet.
    settled = session.execute(_HEAD_SEQ).scalar() or 0
    with (
        contextlib.closing(_personal_rows(session, state.checked)) as personal,
        contextlib.closing(_events(session, state.checked)) as events,
    ):
        watched = events if progress is None else _watched(events, progress, state.checked)
        return _verify(session, watched, personal, settled, state)


def _verify(
    session: Session,
    events: Iterator[AuditEvent],
    personal: Iterator[Any],
    settled: int,
    state: ChainState,
) -> VerifyResult:
    def bad(seq: int | None, problem: str) -> VerifyResult:
        return VerifyResult(False, state.checked, seq, problem, state.redacted)

    row = next(personal, None)
    for event in events:
        expected_seq = state.checked + 1
        if event.seq != expected_seq:
            return bad(expected_seq, f"event {expected_seq} is missing (found {event.seq})")
        if sha256_hex(event.payload) != event.hash:
            return bad(event.seq, "payload does not match its hash")
        stored = json.loads(event.payload)
        if stored.get("prev_hash") != state.prev_hash:
            return bad(event.seq, "not linked to the previous event (inserted or reordered)")
        if stored != _plain(event_record(event)):
            return bad(event.seq, "columns differ from the hashed record")
        if row is not None and row.seq < event.seq:
            # Rows of an event that has no commitment where they claim to be.
            return bad(row.seq, "a personal value is stored for no commitment")
        if COMMITMENT_MARK in event.payload:
            kept = {}
            while row is not None and row.seq == event.seq:
                kept[row.path] = row
                row = next(personal, None)
            committed = dict(_commitments(stored.get("before"), "/before"))
            committed.update(_commitments(stored.get("after"), "/after"))
            for path, digest in committed.items():
                found = kept.pop(path, None)
                if found is None:
                    if event.seq <= settled:
                        state.redacted += 1
                        state.missing.add(event.seq)
                elif commitment(found.salt, found.value) != digest:
                    return bad(event.seq, f"personal value {path} does not match its commitment")
            if kept:
                return bad(event.seq, f"personal value {min(kept)} is stored for no commitment")
        elif row is not None and row.seq == event.seq:
            return bad(event.seq, "a personal value is stored for no commitment")
        if event.action == ERASE_ACTION:
            state.erased.update((stored.get("after") or {}).get("events") or ())
        state.prev_hash = event.hash
        state.checked = event.seq
    head = session.get(AuditHead, 1)
    if head is None or head.seq != state.checked or head.hash != state.prev_hash:
        return bad(
            state.checked + 1,
            "the chain ends before its recorded head (events deleted from the end)",
        )
    if row is not None:
        return bad(row.seq, "a personal value is stored for no event")
    unrecorded = state.missing - state.erased
    if unrecorded:
        return bad(min(unrecorded), "personal values were deleted without a recorded erasure")
    return VerifyResult(True, state.checked, redacted=state.redacted)
