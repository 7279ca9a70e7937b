"""The public notice (公示) as published: snapshots of each entry, their order, their grouping.

When a nomination enters the notice, the effect ``publish_notice`` stores what the public is
shown (a :class:`NoticeEntry`): the form's public fields with their labels, the nominating
unit, the period, where to object, and the entry's place in the campaign's order. Every page,
the print version, the PDF, the feed, the API and the archive are rendered from these rows, so
that the archive shows exactly what was published even if the nomination changes later. When
the nomination leaves the notice (its period ends, or an objection interrupts it) the entry is
closed; nothing there records the outcome.

A nomination that comes back on notice after a dismissed objection is published again: a new
entry with the next ``sequence`` and a period of its own, as a re-posted notice would be. The
first stays in the archive as it was.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nomination import engine
from nomination.calendar.workdays import WorkCalendar
from nomination.canonical import canonical_json, sha256_hex
from nomination.i18n import pick
from nomination.models import Campaign, Nomination, NoticeEntry, Organisation
from nomination.notices import strokes

#: The languages a snapshot keeps every label and value in.
LANGUAGES = ("zh", "en")


def order_key(nomination: Nomination, order: str) -> str:
    """Return the key that places ``nomination`` in a notice ordered by ``order``."""
    if order == "stroke":
        if engine.workflow_for(nomination).holder == "person":
            return strokes.person_key(nomination.nominee_name)
        return strokes.name_key(nomination.nominee_name)
    # By unit: the unit's place in the organisation tree (working committee, then unit);
    # ids are padded so that the text sorts like the numbers.
    ids = [part for part in nomination.unit.path.split("/") if part]
    return "0" + "".join(f"{int(i):010d}," for i in ids)


def _award_title(nomination: Nomination, workflow: Any) -> dict[str, str]:
    award = nomination.campaign.award(nomination.kind)
    if award is None:
        return {lang: pick(workflow.title, lang) for lang in LANGUAGES}
    return {"zh": award.title, "en": award.title_en or award.title}


def public_fields(nomination: Nomination, workflow: Any) -> list[dict[str, Any]]:
    """Return the form's public fields of ``nomination`` as shown, labelled in each language."""
    out = []
    for f in workflow.nominee_form.public_fields:
        value = nomination.data.get(f.name)
        out.append(
            {
                "name": f.name,
                "label": {lang: pick(f.label, lang) for lang in LANGUAGES},
                "value": value,
                "display": {lang: f.display(value, lang) for lang in LANGUAGES},
            }
        )
    return out


def snapshot(
    session: Session,
    nomination: Nomination,
    workflow: Any,
    *,
    published_at: datetime,
    ends_at: datetime | None,
    sequence: int = 1,
) -> NoticeEntry:
    """Return a new (unsaved) entry holding what the public is shown of ``nomination``."""
    campaign = nomination.campaign
    federation = session.get(Organisation, campaign.federation_id)
    return NoticeEntry(
        nomination_id=nomination.id,
        campaign_id=nomination.campaign_id,
        kind=nomination.kind,
        sequence=sequence,
        published_at=published_at,
        ends_at=ends_at,
        notice_order=campaign.notice_order,
        order_key=order_key(nomination, campaign.notice_order),
        nominee_name=nomination.nominee_name,
        unit_name=nomination.unit.name,
        award_title=_award_title(nomination, workflow),
        issuer=federation.name if federation else "",
        fields=public_fields(nomination, workflow),
        objection_contact=dict(campaign.objection_contact or {}),
    )


def open_entries(session: Session, nomination_id: int) -> list[NoticeEntry]:
    """Return the entries of a nomination that are still on the board."""
    return list(
        session.scalars(
            select(NoticeEntry).where(
                NoticeEntry.nomination_id == nomination_id, NoticeEntry.closed_at.is_(None)
            )
        )
    )


def publish(
    session: Session,
    nomination: Nomination,
    workflow: Any,
    *,
    at: datetime,
    calendar: WorkCalendar,
    working_days: int | None = None,
) -> NoticeEntry:
    """Publish ``nomination`` (now in its notice state) and return the stored entry.

    The period is the state's timer, counted from ``at`` (when the state is entered: people
    publish, timers do not) as the engine counts it; ``working_days`` when the timer was given
    another length (a notice resuming for the days it had left).
    """
    timer = workflow.state(nomination.state).timer
    period = None
    if timer is not None:
        working_days = working_days or timer.days(nomination.campaign)
        period = calendar.period(at, working_days)
    # An entry left open by a definition that does not close it is ended by the new one.
    end(session, nomination, at=at)
    previous = session.scalar(
        select(func.max(NoticeEntry.sequence)).where(NoticeEntry.nomination_id == nomination.id)
    )
    entry = snapshot(
        session,
        nomination,
        workflow,
        published_at=at,
        ends_at=period.ends_at if period else None,
        sequence=(previous or 0) + 1,
    )
    entry.working_days = working_days if period else None
    entry.ends_provisional = bool(period and period.provisional)
    session.add(entry)
    session.flush()
    return entry


