"""Reading the audit trail for people: filtered pages, field-level diffs, data as of a version.

Also a person's nominations, exports for reading, receipts and the last verification.

Everything here reads; the only thing written is the instance file that keeps the result of the
last full verification (``AUDIT_VERIFICATION_FILE``, default INSTANCE/audit-verification.json).

Personal values in events are salted commitments (``{"$c": ...}``, see ``nomination.audit.chain``):
every before/after shown to people goes through :func:`nomination.audit.chain.event_views`, which
gives the clear value, or ``[redacted]`` once the person was erased, then through
:func:`shown_views`, which masks what the reader may not see. Exports without permission
to include personal data mask as the masking policy says (``nomination.permissions.privacy``),
and replace the other personal values (outside the forms) by :data:`MASK`.
"""

from __future__ import annotations

import json
import os
import re
import time as clock
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from flask import current_app, g, has_app_context
from sqlalchemy import ColumnElement, Select, false, select
from sqlalchemy.orm import Session

from nomination import db, engine, spreadsheets
from nomination.audit import chain as audit
from nomination.audit import checkpoints
from nomination.audit.chain import REDACTED, EventView, event_views
from nomination.audit.export import receipt
from nomination.canonical import canonical_json
from nomination.db import utcnow
from nomination.definitions.forms import FormDef
from nomination.engine.definitions import Workflow
from nomination.i18n import current_language, pick
from nomination.labels import (
    ATTACHMENT_PURPOSE_LABELS,
    AUDIT_ACTION_LABELS,
    AUDIT_ENTITY_KEY_LABELS,
    AUDIT_ENTITY_TYPE_LABELS,
    AUDIT_KEY_LABELS,
    ORG_KIND_LABELS,
    ROLE_LABELS,
    SELECTION_STATUS_LABELS,
    SELECTION_VOTE_LABELS,
    TRANSITION_ACTION_LABEL,
)
from nomination.models import (
    AuditEvent,
    AuditHead,
    HonourRecord,
    Nomination,
    Objection,
    Organisation,
    User,
)
from nomination.permissions.privacy import (
    RECORD_FIELDS,
    can_see_personal_data,
    mask,
    masked_data,
    masked_record,
    sensitive_fields,
)
from nomination.spreadsheets import csv_chunks, neutralise, neutralised

#: Shown in exports instead of a personal value when personal data may not be included.
MASK = "***"
#: Notes older events recorded that only objection handlers may read (the objector's key).
PRIVATE_NOTES = ("objection_reference",)
#: The actions whose event is the nominating unit's submission, for its receipt.
SUBMISSION_ACTIONS = ("transition.recommend", "transition.resubmit")
#: The action of a public objection.
OBJECTION_ACTIONS = ("transition.object", "objection.receive")
#: The default file keeping the last full verification, in the instance folder.
VERIFICATION_FILE = "audit-verification.json"


# --- filtered pages of events ----------------------------------------------------------------


@dataclass
class EventFilter:
    """What the global log is narrowed to; empty fields do not filter."""

    start: date | None = None
    end: date | None = None
    actor: str | None = None
    role: str | None = None
    organisation: str | None = None
    campaign_id: int | None = None
    nomination_id: int | None = None
    action: str | None = None

    def as_args(self) -> dict[str, Any]:
        """Return the filter as query-string arguments (for links to other pages)."""
        args = {
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "actor": self.actor,
            "role": self.role,
            "org": self.organisation,
            "campaign": self.campaign_id,
            "nomination": self.nomination_id,
            "action": self.action,
        }
        return {k: v for k, v in args.items() if v not in (None, "")}


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """Return the UTC moment at which local ``day`` begins."""
    return datetime.combine(day, time(0), tz).astimezone(UTC)


def time_range(start: date | None, end: date | None, tz: tzinfo) -> tuple[datetime | None, ...]:
    """Return [start of ``start``, start of the day after ``end``) in UTC; None where open."""
    return (
        local_midnight(start, tz) if start else None,
        local_midnight(end + timedelta(days=1), tz) if end else None,
    )


