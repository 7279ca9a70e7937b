"""The archive's business actions: people matched by ID number, versions, statuses, services.

Every change is audited in the caller's transaction and nothing is overwritten: a change to a
person's own fields adds a :class:`PersonVersion`, a status is a new dated entry. What a
record looked like on a past date is rebuilt from those (:func:`as_of`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pypinyin import Style, lazy_pinyin
from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from nomination.audit.chain import Entity, record_event
from nomination.db import local_date, local_day_end, utcnow
from nomination.engine.core import stale_is_conflict
from nomination.errors import Conflict, InvalidData, require_valid
from nomination.models import (
    ArchivePerson,
    HonourRecord,
    Organisation,
    PersonService,
    PersonStatus,
    PersonVersion,
    Studio,
    StudioInspection,
    StudioMember,
)
from nomination.models.archive import (
    DEATH_REPORT_DAYS,
    HONOUR_LEVELS,
    PERSON_STATUSES,
    SERVICE_KINDS,
)

# The masks live with the one masking policy; the archive's callers name them from here too.
from nomination.permissions.privacy import mask_id_number as mask_id_number
from nomination.permissions.privacy import mask_phone as mask_phone

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


def _snapshot(person: ArchivePerson) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in PERSON_FIELDS:
        value = getattr(person, name)
        out[name] = value.isoformat() if isinstance(value, date) else value
    return out


def _person_entity(person: ArchivePerson) -> Entity:
    return Entity("archive_person", person.id, person.unit_id)


def _studio_entity(studio: Studio) -> Entity:
    return Entity("archive_studio", studio.id, studio.unit_id)


def _check_choice(
    errors: dict[str, list[str]], name: str, value: Any, choices: tuple[str, ...]
) -> None:
    if value not in choices:
        errors[name] = ["one of " + ", ".join(choices)]


def _check_past(errors: dict[str, list[str]], name: str, day: date, now: datetime) -> None:
    # People mean local dates: "today" is the configured zone's, not UTC's.
    if day > local_date(now):
        errors[name] = ["must not be in the future"]


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
    record_event(
        session,
        actor,
        "archive.person_create",
        _person_entity(person),
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
    record_event(
        session,
        actor,
        "archive.person_update",
        _person_entity(person),
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
    reporter: Any = None,
) -> PersonStatus:
    """Add a dated status entry (never changing an earlier one) and make it current.

    ``reporter`` is who reported it when another records it (a unit's answer to a
    verification, accepted by the federation's reviewer: ``actor``); by default ``actor``.
    """
    now = now or utcnow()
    reporter = actor if reporter is None else reporter
    errors: dict[str, list[str]] = {}
    _check_choice(errors, "status", status, PERSON_STATUSES)
    _check_past(errors, "effective_date", effective_date, now)
    if known_date is not None and known_date < effective_date:
        errors["known_date"] = ["must not be before the effective date"]
    require_valid(errors)
    entry = PersonStatus(
        person=person,
        status=status,
        effective_date=effective_date,
        known_date=known_date,
        reported_at=now,
        reported_by_id=getattr(reporter, "id", None),
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
    record_event(
        session,
        actor,
        "archive.status_report",
        _person_entity(person),
        after={
            "status": status,
            "effective_date": effective_date.isoformat(),
            "known_date": known_date.isoformat() if known_date else None,
            "late": death_report_late(entry),
            # Recorded by another than who reported it: both are named.
            **({"reported_by": entry.reported_by_id} if reporter is not actor else {}),
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
    return local_date(entry.reported_at) > known + timedelta(days=DEATH_REPORT_DAYS)


def record_service(
    session: Session,
    person: ArchivePerson,
    actor: Any,
    *,
    kind: str,
    service_date: date,
    amount: Decimal | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> PersonService:
    """Record a service given to the person (health check, recuperation, aid, visit)."""
    errors: dict[str, list[str]] = {}
    _check_choice(errors, "kind", kind, SERVICE_KINDS)
    require_valid(errors, "unknown service")
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
    record_event(
        session,
        actor,
        "archive.service",
        _person_entity(person),
        # The amount as text: the audit record refuses floats, and JSON has no decimals.
        after={
            "kind": kind,
            "date": service_date.isoformat(),
            "amount": None if amount is None else str(amount),
        },
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
    #: Whether the record existed by then; before its first version there was no record.
    existed: bool = True
    #: When the record began (its first version), to say so when it did not exist yet.
    began_at: datetime | None = None


def _end_of(day: date) -> datetime:
    return local_day_end(day)


def as_of(session: Session, person: ArchivePerson, day: date) -> AsOf:
    """Rebuild the record as it stood at the end of the local ``day``: fields, status, honours."""
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
    if version is None:
        began_at = session.scalar(
            select(PersonVersion.valid_from)
            .where(PersonVersion.person_id == person.id)
            .order_by(PersonVersion.valid_from)
            .limit(1)
        )
        return AsOf(day, {}, None, [], [], existed=False, began_at=began_at)
    return AsOf(day, dict(version.fields), status, honours, services)


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
def level_of_title(title: str) -> str:
    """Return the level an award's title names: national (全国), capital (首都), district."""
    if title.startswith("全国"):
        return "national"
    if title.startswith(("首都", "北京市")):
        return "capital"
    return "district"


# --- merges and innovation studios ---------------------------------------------------


def require_current(person: ArchivePerson) -> None:
    """Refuse a change to a duplicate that was merged away: its record lives on elsewhere."""
    if person.merged_into_id is not None:
        raise Conflict(
            f"this record was merged into record {person.merged_into_id}; change that one",
            merged_into_id=person.merged_into_id,
        )


def merge_people(
    session: Session,
    duplicate: ArchivePerson,
    into: ArchivePerson,
    actor: Any,
    *,
    note: str | None = None,
    version: int | None = None,
    now: datetime | None = None,
) -> dict[str, list[int]]:
    """Move a duplicate's honours, statuses, services and studios to ``into``; keep it, pointing.

    The duplicate stays (its versions tell what it said), with ``merged_into_id`` set, so
    that a link to it or a search by its ID number leads on. Returns the ids moved.
    """
    if duplicate.id == into.id:
        raise InvalidData(
            "a record cannot be merged into itself", fields={"into_id": ["is this record"]}
        )
    if duplicate.federation_id != into.federation_id:
        raise InvalidData(
            "the records belong to different archives", fields={"into_id": ["another archive"]}
        )
    if into.merged_into_id is not None:
        raise InvalidData(
            "that record was itself merged away",
            fields={"into_id": [f"merged into record {into.merged_into_id}; use that one"]},
        )
    require_current(duplicate)
    if version is not None and version != duplicate.version:
        raise Conflict(
            "the record was changed by someone else; reload it", version=duplicate.version
        )
    now = now or utcnow()
    members = session.scalars(select(StudioMember).where(StudioMember.person_id == duplicate.id))
    led = session.scalars(select(Studio).where(Studio.leader_id == duplicate.id))
    moved: dict[str, list[int]] = {
        "honours": [],
        "statuses": [],
        "services": [],
        "studio_members": [],
        "studios_led": [],
    }
    for honour in list(duplicate.honours):
        honour.person = into
        moved["honours"].append(honour.id)
    for status in list(duplicate.statuses):
        status.person = into
        moved["statuses"].append(status.id)
    for service in list(duplicate.services):
        service.person = into
        moved["services"].append(service.id)
    for member in members:
        member.person_id = into.id
        moved["studio_members"].append(member.id)
    for studio in led:
        studio.leader_id = into.id
        moved["studios_led"].append(studio.id)
    duplicate.merged_into_id = into.id
    latest = max(into.statuses, key=lambda s: (s.effective_date, s.reported_at), default=None)
    if latest is not None:
        into.status = latest.status
    with stale_is_conflict():
        session.flush()
    record_event(
        session,
        actor,
        "archive.person_merge",
        Entity("archive_person", duplicate.id, into.unit_id),
        after={"into": into.id, **moved, "version": duplicate.version},
        comment=note,
        now=now,
    )
    return moved


#: Outcomes of a studio inspection: passed (合格), to be rectified (限期整改), failed (不合格).
INSPECTION_RESULTS = ("passed", "rectify", "failed")
#: A studio needs a team of at least this many (DOMAIN.md §8).
STUDIO_MIN_TEAM = 3


def studios_of(session: Session, person: ArchivePerson) -> list[tuple[Studio, str]]:
    """Return the studios ``person`` leads or belongs to, each with "leader" or "member"."""
    led = session.scalars(select(Studio).where(Studio.leader_id == person.id).order_by(Studio.name))
    out = [(studio, "leader") for studio in led]
    seen = {studio.id for studio, _ in out}
    member_of = session.scalars(
        select(Studio)
        .join(StudioMember, StudioMember.studio_id == Studio.id)
        .where(StudioMember.person_id == person.id)
        .order_by(Studio.name)
    )
    out.extend((studio, "member") for studio in member_of if studio.id not in seen)
    return out


def _in_archive(person: ArchivePerson | None, federation_id: int, name: str) -> None:
    if person is not None and (
        person.federation_id != federation_id or person.merged_into_id is not None
    ):
        raise InvalidData(
            "no such person in this archive", fields={name: ["no such record in this archive"]}
        )


def create_studio(
    session: Session,
    federation: Organisation,
    actor: Any,
    *,
    name: str,
    unit: Organisation | None = None,
    leader: ArchivePerson | None = None,
    founded_on: date | None = None,
    level: str | None = None,
    now: datetime | None = None,
) -> Studio:
    """Register an innovation studio (劳模创新工作室) of ``federation``."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["required"]
    if level is not None:
        _check_choice(errors, "level", level, HONOUR_LEVELS)
    if unit is not None and not unit.path.startswith(federation.path):
        errors["unit_id"] = ["not a unit of this federation"]
    require_valid(errors)
    _in_archive(leader, federation.id, "leader_id")
    now = now or utcnow()
    studio = Studio(
        federation_id=federation.id,
        name=name,
        unit=unit,
        leader=leader,
        founded_on=founded_on,
        level=level,
        created_at=now,
    )
    session.add(studio)
    session.flush()
    record_event(
        session,
        actor,
        "archive.studio_create",
        Entity("archive_studio", studio.id, unit.id if unit else federation.id),
        after={
            "name": name,
            "unit_id": studio.unit_id,
            "leader_id": studio.leader_id,
            "founded_on": founded_on,
            "level": level,
        },
        now=now,
    )
    return studio


def add_studio_member(
    session: Session,
    studio: Studio,
    actor: Any,
    *,
    name: str | None = None,
    person: ArchivePerson | None = None,
    role: str = "",
    joined_on: date | None = None,
    now: datetime | None = None,
) -> StudioMember:
    """Add a member to a studio: an archived person, or someone named only."""
    _in_archive(person, studio.federation_id, "person_id")
    name = (name or "").strip() or (person.name if person is not None else "")
    if not name:
        raise InvalidData("name the member", fields={"name": ["required without a record"]})
    if person is not None and any(
        m.person_id == person.id and m.left_on is None for m in studio.members
    ):
        raise InvalidData("already a member", fields={"person_id": ["already a member"]})
    now = now or utcnow()
    member = StudioMember(
        studio=studio,
        person_id=person.id if person else None,
        name=name,
        role=role or "",
        joined_on=joined_on,
    )
    session.add(member)
    session.flush()
    record_event(
        session,
        actor,
        "archive.studio_member_add",
        _studio_entity(studio),
        after={
            "member_id": member.id,
            "person_id": member.person_id,
            "role": member.role,
            "joined_on": joined_on,
        },
        now=now,
    )
    return member


def record_inspection(
    session: Session,
    studio: Studio,
    actor: Any,
    *,
    inspected_on: date,
    result: str,
    note: str | None = None,
    now: datetime | None = None,
) -> StudioInspection:
    """Record an inspection of a studio (考核, 复查) and its result."""
    now = now or utcnow()
    errors: dict[str, list[str]] = {}
    _check_choice(errors, "result", result, INSPECTION_RESULTS)
    _check_past(errors, "inspected_on", inspected_on, now)
    require_valid(errors)
    inspection = StudioInspection(
        studio=studio,
        inspected_on=inspected_on,
        result=result,
        note=note,
        recorded_by_id=getattr(actor, "id", None),
        recorded_at=now,
    )
    session.add(inspection)
    session.flush()
    record_event(
        session,
        actor,
        "archive.studio_inspection",
        _studio_entity(studio),
        after={"inspection_id": inspection.id, "date": inspected_on, "result": result},
        comment=note,
        now=now,
    )
    return inspection


def unit_honours(session: Session, org: Organisation) -> list[HonourRecord]:
    """Return the certificates (奖状) and pioneer titles (工人先锋号) of a unit and its teams."""
    return list(
        session.scalars(
            select(HonourRecord)
            .where(HonourRecord.unit_id == org.id, HonourRecord.kind.in_(("unit", "team")))
            .order_by(HonourRecord.year.desc(), HonourRecord.decision_date.desc())
        )
    )


def federation_of(org: Organisation) -> Organisation | None:
    """Return the federation an organisation belongs to (itself when it is one)."""
    node: Organisation | None = org
    while node is not None and node.kind != "federation":
        node = node.parent
    return node


def statuses_as_of(person: ArchivePerson, day: date) -> list[PersonStatus]:
    """Return the status entries that had begun and been reported by the end of ``day``."""
    end = _end_of(day)
    return [s for s in person.statuses if s.effective_date <= day and s.reported_at < end]
