"""Turn models into the JSON the API returns; the OpenAPI document describes these shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from nomination import engine
from nomination.audit.chain import EventView, VerifyResult, event_view
from nomination.calendar.presenters import provisional_fields
from nomination.definitions.forms import FormDef
from nomination.engine.definitions import Workflow
from nomination.models import (
    Attachment,
    AuditEvent,
    Campaign,
    Nomination,
    NoticeEntry,
    Objection,
    Organisation,
    User,
)
from nomination.permissions import can_change_attachment, can_download_attachment
from nomination.permissions.privacy import masked_data


def iso(value: date | datetime | None) -> str | None:
    """Return a date or an aware UTC timestamp in ISO 8601 (Flask would write an HTTP date)."""
    return None if value is None else value.isoformat()


def organisation(org: Organisation) -> dict[str, Any]:
    """Describe an organisation."""
    return {
        "id": org.id,
        "code": org.code,
        "name": org.name,
        "name_en": org.name_en,
        "kind": org.kind,
    }


def user(account: User) -> dict[str, Any]:
    """Describe a user and the roles they hold, each with its organisation."""
    return {
        "id": account.id,
        "username": account.username,
        "display_name": account.display_name,
        "email": account.email,
        "roles": [
            {"role": r.role, "organisation": organisation(r.organisation)} for r in account.roles
        ],
    }


def fields(defn: FormDef | None) -> list[dict[str, Any]]:
    """Describe the fields of a form definition (none without a form)."""
    return [f.as_api() for f in defn.fields] if defn is not None else []


def state(wf: Workflow, name: str) -> dict[str, Any]:
    """Describe a state of ``wf`` by name and bilingual label."""
    s = wf.state(name)
    return {"name": s.name, "label": s.label}


def award(session: Session, campaign_award: Any) -> dict[str, Any]:
    """Describe an award kind a campaign offers: its nominee form and its workflow's states."""
    wf = engine.workflow_by_hash(session, campaign_award.definition_hash)
    return {
        "kind": campaign_award.kind,
        "title": campaign_award.title,
        "title_en": campaign_award.title_en,
        "definition_hash": campaign_award.definition_hash,
        "form": {"name": wf.nominee_form.name, "title": wf.nominee_form.title},
        "fields": fields(wf.nominee_form),
        "initial_state": wf.initial,
        "states": [
            {**state(wf, s.name), "editable": s.editable, "terminal": s.terminal}
            for s in wf.states.values()
        ],
        "files": [
            {"purpose": f.purpose, "label": f.label, "required_for": sorted(f.required_for)}
            for f in wf.files.values()
        ],
    }


def campaign(session: Session, row: Campaign) -> dict[str, Any]:
    """Describe a campaign with the award kinds it offers."""
    return {
        "id": row.id,
        "year": row.year,
        "name": row.name,
        "name_en": row.name_en,
        "status": row.status,
        "nomination_deadline": iso(row.nomination_deadline),
        "notice_working_days": row.notice_working_days,
        "objection_contact": row.objection_contact or {},
        "awards": [award(session, a) for a in row.awards],
    }


def nomination_summary(n: Nomination) -> dict[str, Any]:
    """Describe a nomination for lists."""
    wf = engine.workflow_for(n)
    return {
        "id": n.id,
        "campaign_id": n.campaign_id,
        "award_kind": n.kind,
        "unit": organisation(n.unit),
        "nominee_name": n.nominee_name,
        "state": state(wf, n.state),
        "version": n.version,
        "created_at": iso(n.created_at),
        "updated_at": iso(n.updated_at),
    }


def transition(available: engine.Available, wf: Workflow) -> dict[str, Any]:
    """Describe a transition the caller holds a role for, with its form and guard reasons."""
    t = available.transition
    return {
        "trigger": t.trigger,
        "dest": t.dest,
        "label": t.label,
        "role": available.role,
        "fields": fields(wf.forms[t.form] if t.form else None),
        "allowed": available.allowed,
        "reasons": available.reasons,
        "checks": [c.as_json() for c in available.checks],
    }


def attachment(row: Attachment, *, changeable: bool) -> dict[str, Any]:
    """Describe one of a nomination's files (its name as the uploader gave it, its hash)."""
    return {
        "id": row.id,
        "purpose": row.purpose,
        "filename": row.filename,
        "content_type": row.content_type,
        "size": row.size,
        "sha256": row.sha256,
        "uploaded_at": iso(row.uploaded_at),
        "changeable": changeable,
    }