def _conditions(session: Session, f: EventFilter, tz: tzinfo) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    start, end = time_range(f.start, f.end, tz)
    if start is not None:
        conditions.append(AuditEvent.occurred_at >= start)
    if end is not None:
        conditions.append(AuditEvent.occurred_at < end)
    if f.actor:
        conditions.append(AuditEvent.actor_name == f.actor)
    if f.role:
        conditions.append(AuditEvent.role == f.role)
    if f.organisation:
        org = session.scalar(select(Organisation).where(Organisation.code == f.organisation))
        if org is None:
            conditions.append(false())
        else:
            subtree = select(Organisation.id).where(Organisation.path.startswith(org.path))
            conditions.append(AuditEvent.organisation_id.in_(subtree))
    if f.campaign_id is not None:
        conditions.append(AuditEvent.campaign_id == f.campaign_id)
    if f.nomination_id is not None:
        conditions.append(AuditEvent.entity_type == "nomination")
        conditions.append(AuditEvent.entity_id == str(f.nomination_id))
    if f.action:
        conditions.append(AuditEvent.action.startswith(f.action, autoescape=True))
    return conditions


def events_query(session: Session, f: EventFilter, tz: tzinfo) -> Select:
    """Return the query of the events ``f`` selects (unordered)."""
    return select(AuditEvent).where(*_conditions(session, f, tz))


@dataclass
class Page:
    """A page of the global log, newest first, and where the next one starts."""

    events: list[AuditEvent]
    next_before: int | None


