"""Business actions. Each checks permission, acts, flushes and audits; none commits.

Views, the JSON API and the CLI call these same functions; the request or command around
them commits once, or rolls everything back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, object_session

from nomination import engine, signals
from nomination.actors import PUBLIC
from nomination.audit.chain import nomination_entity, record_event
from nomination.db import utcnow
from nomination.definitions.forms import validate
from nomination.errors import Conflict, InvalidData, PermissionDenied, require_valid
from nomination.models import (
    Attachment,
    Campaign,
    Nomination,
    Objection,
    Organisation,
    Team,
)
from nomination.permissions import (
    can_attach,
    can_change_attachment,
    can_create_nomination,
    can_edit_nomination,
)
from nomination.uploads import StoredFile


def _nominee_name(wf: engine.core.Workflow, data: dict[str, Any]) -> str:
    field = wf.nominee_form.title_field
    return str(data.get(field, "")) if field else ""


def create_nomination(
    session: Session,
    *,
    actor: Any,
    campaign: Campaign,
    kind: str,
    unit: Organisation,
    data: dict[str, Any],
    team: Team | None = None,
) -> Nomination:
    """Start a nomination in its workflow's initial state; the data may still be incomplete."""
    if not can_create_nomination(actor, unit):
        raise PermissionDenied("you may not nominate for this unit")
    award = campaign.award(kind)
    if award is None:
        raise InvalidData(
            f"this campaign does not offer '{kind}'", fields={"award_kind": ["not offered"]}
        )
    if campaign.status != "open":
        raise Conflict("the campaign is closed")
    wf = engine.workflow_by_hash(session, award.definition_hash)
    clean, errors = validate(wf.nominee_form, data, strict=False)
    require_valid(errors)
    nomination = Nomination(
        campaign=campaign,
        kind=kind,
        unit=unit,
        team=team,
        definition_hash=award.definition_hash,
        state=wf.initial,
        data=clean,
        evidence={},
        nominee_name=_nominee_name(wf, clean),
        created_by_id=getattr(actor, "id", None),
    )
    session.add(nomination)
    session.flush()
    record_event(
        session,
        actor,
        "nomination.create",
        nomination_entity(nomination),
        role="unit_submitter",
        after={"state": nomination.state, "kind": kind, "data": clean},
    )
    return nomination


def update_nomination(
    nomination: Nomination, *, actor: Any, data: dict[str, Any], version: int
) -> list[str]:
    """Replace the nominee data while the state allows editing; return the changed fields."""
    session = object_session(nomination)
    assert session is not None
    wf = engine.workflow_for(nomination)
    if not can_edit_nomination(actor, nomination, wf.state(nomination.state).editable):
        raise PermissionDenied("this nomination cannot be edited by you now")
    if version != nomination.version:
        raise Conflict(
            "the nomination was changed by someone else; reload it and try again",
            version=nomination.version,
        )
    clean, errors = validate(wf.nominee_form, data, strict=False)
    require_valid(errors)
    old = nomination.data or {}
    changed = sorted(k for k in set(old) | set(clean) if old.get(k) != clean.get(k))
    if not changed:
        return []
    nomination.data = clean
    nomination.nominee_name = _nominee_name(wf, clean)
    with engine.stale_is_conflict():
        session.flush()
    record_event(
        session,
        actor,
        "nomination.update",
        nomination_entity(nomination),
        role="unit_submitter",
        before={"version": version, "data": {k: old.get(k) for k in changed}},
        after={"version": nomination.version, "data": {k: clean.get(k) for k in changed}},
    )
    signals.nomination_updated.send(nomination, actor=actor, changed=changed)
    return changed


def transition_nomination(
    nomination: Nomination,
    *,
    actor: Any,
    trigger: str,
    version: int | None,
    data: dict[str, Any] | None = None,
) -> Nomination:
    """Fire ``trigger`` as ``actor`` (the engine checks, changes and audits)."""
    return engine.fire(nomination, trigger, actor, version=version, data=data)


