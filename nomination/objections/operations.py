"""The public's objections: filing one against a nominee on notice, following it by reference."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from nomination import engine
from nomination.actors import PUBLIC
from nomination.audit.chain import nomination_entity, record_event
from nomination.db import utcnow
from nomination.definitions.forms import FormDef, validate
from nomination.errors import NotFound, OperationError, require_valid
from nomination.i18n import pick
from nomination.models import (
    Nomination,
    NoticeEntry,
    Objection,
)
from nomination.nominations.operations import record_attachment
from nomination.objections.rules import new_objection_reference
from nomination.uploads import StoredFile


def on_notice(nomination: Nomination) -> bool:
    """Return whether the nominee is on public notice now (the state tagged ``notice``)."""
    return engine.workflow_for(nomination).tagged(nomination.state, "notice")


def objection_is_late(nomination: Nomination) -> bool:
    """Return whether an objection sent now comes after the nominee's notice has closed.

    On notice it opens a review; while one is under way (``objection_review``) it joins it.
    """
    wf = engine.workflow_for(nomination)
    return not (on_notice(nomination) or wf.tagged(nomination.state, "objection_review"))


SEALED_LETTER_REQUIRED = {
    "zh": "单位提出异议须上传加盖公章的异议函",
    "en": "A unit objecting must upload its letter bearing its seal",
}


#: What an objection's files are for.
OBJECTION_FILE_PURPOSES = ("objection_evidence", "sealed_letter")


class AlreadyFiled(OperationError):
    """An objection was already filed with this reference (the same form, sent again)."""

    status = 409
    code = "already_filed"


def file_problems(objector_kind: str | None, purposes: set[str]) -> dict[str, list[str]]:
    """Return what is missing among an objection's files, by field: a unit's sealed letter."""
    if objector_kind == "unit" and "sealed_letter" not in purposes:
        return {"sealed_letter": [pick(SEALED_LETTER_REQUIRED)]}
    return {}


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
    files: Sequence[tuple[StoredFile, str]] = (),
    client: str | None = None,
    reference: str | None = None,
) -> Objection:
    """Take a public objection against a published nomination; return the stored objection.

    On notice, the objection moves the nomination to its review. While a review is under way
    it joins that review. After the notice has closed it is stored and marked late, never
    dropped. ``files`` are (stored file, purpose) pairs: evidence, and the sealed letter a
    unit objecting must send. ``client`` is the sender's keyed pseudonym (rate limit).
    ``reference``, when given, is the objection's reference (else a random one): a second
    objection with the same reference is refused with AlreadyFiled.
    """
    session = object_session(nomination)
    assert session is not None
    defn = objection_form_def(nomination)
    if defn is None or not _was_published(session, nomination):
        raise NotFound("this nomination has not been on public notice")
    clean, errors = validate(defn, data)
    purposes = {purpose for _, purpose in files}
    errors.update(file_problems(clean.get("objector_kind"), purposes))
    if unknown := purposes - set(OBJECTION_FILE_PURPOSES):
        raise ValueError(f"unknown purposes {sorted(unknown)}")
    require_valid(errors)
    if reference is not None and _reference_taken(session, reference):
        raise AlreadyFiled("an objection was already filed with this form")
    now = utcnow()
    if on_notice(nomination):
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
        record_event(
            session,
            PUBLIC,
            "objection.receive",
            nomination_entity(nomination),
            role="public",
            after={"objection_id": objection.id, "late": late, "state": nomination.state},
            now=now,
        )
    objection.client_key = client
    if reference is not None:
        objection.reference = reference
        try:
            # The same form sent twice at once: the reference's uniqueness lets one through.
            session.flush()
        except IntegrityError as exc:
            raise AlreadyFiled("an objection was already filed with this form") from exc
    for stored, purpose in files:
        record_attachment(session, nomination, stored, purpose, objection=objection, now=now)
    session.flush()
    return objection


def _reference_taken(session: Session, reference: str) -> bool:
    found = session.scalar(select(Objection.id).where(Objection.reference == reference).limit(1))
    return found is not None


def _was_published(session: Session, nomination: Nomination) -> bool:
    if on_notice(nomination):
        return True
    return (
        session.scalar(
            select(NoticeEntry.id).where(NoticeEntry.nomination_id == nomination.id).limit(1)
        )
        is not None
    )


def objection_status(session: Session, reference: str) -> Objection:
    """Return the objection with ``reference`` (for the objector, who holds the reference)."""
    objection = session.scalar(select(Objection).where(Objection.reference == reference))
    if objection is None:
        raise NotFound("no objection with this reference")
    return objection
