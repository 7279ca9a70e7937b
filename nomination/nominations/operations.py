"""Business actions. Each checks permission, acts, flushes and audits; none commits.

Views, the JSON API and the CLI call these same functions; the request or command around
them commits once, or rolls everything back.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from nomination import engine, signals
from nomination.actors import PUBLIC, actor_fields
from nomination.audit.chain import append_event
from nomination.db import utcnow
from nomination.definitions.forms import FormDef, validate
from nomination.errors import Conflict, InvalidData, NotFound, PermissionDenied
from nomination.i18n import pick
from nomination.models import (
    ApiToken,
    Attachment,
    Campaign,
    Nomination,
    Objection,
    Organisation,
    Team,
    User,
)
from nomination.objections.rules import new_objection_reference
from nomination.permissions.core import (
    can_attach,
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
    if errors:
        raise InvalidData("some fields are invalid", fields=errors)
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
    append_event(
        session,
        action="nomination.create",
        **actor_fields(actor),
        role="unit_submitter",
        organisation_id=unit.id,
        campaign_id=campaign.id,
        entity_type="nomination",
        entity_id=nomination.id,
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
    if errors:
        raise InvalidData("some fields are invalid", fields=errors)
    old = nomination.data or {}
    changed = sorted(k for k in set(old) | set(clean) if old.get(k) != clean.get(k))
    if not changed:
        return []
    nomination.data = clean
    nomination.nominee_name = _nominee_name(wf, clean)
    with engine.stale_is_conflict():
        session.flush()
    append_event(
        session,
        action="nomination.update",
        **actor_fields(actor),
        role="unit_submitter",
        organisation_id=nomination.unit_id,
        campaign_id=nomination.campaign_id,
        entity_type="nomination",
        entity_id=nomination.id,
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


#: States in which an objection joins the review already under way rather than starting one.
UNDER_REVIEW = ("objection_review", "unit_verification")


def objection_is_late(nomination: Nomination) -> bool:
    """Return whether an objection sent now comes after the nominee's notice has closed."""
    return nomination.state != "public_notice" and nomination.state not in UNDER_REVIEW


SEALED_LETTER_REQUIRED = {
    "zh": "单位提出异议须上传加盖公章的异议函",
    "en": "A unit objecting must upload its letter bearing its seal",
}
#: What an objection's files are for.
OBJECTION_FILE_PURPOSES = ("objection_evidence", "sealed_letter")


def objection_form_def(nomination: Nomination) -> FormDef | None:
    """Return the form the public objects in, as the nomination's definition names it."""
    wf = engine.workflow_for(nomination)
    for t in wf.transitions:
        if "public" in t.roles and t.form:
            return wf.forms[t.form]
    return None


def file_objection(
    nomination: Nomination,
    *,
    data: dict[str, Any],
    files: list[tuple[StoredFile, str]] = (),
    client: str | None = None,
) -> Objection:
    """Take a public objection against a published nomination; return the stored objection.

    On notice, the objection moves the nomination to its review. While a review is under way
    it joins that review. After the notice has closed it is stored and marked late, never
    dropped. ``files`` are (stored file, purpose) pairs: evidence, and the sealed letter a
    unit objecting must send. ``client`` is the sender's keyed pseudonym (rate limit).
    """
    session = object_session(nomination)
    assert session is not None
    defn = objection_form_def(nomination)
    if defn is None or not _was_published(session, nomination):
        raise NotFound("this nomination has not been on public notice")
    clean, errors = validate(defn, data)
    purposes = {purpose for _, purpose in files}
    if clean.get("objector_kind") == "unit" and "sealed_letter" not in purposes:
        errors["sealed_letter"] = [pick(SEALED_LETTER_REQUIRED)]
    if unknown := purposes - set(OBJECTION_FILE_PURPOSES):
        raise ValueError(f"unknown purposes {sorted(unknown)}")
    if errors:
        raise InvalidData("some fields are invalid", fields=errors)
    now = utcnow()
    if nomination.state == "public_notice":
        engine.fire(nomination, "object", PUBLIC, data=clean, now=now)
        objection = nomination.objections[-1]
    else:
        late = objection_is_late(nomination)
        objection = Objection(
            nomination=nomination,
            reference=new_objection_reference(),
            objector_name=clean["objector_name"],
            objector_phone=clean["objector_phone"],
            objector_address=clean["objector_address"],
            objector_kind=clean.get("objector_kind") or "person",
            facts=clean["facts"],
            received_at=now,
            late=late,
        )
        session.add(objection)
        session.flush()
        # As for the objection that opens a review: that it exists, never who made it.
        append_event(
            session,
            action="objection.receive",
            actor_name=PUBLIC.name,
            role="public",
            organisation_id=nomination.unit_id,
            campaign_id=nomination.campaign_id,
            entity_type="nomination",
            entity_id=nomination.id,
            after={"objection_id": objection.id, "late": late, "state": nomination.state},
            now=now,
        )
    objection.client_key = client
    for stored, purpose in files:
        record_attachment(session, nomination, stored, purpose, objection=objection, now=now)
    session.flush()
    return objection


