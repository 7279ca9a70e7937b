"""The archive's business actions: people matched by ID number, versions, statuses, services.

Every change is audited in the caller's transaction and nothing is overwritten: a change to a
person's own fields adds a :class:`PersonVersion`, a status is a new dated entry. What a
record looked like on a past date is rebuilt from those (:func:`as_of`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pypinyin import Style, lazy_pinyin
from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from nomination.audit import append_event
from nomination.db import utcnow
from nomination.engine.core import stale_is_conflict
from nomination.errors import Conflict, InvalidData
from nomination.models import (
    ArchivePerson,
    HonourRecord,
    Organisation,
    PersonService,
    PersonStatus,
    PersonVersion,
)
from nomination.models.archive import DEATH_REPORT_DAYS, PERSON_STATUSES, SERVICE_KINDS

#: The person's own fields that are versioned (everything a unit may correct).
PERSON_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "ethnicity",
    "phone",
    "address",
    "unit_id",
    "unit_name",
    "post",
    "sector",
)


def pinyin_keys(name: str) -> tuple[str, str]:
    """Return the name's full pinyin ("zhangjianguo") and initials ("zjg"), lower case."""
    full = "".join(lazy_pinyin(name, errors="ignore")).lower()
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()
    return full, initials


def normalise_id_number(value: str) -> str:
    """Return the resident ID number checked and in its one form, or raise InvalidData."""
    try:
        return ric.validate(str(value or "").strip().upper())
    except ValidationError:
        raise InvalidData(
            "the resident ID number is not valid",
            fields={"id_number": ["校验不通过 (the check digit, date or format is wrong)"]},
        ) from None


def _actor_fields(actor: Any) -> dict[str, Any]:
    return {"actor_id": getattr(actor, "id", None), "actor_name": actor.name}


def _snapshot(person: ArchivePerson) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in PERSON_FIELDS:
        value = getattr(person, name)
        out[name] = value.isoformat() if isinstance(value, date) else value
    return out


def _coerce(name: str, value: Any) -> Any:
    if name == "birth_date" and isinstance(value, str) and value:
        return date.fromisoformat(value)
    return value


def find_person(session: Session, federation: Organisation, id_number: str) -> ArchivePerson | None:
    """Return the person with ``id_number`` in ``federation``'s archive (after merges)."""
    person = session.scalar(
        select(ArchivePerson).where(
            ArchivePerson.federation_id == federation.id,
            ArchivePerson.id_number == normalise_id_number(id_number),
        )
    )
    while person is not None and person.merged_into_id is not None:
        person = session.get(ArchivePerson, person.merged_into_id)
    return person


def find_or_create_person(
    session: Session,
    federation: Organisation,
    *,
    id_number: str,
    name: str,
    actor: Any,
    now: datetime | None = None,
    **fields: Any,
) -> tuple[ArchivePerson, bool]:
    """Return the person with ``id_number`` (True when created now, with ``fields``)."""
    existing = find_person(session, federation, id_number)
    if existing is not None:
        return existing, False
    now = now or utcnow()
    full, initials = pinyin_keys(name)
    person = ArchivePerson(
        federation_id=federation.id,
        id_number=normalise_id_number(id_number),
        name=name,
        name_pinyin=full,
        name_initials=initials,
        created_at=now,
        **{k: _coerce(k, v) for k, v in fields.items() if k in PERSON_FIELDS},
    )
    session.add(person)
    session.flush()
    session.add(
        PersonVersion(
            person_id=person.id,
            valid_from=now,
            fields=_snapshot(person),
            changed_by_id=getattr(actor, "id", None),
            note="created",
        )
    )
    append_event(
        session,
        action="archive.person_create",
        **_actor_fields(actor),
        organisation_id=person.unit_id,
        entity_type="archive_person",
        entity_id=person.id,
        after={"fields": _snapshot(person), "version": person.version},
        now=now,
    )
    return person, True