def objection(row: Objection, *, in_full: bool) -> dict[str, Any]:
    """Describe an objection to staff: in full only to its handlers, else its status alone.

    Never the reference: it is the objector's own key for following the objection.
    """
    if not in_full:
        return {"status": row.status, "late": row.late}
    return {
        "id": row.id,
        "status": row.status,
        "late": row.late,
        "received_at": iso(row.received_at),
        "facts": row.facts,
        "conclusion": row.conclusion,
        "objector": {
            "kind": row.objector_kind,
            "name": row.objector_name,
            "phone": row.objector_phone,
            "address": row.objector_address,
        },
        "files": [
            {"purpose": a.purpose, "filename": a.filename, "size": a.size, "sha256": a.sha256}
            for a in row.attachments
        ],
    }


def nomination(
    n: Nomination,
    available: list[engine.Available],
    *,
    objections_in_full: bool = False,
    personal_in_clear: bool = False,
    user: Any = None,
) -> dict[str, Any]:
    """Describe a nomination in full, with the transitions the caller may fire now.

    Its objections are described in full only when ``objections_in_full`` (the caller handles
    them); otherwise only that they exist and their status. Sensitive values (ID number,
    phone) are masked unless ``personal_in_clear`` (the masking policy's answer). ``files`` are
    the unit's own files that ``user`` may download, each saying whether ``user`` may change it.
    """
    wf = engine.workflow_for(n)
    editable = wf.state(n.state).editable
    return {
        **nomination_summary(n),
        "team_id": n.team_id,
        "data": masked_data(wf.nominee_form, n.data or {}, personal_in_clear),
        "masked": not personal_in_clear,
        "evidence": n.evidence or {},
        "state_entered_at": iso(n.state_entered_at),
        "timer": {
            "trigger": n.timer_trigger,
            "due_at": iso(n.timer_due_at),
            **provisional_fields(n.timer_provisional, n.timer_due_at),
        }
        if n.timer_trigger
        else None,
        "decision_number": n.decision_number,
        "decision_date": iso(n.decision_date),
        "transitions": [transition(a, wf) for a in available],
        "objections": [objection(o, in_full=objections_in_full) for o in n.objections],
        "files": [
            attachment(a, changeable=can_change_attachment(user, a, editable))
            for a in n.attachments
            if a.objection_id is None and user is not None and can_download_attachment(user, a)
        ],
    }


#: Notes that older events recorded but only objection handlers may read (the objection's
#: reference is the objector's key for following it).
PRIVATE_NOTES = ("objection_reference",)


def audit_event(
    event: AuditEvent, view: EventView | None = None, *, private_notes: bool = False
) -> dict[str, Any]:
    """Describe an audit event, without private notes unless asked for.

    ``before`` and ``after`` come from ``view`` (``nomination.audit.reading.shown_views``):
    personal values in clear or masked as the caller may see them, or ``[redacted]`` once
    erased, never the commitments the chain hashes.
    Without a view, the event's own session is asked for one.
    """
    if view is None:
        view = event_view(event)
    after = view.after
    if after and not private_notes and any(key in after for key in PRIVATE_NOTES):
        after = {k: v for k, v in after.items() if k not in PRIVATE_NOTES}
    return {
        "seq": event.seq,
        "time": iso(event.occurred_at),
        "actor": event.actor_name,
        "actor_id": event.actor_id,
        "role": event.role,
        "action": event.action,
        "before": view.before,
        "after": after,
        "redacted": view.redacted,
        "comment": event.comment,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def notice(entry: NoticeEntry, campaign: Campaign, position: int) -> dict[str, Any]:
    """Describe an entry on public notice as published: public fields only, where to object."""
    return {
        "id": entry.nomination_id,
        "campaign_id": entry.campaign_id,
        "campaign": campaign.name,
        "award_kind": entry.kind,
        "award_title": entry.award_title.get("zh", entry.kind),
        "unit": entry.unit_name,
        "fields": {f["name"]: f["value"] for f in entry.fields},
        "position": position,
        "notice_order": entry.notice_order,
        "sequence": entry.sequence,
        "published_at": iso(entry.published_at),
        "notice_ends_at": iso(entry.ends_at),
        **provisional_fields(
            entry.ends_provisional, entry.ends_at, closed=entry.closed_at is not None
        ),
        "objection_contact": entry.objection_contact or {},
    }


def objection_status(objection: Objection) -> dict[str, Any]:
    """Describe an objection to the objector: its status only, never who filed it."""
    return {"reference": objection.reference, "status": objection.status, "late": objection.late}


def verify_result(result: VerifyResult) -> dict[str, Any]:
    """Describe the outcome of verifying the audit chain."""
    return result.as_dict()