def end(session: Session, nomination: Nomination, *, at: datetime) -> list[NoticeEntry]:
    """Close the nomination's open entries: when it left the notice, at most its end."""
    closed = open_entries(session, nomination.id)
    for entry in closed:
        # A period closed by a timer that fired late still ended when it was announced to.
        moment = min(at, entry.ends_at) if entry.ends_at else at
        entry.closed_at = max(moment, entry.published_at)
    if closed:
        session.flush()
    return closed


def digest(entry: NoticeEntry) -> str:
    """Return the SHA-256 of what the entry published (recorded in the audit event)."""
    return sha256_hex(
        canonical_json(
            {
                "nomination_id": entry.nomination_id,
                "campaign_id": entry.campaign_id,
                "kind": entry.kind,
                "sequence": entry.sequence,
                # In UTC, as the database gives them back.
                "published_at": entry.published_at.astimezone(UTC),
                "ends_at": entry.ends_at.astimezone(UTC) if entry.ends_at else None,
                "notice_order": entry.notice_order,
                "order_key": entry.order_key,
                "nominee_name": entry.nominee_name,
                "unit_name": entry.unit_name,
                "award_title": entry.award_title,
                "issuer": entry.issuer,
                "fields": entry.fields,
                "objection_contact": entry.objection_contact,
            }
        )
    )


# --- reading: entries as people see them, and the notices they form ---------------------------


def timezone() -> tzinfo:
    """Return the time zone notices are dated in."""
    if has_app_context():
        return current_app.config.get("TZ") or ZoneInfo(current_app.config["TIMEZONE"])
    return ZoneInfo("Asia/Shanghai")


def shown_fields(entry: NoticeEntry, language: str | None = None) -> list[tuple[str, str, str]]:
    """Return (name, label, value) of each public field as published, in ``language``."""
    return [
        (f["name"], pick(f["label"], language), pick(f["display"], language)) for f in entry.fields
    ]


def sort_entries(entries: Iterable[NoticeEntry]) -> list[NoticeEntry]:
    """Return ``entries`` in their notice's order (the order key, then publication)."""
    return sorted(entries, key=lambda e: (e.order_key, e.published_at, e.nomination_id, e.sequence))


@dataclass
class Period:
    """Entries published on the same day for the same period: one posted notice."""

    published_on: date
    ends_at: datetime | None
    entries: list[NoticeEntry]

    @property
    def provisional(self) -> bool:
        """Whether the end was counted on a provisional year (shown as 暂定)."""
        return any(e.ends_provisional for e in self.entries)

    @property
    def closed(self) -> bool:
        """Whether every entry has left the board."""
        return all(e.closed_at is not None for e in self.entries)

    @property
    def contact(self) -> dict[str, Any]:
        """Return where objections went, as the latest entry published it."""
        return max(self.entries, key=lambda e: e.published_at).objection_contact

    @property
    def issuer(self) -> str:
        """Return the federation that published the notice."""
        return self.entries[0].issuer

    def columns(self, language: str | None = None) -> list[tuple[str, str]]:
        """Return (name, label) of the public fields, in the form's order."""
        seen: dict[str, str] = {}
        for entry in self.entries:
            for f in entry.fields:
                seen.setdefault(f["name"], pick(f["label"], language))
        return list(seen.items())


@dataclass
class Notice:
    """The entries of one campaign and award kind, in the campaign's order."""

    campaign: Campaign
    kind: str
    entries: list[NoticeEntry] = field(default_factory=list)

    @property
    def latest(self) -> NoticeEntry:
        """Return the entry published last."""
        return max(self.entries, key=lambda e: (e.published_at, e.nomination_id))

    @property
    def award_title(self) -> dict[str, str]:
        """Return the award's title as published."""
        return self.latest.award_title

    @property
    def issuer(self) -> str:
        """Return the federation that published the notice."""
        return self.latest.issuer

    @property
    def contact(self) -> dict[str, Any]:
        """Return where to object, as the latest entry published it."""
        return self.latest.objection_contact

    def periods(self) -> list[Period]:
        """Return the posted notices: entries by publication day and end, each in order."""
        tz = timezone()
        buckets: dict[tuple[date, datetime | None], list[NoticeEntry]] = {}
        for entry in self.entries:
            key = (entry.published_at.astimezone(tz).date(), entry.ends_at)  # grade follows end
            buckets.setdefault(key, []).append(entry)
        never = datetime.max.replace(tzinfo=tz)
        return [
            Period(published_on=day, ends_at=ends, entries=sort_entries(items))
            for (day, ends), items in sorted(
                buckets.items(), key=lambda kv: (kv[0][0], kv[0][1] or never)
            )
        ]


def group(entries: Iterable[NoticeEntry], campaigns: dict[int, Campaign]) -> list[Notice]:
    """Return the entries as notices per campaign and award kind, each in its order."""
    notices: dict[tuple[int, str], Notice] = {}
    for entry in entries:
        key = (entry.campaign_id, entry.kind)
        if key not in notices:
            notices[key] = Notice(campaign=campaigns[entry.campaign_id], kind=entry.kind)
        notices[key].entries.append(entry)
    for notice in notices.values():
        notice.entries = sort_entries(notice.entries)
    kinds = {kind: i for i, kind in enumerate(engine.award_kinds())}
    return sorted(
        notices.values(), key=lambda n: (-n.campaign.year, n.campaign.id, kinds.get(n.kind, 99))
    )