def page_of_events(
    session: Session, f: EventFilter, tz: tzinfo, *, before: int | None = None, limit: int = 50
) -> Page:
    """Return the newest ``limit`` events ``f`` selects with a sequence number below ``before``.

    Keyset pagination: the next page starts below the last sequence number shown.
    """
    query = events_query(session, f, tz)
    if before is not None:
        query = query.where(AuditEvent.seq < before)
    rows = list(session.scalars(query.order_by(AuditEvent.seq.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].seq if more and rows else None)


# --- reading events: field-level diffs --------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One field that an event changed: its label and its value before and after, as shown."""

    field: str
    label: str
    before: str
    after: str

    def text(self) -> str:
        """Return the change as one line: ``职务: 班长 → 班组长``."""
        return f"{self.label}: {self.before} → {self.after}"


def as_text(value: Any) -> str:
    """Return a value as people read it: strings as they are, the rest as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return canonical_json(value) if isinstance(value, dict) else json.dumps(value)


_YES_NO = ({"zh": "否", "en": "No"}, {"zh": "是", "en": "Yes"})
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _zone() -> tzinfo:
    return current_app.config["TZ"] if has_app_context() else UTC


def local_time(value: datetime) -> str:
    """Return a moment as people read it: local time (Asia/Shanghai by default), to the second."""
    return value.astimezone(_zone()).strftime("%Y-%m-%d %H:%M:%S")


def _key_label(key: str, entity_type: str | None = None) -> str:
    labels = {**AUDIT_KEY_LABELS, **AUDIT_ENTITY_KEY_LABELS.get(entity_type or "", {})}
    return pick(labels[key]) if key in labels else key


def _ballot_counts(ballots: dict[str, Any]) -> str:
    """Return each nomination's votes as counts (the ballot is secret on every page)."""
    parts = []
    for nomination_id, votes in ballots.items():
        cast = list(votes.values()) if isinstance(votes, dict) else []
        counts = " · ".join(
            f"{pick(label)} {cast.count(choice)}" for choice, label in SELECTION_VOTE_LABELS.items()
        )
        parts.append(f"#{nomination_id}: {counts}")
    return "; ".join(parts)


#: Keys of an event whose numbers are accounts (a round's chair and judges): shown by name.
_USER_KEYS = frozenset({"chair", "members", "judge", "judges", "chair_id", "judge_id"})


def _user_name(user_id: int) -> str:
    """Return an account's name (``#id`` when it is gone), looked up once per request."""
    if not has_app_context():
        return f"#{user_id}"
    names: dict[int, str] = g.setdefault("audit_user_names", {})
    if user_id not in names:
        user = db.session.get(User, user_id)
        names[user_id] = user.name if user is not None else f"#{user_id}"
    return names[user_id]


def readable(key: str, value: Any) -> str:
    """Return a value of an event's before/after as people read it.

    Codes by their names, times in local time, yes/no, files by purpose and size, and
    nested records as ``label: value`` pairs, never JSON. Exports keep the raw event beside.
    """
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if isinstance(value, bool):
        return pick(_YES_NO[value])
    if key == "ballots" and isinstance(value, dict):
        return _ballot_counts(value)
    if key in _USER_KEYS and isinstance(value, int) and not isinstance(value, bool):
        return _user_name(value)
    if key == "kind" and isinstance(value, str) and value in engine.current_definitions():
        return pick(engine.current_definitions()[value].award)
    if isinstance(value, str):
        if key == "purpose" and value in ATTACHMENT_PURPOSE_LABELS:
            return pick(ATTACHMENT_PURPOSE_LABELS[value])
        if key in ("role", "roles") and value in ROLE_LABELS:
            return pick(ROLE_LABELS[value])
        if _ISO_TIME.match(value):
            try:
                return local_time(datetime.fromisoformat(value))
            except ValueError:
                return value
        return value
    if isinstance(value, int) and key == "size":
        return f"{value / 1024:.1f} KB" if value >= 1024 else f"{value} B"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "、".join(shown for item in value if (shown := readable(key, item)))
    if isinstance(value, dict):
        if set(value) == {"id", "name"}:
            return str(value["name"])
        if key == "client" and set(value) == {"address"}:
            return as_text(value["address"])  # where a login came from: its address alone
        return "; ".join(
            f"{_key_label(k)}: {shown}" for k, v in value.items() if (shown := readable(k, v))
        )
    return as_text(value)


def action_label(event: AuditEvent, wf: Workflow | None = None) -> str:
    """Return what an event did, named in the current language (a transition by its workflow)."""
    action = event.action
    if action.startswith("transition."):
        trigger = action.removeprefix("transition.")
        t = next((t for t in wf.transitions if t.trigger == trigger), None) if wf else None
        return pick(t.label) if t is not None else f"{pick(TRANSITION_ACTION_LABEL)}: {trigger}"
    return pick(AUDIT_ACTION_LABELS[action]) if action in AUDIT_ACTION_LABELS else action


def _data_form(event: AuditEvent, wf: Workflow | None) -> FormDef | None:
    """Return the form whose fields ``data`` of this event holds, if known."""
    if wf is None:
        return None
    if event.action in ("nomination.create", "nomination.update"):
        return wf.nominee_form
    if event.action.startswith("transition."):
        trigger = event.action.removeprefix("transition.")
        t = next((t for t in wf.transitions if t.trigger == trigger and t.form), None)
        return wf.forms.get(t.form) if t is not None and t.form else None
    return None


def _shown(fd: Any, value: Any) -> str:
    if fd is not None and value not in (audit.REDACTED, audit.ALTERED) and value is not None:
        return fd.display(value)
    return as_text(value)


def _ordered_keys(*dicts: dict[str, Any]) -> list[str]:
    keys: list[str] = []
    for d in dicts:
        keys.extend(k for k in d if k not in keys)
    return keys


def field_changes(event: AuditEvent, view: EventView, wf: Workflow | None) -> list[Change]:
    """Return what ``event`` changed, field by field, labelled from the definitions.

    ``data`` is split into the fields of its form (the nominee form for a nomination's create
    and update, the transition's form for a transition); ``state`` reads its label.
    """
    before = dict(view.before or {})
    after = dict(view.after or {})
    for key in PRIVATE_NOTES:
        before.pop(key, None)
        after.pop(key, None)
    changes: list[Change] = []
    for key in _ordered_keys(before, after):
        b, a = before.get(key), after.get(key)
        if key == "data" and isinstance(b or {}, dict) and isinstance(a or {}, dict):
            form = _data_form(event, wf)
            bd, ad = b or {}, a or {}
            for name in _ordered_keys(bd, ad):
                if name in bd and name in ad and bd[name] == ad[name]:
                    continue
                fd = form.field(name) if form is not None else None
                label = pick(fd.label) if fd is not None else name
                changes.append(
                    Change(name, label, _shown(fd, bd.get(name)), _shown(fd, ad.get(name)))
                )
            continue
        if b == a:
            continue
        label = _key_label(key, event.entity_type)
        if key == "state" and wf is not None:
            changes.append(Change(key, label, _state(wf, b), _state(wf, a)))
        elif key == "kind" and event.entity_type == "organisation":
            named = [
                pick(ORG_KIND_LABELS[v]) if v in ORG_KIND_LABELS else as_text(v) for v in (b, a)
            ]
            changes.append(Change(key, label, *named))
        elif key == "status" and event.entity_type == "selection_round":
            named = [
                pick(SELECTION_STATUS_LABELS[v]) if v in SELECTION_STATUS_LABELS else as_text(v)
                for v in (b, a)
            ]
            changes.append(Change(key, label, *named))
        else:
            changes.append(Change(key, label, readable(key, b), readable(key, a)))
    return changes


def _state(wf: Workflow, name: Any) -> str:
    if isinstance(name, str) and name in wf.states:
        return pick(wf.states[name].label)
    return as_text(name)


def nominations_of(session: Session, events: Iterable[AuditEvent]) -> dict[str, Nomination]:
    """Return each nomination the events concern, by entity id."""
    ids = {
        int(e.entity_id)
        for e in events
        if e.entity_type == "nomination" and e.entity_id and e.entity_id.isdigit()
    }
    if not ids:
        return {}
    rows = session.scalars(select(Nomination).where(Nomination.id.in_(ids)))
    return {str(n.id): n for n in rows}


def workflows_of(session: Session, events: Iterable[AuditEvent]) -> dict[str, Workflow]:
    """Return the workflow of each nomination the events concern, by entity id."""
    return {k: engine.workflow_for(n) for k, n in nominations_of(session, events).items()}


_MARKERS = (audit.REDACTED, audit.ALTERED)


def _masked_side(values: dict[str, Any] | None, form: FormDef | None) -> dict[str, Any] | None:
    if not values:
        return values
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key == "data" and isinstance(value, dict):
            masked = masked_data(form, value, clear=False)
            # An erased value says so; it is not a value to mask.
            out[key] = {k: value[k] if value[k] in _MARKERS else v for k, v in masked.items()}
        elif key in RECORD_FIELDS:
            out[key] = masked_record(key, value, clear=False)
        elif isinstance(value, dict):
            # A record's fields (an archive person's): sensitive by their names.
            out[key] = masked_data(None, value, clear=False)
        else:
            kind = sensitive_fields(None, (key,)).get(key)
            out[key] = mask(kind, value) if kind else value
    return out


def shown_view(
    event: AuditEvent, view: EventView, wf: Workflow | None, *, clear: bool
) -> EventView:
    """Return ``view`` as its reader sees it: sensitive values masked unless ``clear``.

    Which values are sensitive, and who reads them in clear, is the one masking policy's
    (``nomination.permissions.privacy``); ``clear`` is its answer for this reader.
    """
    if clear:
        return view
    form = _data_form(event, wf)
    return EventView(_masked_side(view.before, form), _masked_side(view.after, form), view.redacted)


def shown_views(session: Session, events: Sequence[AuditEvent], reader: Any) -> list[EventView]:
    """Return the events' views (personal values in clear) masked as ``reader`` may see them."""
    nominations = nominations_of(session, events)
    flows = {k: engine.workflow_for(n) for k, n in nominations.items()}
    clear_for: dict[str, bool] = {}
    out = []
    for e, v in zip(events, event_views(session, events), strict=True):
        nomination = nominations.get(e.entity_id or "") if e.entity_type == "nomination" else None
        key = f"nomination:{nomination.id}" if nomination is not None else ""
        if key not in clear_for:
            clear_for[key] = can_see_personal_data(reader, nomination)
        wf = flows.get(e.entity_id or "") if nomination is not None else None
        out.append(shown_view(e, v, wf, clear=clear_for[key]))
    return out


@dataclass
class Row:
    """An event as the auditor's pages show it."""

    event: AuditEvent
    view: EventView
    changes: list[Change]
    nomination_id: int | None
    #: For a transition: the version of the nomination when it was fired.
    seen_version: int | None = None
    #: The nominee data as of ``seen_version``, as (label, value) pairs.
    seen_data: list[tuple[str, str]] = field(default_factory=list)
    #: What the event did and in which role, named in the current language.
    action: str = ""
    role: str = ""

    @property
    def entity(self) -> str:
        """Return ``type:id`` of the event's entity."""
        e = self.event
        return f"{e.entity_type}:{e.entity_id}" if e.entity_type else ""

    @property
    def entity_label(self) -> str:
        """Return the event's entity as people read it: ``推荐 12``, ``页面 /audit/``."""
        e = self.event
        if not e.entity_type:
            return ""
        labels = AUDIT_ENTITY_TYPE_LABELS.get(e.entity_type)
        kind = pick(labels) if labels else e.entity_type
        return f"{kind} {e.entity_id}" if e.entity_id else kind


def rows_for(session: Session, events: Sequence[AuditEvent], reader: Any) -> list[Row]:
    """Return the events as rows: values as ``reader`` may see them, field-level changes."""
    views = shown_views(session, events, reader)
    flows = workflows_of(session, events)
    roles = account_roles(session, events)
    rows = []
    for e, v in zip(events, views, strict=True):
        nomination_id = e.entity_id if e.entity_type == "nomination" else None
        wf = flows.get(nomination_id) if nomination_id else None
        nid = int(nomination_id) if nomination_id and nomination_id.isdigit() else None
        row = Row(e, v, field_changes(e, v, wf), nid)
        row.action, row.role = action_label(e, wf), role_shown(e, roles)
        rows.append(row)
    return rows


def account_roles(session: Session, events: Iterable[AuditEvent]) -> dict[int, list[str]]:
    """Return the roles held now by the accounts of events that name no role, by account id.

    Events written before a login or an upload recorded its role name none; the account's
    roles tell the auditor who acted.
    """
    ids = {e.actor_id for e in events if not e.role and e.actor_id is not None}
    if not ids:
        return {}
    held: dict[int, list[str]] = {}
    for account in session.scalars(select(User).where(User.id.in_(ids))):
        held[account.id] = sorted({r.role for r in account.roles})
    return held


def role_shown(event: AuditEvent, roles: dict[int, list[str]]) -> str:
    """Return the role an event was done in, named; else the roles its account holds."""
    if event.role:
        return pick(ROLE_LABELS.get(event.role, {"zh": event.role, "en": event.role}))
    held = roles.get(event.actor_id or 0, [])
    return "、".join(pick(ROLE_LABELS.get(r, {"zh": r, "en": r})) for r in held)


# --- a nomination's data as of a version -----------------------------------------------------


def data_as_of(events: Sequence[AuditEvent], views: Sequence[EventView], version: int) -> dict:
    """Return the nominee data at ``version``, rebuilt from the create and update events.

    A nomination is created at version 1 with all its data; each update records the fields it
    changed (None: removed) and the version it made. Erased values read ``[redacted]``.
    """
    data: dict[str, Any] = {}
    for e, v in zip(events, views, strict=True):
        if e.action == "nomination.create":
            data = dict((v.after or {}).get("data") or {})
        elif e.action == "nomination.update":
            after = v.after or {}
            made = after.get("version")
            if isinstance(made, int) and made > version:
                break
            for name, value in (after.get("data") or {}).items():
                if value is None:
                    data.pop(name, None)
                else:
                    data[name] = value
    return data


def nominee_data_at(session: Session, nomination: Nomination, version: int) -> dict[str, Any]:
    """Return ``nomination``'s nominee data as it was at ``version`` (from the audit trail)."""
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.entity_type == "nomination",
                AuditEvent.entity_id == str(nomination.id),
                AuditEvent.action.in_(("nomination.create", "nomination.update")),
            )
            .order_by(AuditEvent.seq)
        )
    )
    return data_as_of(events, event_views(session, events), version)