def update_person(
    session: Session,
    person: ArchivePerson,
    actor: Any,
    changes: dict[str, Any],
    *,
    note: str | None = None,
    version: int | None = None,
    now: datetime | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Change the person's own fields, keeping the old version; return {field: (old, new)}."""
    unknown = sorted(set(changes) - set(PERSON_FIELDS))
    if unknown:
        raise InvalidData("unknown fields", fields={k: ["unknown field"] for k in unknown})
    if version is not None and version != person.version:
        raise Conflict("the record was changed by someone else; reload it", version=person.version)
    now = now or utcnow()
    before = _snapshot(person)
    for name, value in changes.items():
        setattr(person, name, _coerce(name, value))
    if "name" in changes:
        person.name_pinyin, person.name_initials = pinyin_keys(person.name)
    after = _snapshot(person)
    diff = {k: (before[k], after[k]) for k in PERSON_FIELDS if before[k] != after[k]}
    if not diff:
        return {}
    with stale_is_conflict():
        session.flush()
    session.add(
        PersonVersion(
            person_id=person.id,
            valid_from=now,
            fields=after,
            changed_by_id=getattr(actor, "id", None),
            note=note,
        )
    )
    append_event(
        session,
        action="archive.person_update",
        **_actor_fields(actor),
        organisation_id=person.unit_id,
        entity_type="archive_person",
        entity_id=person.id,
        before={k: v[0] for k, v in diff.items()},
        after={**{k: v[1] for k, v in diff.items()}, "version": person.version},
        comment=note,
        now=now,
    )
    return diff


def report_status(
    session: Session,
    person: ArchivePerson,
    actor: Any,
    *,
    status: str,
    effective_date: date,
    known_date: date | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> PersonStatus:
    """Add a dated status entry (never changing an earlier one) and make it current."""
    errors: dict[str, list[str]] = {}
    if status not in PERSON_STATUSES:
        errors["status"] = ["one of " + ", ".join(PERSON_STATUSES)]
    now = now or utcnow()
    if effective_date > now.date() + timedelta(days=1):
        errors["effective_date"] = ["must not be in the future"]
    if known_date is not None and known_date < effective_date:
        errors["known_date"] = ["must not be before the effective date"]
    if errors:
        raise InvalidData("some fields are invalid", fields=errors)
    entry = PersonStatus(
        person=person,
        status=status,
        effective_date=effective_date,
        known_date=known_date,
        reported_at=now,
        reported_by_id=getattr(actor, "id", None),
        note=note,
    )
    session.add(entry)
    latest = max(
        [*(s for s in person.statuses if s is not entry), entry],
        key=lambda s: (s.effective_date, s.reported_at),
    )
    person.status = latest.status
    with stale_is_conflict():
        session.flush()
    append_event(
        session,
        action="archive.status_report",
        **_actor_fields(actor),
        organisation_id=person.unit_id,
        entity_type="archive_person",
        entity_id=person.id,
        after={
            "status": status,
            "effective_date": effective_date.isoformat(),
            "known_date": known_date.isoformat() if known_date else None,
            "late": death_report_late(entry),
        },
        comment=note,
        now=now,
    )
    return entry


def death_report_late(entry: PersonStatus) -> bool:
    """Return whether a death was reported more than 2 days after it became known."""
    if entry.status != "deceased":
        return False
    known = entry.known_date or entry.effective_date
    return entry.reported_at.date() > known + timedelta(days=DEATH_REPORT_DAYS)


def record_service(
    session: Session,
    person: ArchivePerson,
    actor: Any,
    *,
    kind: str,
    service_date: date,
    amount: float | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> PersonService:
    """Record a service given to the person (health check, recuperation, aid, visit)."""
    if kind not in SERVICE_KINDS:
        raise InvalidData(
            "unknown service", fields={"kind": ["one of " + ", ".join(SERVICE_KINDS)]}
        )
    now = now or utcnow()
    service = PersonService(
        person=person,
        kind=kind,
        service_date=service_date,
        amount=amount,
        note=note,
        recorded_by_id=getattr(actor, "id", None),
        recorded_at=now,
    )
    session.add(service)
    session.flush()
    append_event(
        session,
        action="archive.service",
        **_actor_fields(actor),
        organisation_id=person.unit_id,
        entity_type="archive_person",
        entity_id=person.id,
        after={"kind": kind, "date": service_date.isoformat(), "amount": amount},
        comment=note,
        now=now,
    )
    return service


@dataclass
class AsOf:
    """A person's record as it stood at the end of a day."""

    day: date
    fields: dict[str, Any]
    status: PersonStatus | None
    honours: list[tuple[HonourRecord, bool]]
    services: list[PersonService]


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def as_of(session: Session, person: ArchivePerson, day: date) -> AsOf:
    """Rebuild the record as it stood at the end of ``day`` (UTC): fields, status, honours."""
    end = _end_of(day)
    version = session.scalar(
        select(PersonVersion)
        .where(PersonVersion.person_id == person.id, PersonVersion.valid_from < end)
        .order_by(PersonVersion.valid_from.desc(), PersonVersion.id.desc())
        .limit(1)
    )
    statuses = [s for s in person.statuses if s.effective_date <= day and s.reported_at < end]
    status = max(statuses, key=lambda s: (s.effective_date, s.reported_at), default=None)
    honours = [
        # (the honour, whether it stood revoked on that day)
        (h, h.status == "revoked" and h.revoked_on is not None and h.revoked_on <= day)
        for h in person.honours
        if h.decision_date <= day
    ]
    services = [s for s in person.services if s.service_date <= day]
    return AsOf(day, dict(version.fields) if version else {}, status, honours, services)


def difference(before: AsOf, after: AsOf) -> dict[str, tuple[Any, Any]]:
    """Return what differs between two as-of views: fields, status, honours held."""
    out: dict[str, tuple[Any, Any]] = {}
    for name in PERSON_FIELDS:
        if before.fields.get(name) != after.fields.get(name):
            out[name] = (before.fields.get(name), after.fields.get(name))
    old = before.status.status if before.status else None
    new = after.status.status if after.status else None
    if old != new:
        out["status"] = (old, new)
    held = {h.id: (h.title, revoked) for h, revoked in before.honours}
    now_held = {h.id: (h.title, revoked) for h, revoked in after.honours}
    if held != now_held:
        out["honours"] = (sorted(held.values()), sorted(now_held.values()))
    return out


#: The honour type of each award kind.
HONOUR_TYPE_OF_KIND = {"individual": "medal", "unit": "certificate", "team": "pioneer"}


def level_of_title(title: str) -> str:
    """Return the level an award's title names: national (全国), capital (首都), district."""
    if title.startswith("全国"):
        return "national"
    if title.startswith(("首都", "北京市")):
        return "capital"
    return "district"