def _was_published(session: Session, nomination: Nomination) -> bool:
    from nomination.models import NoticeEntry

    if nomination.state == "public_notice":
        return True
    return (
        session.scalar(
            select(NoticeEntry.id).where(NoticeEntry.nomination_id == nomination.id).limit(1)
        )
        is not None
    )


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
    append_event(
        session,
        action="attachment.add",
        **actor_fields(actor),
        role=role or ("public" if actor is PUBLIC else None),
        organisation_id=nomination.unit_id,
        campaign_id=nomination.campaign_id,
        entity_type="nomination",
        entity_id=nomination.id,
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
    return record_attachment(session, nomination, stored, purpose, actor=actor)


def objection_status(session: Session, reference: str) -> Objection:
    """Return the objection with ``reference`` (for the objector, who holds the reference)."""
    objection = session.scalar(select(Objection).where(Objection.reference == reference))
    if objection is None:
        raise NotFound("no objection with this reference")
    return objection


def record_login(session: Session, user: User, *, address: str | None) -> None:
    """Audit a successful login; the client's address is kept as erasable personal data."""
    append_event(
        session,
        action="auth.login",
        actor_id=user.id,
        actor_name=user.name,
        entity_type="user",
        entity_id=user.id,
        after={"client": {"address": address}},
    )


def login_key(session: Session, username: str) -> str:
    """Return how a login attempt for ``username`` is recorded and counted.

    A name that is no user's is often a password typed into the wrong field: it is kept only
    as a hash, so the audit trail never holds it, yet repeated attempts still count together.
    """
    name = username[:64]
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        return name
    return "unknown:" + hashlib.sha256(name.encode()).hexdigest()[:24]


def record_failed_login(
    session: Session, username: str, *, address: str | None, client: str | None
) -> None:
    """Audit a failed login attempt; these also drive the rate limits (per name, per client).

    ``client`` is a keyed pseudonym of the address: the per-address limit counts it, while the
    address itself is kept only as erasable personal data.
    """
    append_event(
        session,
        action="auth.login_failed",
        actor_name="anonymous",
        entity_type="user",
        entity_id=login_key(session, username),
        after={"client": {"address": address}},
        comment=client,
    )


def record_logout(session: Session, user: User) -> None:
    """Audit a logout and end every session of the user (the token rotates)."""
    user.rotate_session()
    append_event(
        session,
        action="auth.logout",
        actor_id=user.id,
        actor_name=user.name,
        entity_type="user",
        entity_id=user.id,
    )


def record_access_denied(session: Session, actor: Any, *, path: str, reason: str) -> None:
    """Audit a refused authorisation."""
    append_event(
        session,
        action="auth.denied",
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "name", "anonymous"),
        entity_type="path",
        entity_id=path[:64],
        comment=reason[:500],
    )


def change_password(user: User, *, actor: Any, password: str) -> None:
    """Set a new password; every existing session and API token of the user ends."""
    session = object_session(user)
    assert session is not None
    user.set_password(password)
    user.must_change_password = False
    append_event(
        session,
        action="user.password_changed",
        **actor_fields(actor),
        entity_type="user",
        entity_id=user.id,
    )
    # A new password ends every way in that the old one may have handed out.
    revoke_api_tokens(session, user, actor=actor)


def hash_token(token: str) -> str:
    """Return the stored form of an API token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(session: Session, user: User, *, name: str, actor: Any) -> str:
    """Create an API token for ``user`` and return it; only its hash is kept."""
    token = "nom_" + secrets.token_urlsafe(32)
    row = ApiToken(user=user, name=name, token_hash=hash_token(token))
    session.add(row)
    session.flush()
    append_event(
        session,
        action="token.create",
        **actor_fields(actor),
        entity_type="api_token",
        entity_id=row.id,
        after={"user": user.username, "name": name},
    )
    return token


def revoke_api_tokens(session: Session, user: User, *, actor: Any, name: str | None = None) -> int:
    """Revoke the user's live tokens (only those called ``name`` if given); return how many."""
    query = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if name:
        query = query.where(ApiToken.name == name)
    rows = session.scalars(query).all()
    for row in rows:
        row.revoked_at = utcnow()
        append_event(
            session,
            action="token.revoke",
            **actor_fields(actor),
            entity_type="api_token",
            entity_id=row.id,
        )
    return len(rows)