def labelled(form: FormDef, data: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (label, shown value) for each field of ``form``, then unknown keys by name."""
    out = [(pick(f.label), _shown(f, data.get(f.name))) for f in form.fields if f.name in data]
    known = {f.name for f in form.fields}
    out.extend((name, as_text(value)) for name, value in data.items() if name not in known)
    return out


def timeline_rows(session: Session, nomination: Nomination, reader: Any) -> list[Row]:
    """Return every event of ``nomination`` in order; each transition with the data it saw.

    Values are as ``reader`` may see them (the masking policy), the data seen included.
    """
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.entity_type == "nomination", AuditEvent.entity_id == str(nomination.id)
            )
            .order_by(AuditEvent.seq)
        )
    )
    rows = rows_for(session, events, reader)
    views = [r.view for r in rows]
    form = engine.workflow_for(nomination).nominee_form
    for i, row in enumerate(rows):
        seen = (row.view.before or {}).get("version")
        if row.event.action.startswith("transition.") and isinstance(seen, int):
            row.seen_version = seen
            row.seen_data = labelled(form, data_as_of(events[:i], views[:i], seen))
    return rows


# --- a person's nominations ------------------------------------------------------------------


def nominations_of_person(
    session: Session, *, id_number: str | None = None, name: str | None = None
) -> list[Nomination]:
    """Return the nominations (of every campaign) whose nominee has this ID number or name."""
    conditions = []
    if id_number:
        conditions.append(Nomination.data["id_number"].as_string() == id_number.strip().upper())
    if name:
        conditions.append(Nomination.nominee_name == name.strip())
    if not conditions:
        return []
    return list(session.scalars(select(Nomination).where(*conditions).order_by(Nomination.id)))


def honours_of(session: Session, nominations: Sequence[Nomination]) -> list[HonourRecord]:
    """Return the archive records the nominations created."""
    if not nominations:
        return []
    return list(
        session.scalars(
            select(HonourRecord)
            .where(HonourRecord.nomination_id.in_([n.id for n in nominations]))
            .order_by(HonourRecord.year, HonourRecord.id)
        )
    )


# --- exports for reading ---------------------------------------------------------------------


def _masked(value: Any) -> Any:
    if audit._is_commitment(value):
        return MASK
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


#: The columns of CSV and Excel exports: (key, Chinese, English). Raw values (UTC time, role
#: and action codes) stand beside the names people read.
EXPORT_COLUMNS = (
    ("seq", "序号", "Seq"),
    ("time", "时间", "Time"),
    ("occurred_at", "时间(UTC)", "Time (UTC)"),
    ("actor", "操作人", "Actor"),
    ("role_label", "角色", "Role"),
    ("role", "角色代码", "Role code"),
    ("action_label", "操作", "Action"),
    ("action", "操作代码", "Action code"),
    ("entity", "对象", "Entity"),
    ("campaign_id", "评选活动", "Campaign"),
    ("changes", "变更", "Changes"),
    ("comment", "说明", "Comment"),
    ("hash", "哈希", "Hash"),
)

#: Events read per round trip when exporting.
EXPORT_CHUNK = 500


def export_events(
    session: Session,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    campaign_id: int | None = None,
) -> Iterator[list[AuditEvent]]:
    """Yield the events selected, oldest first, in chunks (keyset by sequence number)."""
    conditions = []
    if start is not None:
        conditions.append(AuditEvent.occurred_at >= start)
    if end is not None:
        conditions.append(AuditEvent.occurred_at < end)
    if campaign_id is not None:
        conditions.append(AuditEvent.campaign_id == campaign_id)
    after = 0
    while True:
        chunk = list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.seq > after, *conditions)
                .order_by(AuditEvent.seq)
                .limit(EXPORT_CHUNK)
            )
        )
        if not chunk:
            return
        yield chunk
        after = chunk[-1].seq


def export_rows(
    session: Session,
    *,
    tz: tzinfo,
    personal: bool,
    start: datetime | None = None,
    end: datetime | None = None,
    campaign_id: int | None = None,
) -> Iterator[list[Any]]:
    """Yield the header and one row per event, neutralised; personal values only if allowed."""
    english = current_language() == "en"
    yield [c[2] if english else c[1] for c in EXPORT_COLUMNS]
    for chunk in export_events(session, start=start, end=end, campaign_id=campaign_id):
        clear_views = event_views(session, chunk)
        flows = workflows_of(session, chunk)
        roles = account_roles(session, chunk)
        for e, v in zip(chunk, clear_views, strict=True):
            wf = flows.get(e.entity_id or "") if e.entity_type == "nomination" else None
            if not personal:
                v = _export_masked(e, v, wf)
            changes = "\n".join(c.text() for c in field_changes(e, v, wf))
            row = [
                e.seq,
                e.occurred_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
                e.occurred_at.astimezone(UTC).isoformat(),
                e.actor_name,
                role_shown(e, roles),
                e.role or "",
                action_label(e, wf),
                e.action,
                f"{e.entity_type}:{e.entity_id}" if e.entity_type else "",
                e.campaign_id if e.campaign_id is not None else "",
                changes,
                e.comment or "",
                e.hash,
            ]
            yield neutralised(row)


def _export_masked(event: AuditEvent, view: EventView, wf: Workflow | None) -> EventView:
    """Return what an export without personal data shows of an event.

    A form's values follow the masking policy, as on the pages (sensitive ones masked, a
    public summary in clear); the other personal values (a login's address, an account's
    name and e-mail, a contact person) leave the system only with the permission.
    """
    shown = shown_view(event, view, wf, clear=False)
    sides = {"before": dict(shown.before or {}), "after": dict(shown.after or {})}
    for side, key in audit.PERSONAL_PATHS.get(event.action, ()):
        raw = getattr(event, side) or {}
        if key != "data" and key in raw:
            sides[side][key] = _masked(raw[key])
    return EventView(
        sides["before"] if shown.before is not None else None,
        sides["after"] if shown.after is not None else None,
        view.redacted,
    )


def xlsx_bytes(rows: Iterable[list[Any]]) -> bytes:
    """Return an Excel workbook of the (neutralised) rows, values only."""
    return spreadsheets.xlsx_bytes(rows, "audit")


# --- receipts --------------------------------------------------------------------------------


def submission_event(session: Session, nomination: Nomination) -> AuditEvent | None:
    """Return the nominating unit's latest submission event of ``nomination``."""
    return session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.entity_type == "nomination",
            AuditEvent.entity_id == str(nomination.id),
            AuditEvent.action.in_(SUBMISSION_ACTIONS),
        )
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )


def objection_event(session: Session, objection: Objection) -> AuditEvent | None:
    """Return the event that recorded ``objection`` being filed."""
    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "nomination",
            AuditEvent.entity_id == str(objection.nomination_id),
            AuditEvent.action.in_(OBJECTION_ACTIONS),
        )
    )
    return next((e for e in events if (e.after or {}).get("objection_id") == objection.id), None)


@dataclass
class ReceiptStatus:
    """Whether a receipt exists for an event, and the receipt itself when it does."""

    event: AuditEvent | None
    receipt: dict[str, Any] | None

    @property
    def pending(self) -> bool:
        """The event exists but no checkpoint covers it yet."""
        return self.event is not None and self.receipt is None


def receipt_status(session: Session, event: AuditEvent | None) -> ReceiptStatus:
    """Return the receipt of ``event``: None until a checkpoint covers it."""
    return ReceiptStatus(event, receipt(session, event.seq) if event is not None else None)


# --- the last full verification --------------------------------------------------------------


def verification_file() -> Path:
    """Return the file that keeps the result of the last full verification."""
    configured = current_app.config.get("AUDIT_VERIFICATION_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / VERIFICATION_FILE


def last_verification() -> dict[str, Any] | None:
    """Return the stored result of the last full verification, or None."""
    try:
        return json.loads(verification_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _store(result: dict[str, Any]) -> None:
    path = verification_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)


class _OutOfTime(Exception):
    pass


def run_verification(
    session: Session, *, seconds: float, by: str, resume: bool = False
) -> dict[str, Any]:
    """Verify the chain, the tree and every checkpoint, stopping after ``seconds``; store it.

    A run stopped by the time limit says how far it got ("checked X of Y events") and keeps
    where it stood; with ``resume`` the next run goes on from there, so a log too long for
    one request is verified over several, each bounded.
    """
    started = utcnow()
    deadline = clock.monotonic() + seconds
    head = session.get(AuditHead, 1)
    total = head.seq if head is not None else 0
    previous = last_verification() if resume else None
    if previous and not previous.get("finished") and previous.get("resume"):
        state = audit.ChainState.from_dict(previous["resume"])
        result = {
            "started_at": previous["started_at"],
            "by": previous["by"],
            "runs": int(previous.get("runs", 1)) + 1,
            "earlier_seconds": float(previous.get("seconds", 0)),
        }
    else:
        state = audit.ChainState()
        result = {"started_at": started.isoformat(), "by": by, "runs": 1, "earlier_seconds": 0}
    result.update(of=total, limit_seconds=seconds)

    def progress(checked: int) -> None:
        if clock.monotonic() > deadline:
            raise _OutOfTime

    try:
        report = checkpoints.verify_log(session, progress=progress, state=state)
    except _OutOfTime:
        result.update(finished=False, ok=None, checked=state.checked, resume=state.as_dict())
    else:
        result.update(report.as_dict(), finished=True)
    spent = (utcnow() - started).total_seconds()
    result["seconds"] = round(result.pop("earlier_seconds") + spent, 3)
    _store(result)
    return result


__all__ = [
    "REDACTED",
    "Change",
    "EventFilter",
    "Page",
    "Row",
    "csv_chunks",
    "data_as_of",
    "export_rows",
    "field_changes",
    "honours_of",
    "last_verification",
    "neutralise",
    "nominations_of_person",
    "nominee_data_at",
    "page_of_events",
    "receipt_status",
    "rows_for",
    "run_verification",
    "timeline_rows",
    "xlsx_bytes",
]