def record_attachment(
    session: Session,
    nomination: Nomination,
    stored: StoredFile,
    purpose: str,
    *,
    actor: Any = PUBLIC,
    role: str | None = None,
    objection: Objection | None = None,
    consultation_request: Any = None,
    now: Any = None,
) -> Attachment:
    """Record a stored file as the nomination's, and audit it with its hash.

    Given with an objection or with a department's opinion, it is linked to that.
    """
    attachment = Attachment(
        nomination=nomination,
        objection=objection,
        consultation_request_id=consultation_request.id if consultation_request else None,
        sha256=stored.sha256,
        filename=stored.filename,
        content_type=stored.content_type,
        size=stored.size,
        purpose=purpose,
        uploaded_by_id=getattr(actor, "id", None),
        uploaded_at=now or utcnow(),
    )
    session.add(attachment)
    session.flush()
    record_event(
        session,
        actor,
        "attachment.add",
        nomination_entity(nomination),
        role=role or ("public" if actor is PUBLIC else None),
        # The hash proves later which file it was; the file's name may carry personal data
        # of an objector, so it stays out of the hashed record.
        after={
            "attachment_id": attachment.id,
            "purpose": purpose,
            "sha256": stored.sha256,
            "size": stored.size,
            "content_type": stored.content_type,
            "objection_id": objection.id if objection else None,
            **(
                {"consultation_request_id": consultation_request.id} if consultation_request else {}
            ),
        },
        now=now,
    )
    return attachment


def attach_file(
    nomination: Nomination, *, actor: Any, stored: StoredFile, purpose: str
) -> Attachment:
    """Attach a checked, stored file to a nomination, if ``actor`` may now (audited)."""
    session = object_session(nomination)
    assert session is not None
    editable = engine.workflow_for(nomination).state(nomination.state).editable
    if not can_attach(actor, nomination, purpose, editable):
        raise PermissionDenied("you cannot attach this file to this nomination now")
    # The predicate admits the unit's submitters only: the event names the role they acted in.
    return record_attachment(
        session, nomination, stored, purpose, actor=actor, role="unit_submitter"
    )


def _file_fields(attachment: Attachment) -> dict[str, Any]:
    """Return what the audit keeps of a file: its hash proves which one it was.

    Never its name, which may carry personal data.
    """
    return {
        "attachment_id": attachment.id,
        "purpose": attachment.purpose,
        "sha256": attachment.sha256,
        "size": attachment.size,
        "content_type": attachment.content_type,
    }


def _require_changeable(attachment: Attachment, actor: Any) -> Session:
    """Return the attachment's session if ``actor`` may change it now; else refuse."""
    session = object_session(attachment)
    assert session is not None
    nomination = attachment.nomination
    editable = engine.workflow_for(nomination).state(nomination.state).editable
    if not can_change_attachment(actor, attachment, editable):
        raise PermissionDenied("you cannot change this file now")
    return session


def remove_attachment(attachment: Attachment, *, actor: Any) -> None:
    """Remove a file from the nomination while it may be changed (audited with its hash).

    The stored file itself stays in the file store, named by the hash the audit keeps, so that
    the record of what was once attached can still be checked against it.
    """
    session = _require_changeable(attachment, actor)
    nomination = attachment.nomination
    before = _file_fields(attachment)
    nomination.attachments.remove(attachment)
    session.delete(attachment)
    session.flush()
    record_event(
        session,
        actor,
        "attachment.remove",
        nomination_entity(nomination),
        role="unit_submitter",
        before=before,
    )


def replace_attachment(attachment: Attachment, *, actor: Any, stored: StoredFile) -> Attachment:
    """Put a newly stored file in the place of ``attachment``, for the same purpose (audited).

    The replaced file stays in the file store under the hash its events keep.
    """
    session = _require_changeable(attachment, actor)
    before = _file_fields(attachment)
    attachment.sha256 = stored.sha256
    attachment.filename = stored.filename
    attachment.content_type = stored.content_type
    attachment.size = stored.size
    attachment.uploaded_by_id = getattr(actor, "id", None)
    attachment.uploaded_at = utcnow()
    session.flush()
    record_event(
        session,
        actor,
        "attachment.replace",
        nomination_entity(attachment.nomination),
        role="unit_submitter",
        before=before,
        after=_file_fields(attachment),
    )
    return attachment
