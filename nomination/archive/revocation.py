"""Revocation of titles (撤销称号): proposals, returned items, batch rescission of a decision.

A revocation is an :class:`ArchiveCase` run by the engine on ``workflows/revocation.toml``:
proposed by the holder's unit, the federation or a discipline body → reviewed by the
federation → decided by the approver with a decision number (effect ``revoke_honour``). The
honour stays in the archive, marked revoked from a date. Every change is audited in the
caller's transaction; nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Select, or_, select, update
from sqlalchemy.orm import Session

from nomination import engine
from nomination.archive import cases
from nomination.archive.cases import transition_case as transition_case
from nomination.audit.chain import Personal, case_entity, record_event, subject_key
from nomination.db import local_today, locked, utcnow
from nomination.definitions.forms import validate
from nomination.errors import (
    Conflict,
    InvalidData,
    NotFound,
    OperationError,
    OutOfScope,
    PermissionDenied,
    require_valid,
)
from nomination.i18n import pick
from nomination.models import (
    ArchiveCase,
    AuditEvent,
    HonourRecord,
    Organisation,
    ReturnItem,
)
from nomination.permissions import (
    can_propose_revocation,
    can_record_return,
    can_rescind,
    can_view_case,
    case_scope,
    concerned_unit,
    has_role_over,
    in_subtrees,
    proposer_kind,
    role_paths,
)
from nomination.permissions.revocation import CASE_READERS, PROPOSERS

#: The workflow definition revocations run on.
WORKFLOW = "revocation"
#: How the case records who proposed it.
PROPOSED_BY = {
    "unit": {"zh": "获得者所在单位", "en": "The holder's unit"},
    "federation": {"zh": "区总工会", "en": "The federation"},
    "discipline": {"zh": "纪检监察机关", "en": "A discipline body"},
}


# --- who may do what -------------------------------------------------------------------------


def federation_of(org: Organisation) -> Organisation:
    """Return the federation ``org`` belongs to (itself when it is one)."""
    current: Organisation | None = org
    while current is not None and current.kind != "federation":
        current = current.parent
    return current or org


# --- reading ---------------------------------------------------------------------------------


def visible_cases(user: Any, *, state: str | None = None) -> Select:
    """Return a query of the revocation cases ``user`` may read, newest first."""
    query = (
        select(ArchiveCase)
        .join(Organisation, ArchiveCase.unit_id == Organisation.id)
        .where(ArchiveCase.kind == "revocation", case_scope(user))
        .order_by(ArchiveCase.created_at.desc(), ArchiveCase.id.desc())
    )
    if state:
        query = query.where(ArchiveCase.state == state)
    return query


def load_case(session: Session, case_id: int, user: Any) -> ArchiveCase:
    """Return the revocation case if ``user`` may read it; NotFound or OutOfScope (404) if not."""
    return cases.load_case(
        session, case_id, user, kind="revocation", can_view=can_view_case, what="case"
    )


def load_honour(session: Session, honour_id: int, user: Any) -> HonourRecord:
    """Return the honour if ``user`` may propose its revocation or read a case on it."""
    honour = session.get(HonourRecord, honour_id)
    if honour is None:
        raise NotFound("no such honour")
    unit = concerned_unit(honour)
    readable = unit is not None and any(has_role_over(user, r, unit) for r in CASE_READERS)
    if not (readable or can_propose_revocation(user, honour)):
        raise OutOfScope("no such honour")
    return honour


def open_case(session: Session, honour: HonourRecord) -> ArchiveCase | None:
    """Return the revocation case of ``honour`` still under way, if there is one."""
    ended = _terminal_states()
    return session.scalar(
        select(ArchiveCase)
        .where(
            ArchiveCase.kind == "revocation",
            ArchiveCase.honour_record_id == honour.id,
            ArchiveCase.state.not_in(ended),
        )
        .order_by(ArchiveCase.id)
        .limit(1)
    )


def cases_of(session: Session, honour: HonourRecord) -> list[ArchiveCase]:
    """Return every revocation case of ``honour``, oldest first."""
    return list(
        session.scalars(
            select(ArchiveCase)
            .where(ArchiveCase.kind == "revocation", ArchiveCase.honour_record_id == honour.id)
            .order_by(ArchiveCase.id)
        )
    )


def case_history(session: Session, case: ArchiveCase) -> list[AuditEvent]:
    """Return the audit events of ``case`` in order."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "case", AuditEvent.entity_id == str(case.id))
            .order_by(AuditEvent.seq)
        )
    )


def honours_of_decision(session: Session, decision_number: str, user: Any) -> list[HonourRecord]:
    """Return the active honours conferred by ``decision_number`` that ``user`` may rescind."""
    paths = role_paths(user, "approver")
    if not paths or not decision_number:
        return []
    return list(
        session.scalars(
            select(HonourRecord)
            .join(Organisation, HonourRecord.unit_id == Organisation.id)
            .where(
                HonourRecord.decision_number == decision_number,
                HonourRecord.status == "active",
                in_subtrees(paths),
            )
            .order_by(HonourRecord.id)
        )
    )


def proposable_honours(
    session: Session, user: Any, text: str, limit: int = 50
) -> list[HonourRecord]:
    """Return active honours ``user`` may propose revoking whose holder or decision matches."""
    text = text.strip()
    paths = role_paths(user, *(role for role, _kind in PROPOSERS))
    if not text or not paths:
        return []
    rows = session.scalars(
        select(HonourRecord)
        .join(Organisation, HonourRecord.unit_id == Organisation.id)
        .where(
            HonourRecord.status == "active",
            or_(
                HonourRecord.holder_name.contains(text, autoescape=True),
                HonourRecord.decision_number == text,
            ),
            in_subtrees(paths),
        )
        .order_by(HonourRecord.year.desc(), HonourRecord.id)
        .limit(limit)
    )
    # The paths of a unit's submitters cover their own unit; the predicate has the last word.
    return [h for h in rows if can_propose_revocation(user, h)]


def _terminal_states() -> list[str]:
    wf = engine.current_definitions()[WORKFLOW]
    return [s.name for s in wf.states.values() if s.terminal]


# --- proposing -------------------------------------------------------------------------------


def _create_case(
    session: Session,
    honour: HonourRecord,
    actor: Any,
    *,
    role: str,
    proposed_by: str,
    data: dict[str, Any],
    now: datetime,
    rescinds: str | None = None,
) -> ArchiveCase:
    """Create the case in the workflow's initial state and audit it (checks done by callers)."""
    # Lock the honour while looking for an open case, so that two proposals made at the same
    # moment cannot both pass the check (PostgreSQL; SQLite serialises writers anyway).
    # Re-read under the lock: a decision committed meanwhile may have revoked it already.
    locked(session, honour)
    existing = open_case(session, honour)
    if existing is not None:
        raise Conflict("a revocation of this honour is already under way", case_id=existing.id)
    if honour.status != "active":
        raise Conflict("the honour has already been revoked")
    unit = concerned_unit(honour)
    if unit is None:
        raise InvalidData("the honour names neither a unit nor a holder")
    wf = engine.pin_definition(session, WORKFLOW)
    clean, errors = validate(wf.nominee_form, data)
    require_valid(errors)
    case_data: dict[str, Any] = {**clean, "proposed_by": proposed_by}
    if rescinds:
        case_data["rescinds"] = rescinds
    case = ArchiveCase(
        kind="revocation",
        federation_id=federation_of(unit).id,
        unit_id=unit.id,
        definition_hash=wf.hash,
        state=wf.initial,
        data=case_data,
        evidence={},
        honour_record_id=honour.id,
        created_by_id=getattr(actor, "id", None),
        created_at=now,
        state_entered_at=now,
    )
    session.add(case)
    session.flush()
    # The grounds and facts may describe offences: kept as personal values of the case.
    record_event(
        session,
        actor,
        "case.create",
        case_entity(case),
        role=role,
        after={
            "kind": "revocation",
            "state": case.state,
            "version": case.version,
            "honour_record_id": honour.id,
            "proposed_by": proposed_by,
            "rescinds": rescinds,
            "data": clean,
        },
        now=now,
        personal=Personal(subject_key("case", case.id), (("after", "data"),)),
    )
    return case


def propose(
    session: Session,
    honour: HonourRecord,
    actor: Any,
    *,
    grounds: str,
    facts: str,
    now: datetime | None = None,
) -> ArchiveCase:
    """Propose revoking ``honour``: by its holder's unit, the federation or a discipline body.

    One case per honour at a time (409 while another is under way); the grounds and facts are
    validated by the case's form; the proposer's standing is recorded as ``proposed_by``.
    """
    unit = concerned_unit(honour)
    if not can_propose_revocation(actor, honour):
        if honour.status != "active" and proposer_kind(actor, unit) is not None:
            raise Conflict("the honour has already been revoked")
        raise PermissionDenied("you may not propose revoking this honour")
    kind = proposer_kind(actor, unit) or "federation"
    role = next(r for r, k in PROPOSERS if k == kind)
    return _create_case(
        session,
        honour,
        actor,
        role=role,
        proposed_by=kind,
        data={"grounds": grounds, "facts": facts},
        now=now or utcnow(),
    )


# --- items given back ------------------------------------------------------------------------


def record_return(
    session: Session,
    item: ReturnItem,
    actor: Any,
    returned_on: date,
    *,
    note: str | None = None,
) -> ReturnItem:
    """Record that ``item`` was given back on ``returned_on``; audited on its case.

    Recorded once: a second record (two people at once, or a stale page) is a 409.
    """
    case = item.case
    if not can_record_return(actor, case):
        raise PermissionDenied("you may not record returned items of this case")
    if returned_on > local_today():
        message = pick({"zh": "日期不能晚于今天", "en": "The date cannot be in the future"})
        raise InvalidData("the date is in the future", fields={"returned_on": [message]})
    # Only an item not yet returned is changed, so a concurrent record never overwrites one.
    # An UPDATE's result is a CursorResult, which counts the rows.
    changed = cast(
        "CursorResult[Any]",
        session.execute(
            update(ReturnItem)
            .where(ReturnItem.id == item.id, ReturnItem.returned_on.is_(None))
            .values(returned_on=returned_on, note=note or None)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    session.refresh(item)
    if not changed:
        raise Conflict("this item has already been recorded as returned")
    record_event(
        session,
        actor,
        "case.return_item",
        case_entity(case),
        role="federation_reviewer",
        after={
            "item": item.item,
            "item_id": item.id,
            "due_date": item.due_date,
            "returned_on": returned_on,
            "late": bool(item.due_date and returned_on > item.due_date),
        },
        comment=note or None,
    )
    return item


def overdue(item: ReturnItem, today: date | None = None) -> bool:
    """Return whether ``item`` is still out after its due date."""
    today = today or local_today()
    return item.returned_on is None and item.due_date is not None and item.due_date < today


# --- batch rescission ------------------------------------------------------------------------


@dataclass
class RescissionResult:
    """What became of one honour of a rescinded decision: revoked (its case), or why not."""

    honour: HonourRecord
    done: bool
    case: ArchiveCase | None = None
    code: str = ""
    message: str = ""
    fields: dict[str, list[str]] | None = None


def rescind_decision(
    session: Session,
    decision_number: str,
    actor: Any,
    *,
    grounds: str,
    facts: str,
    revocation: dict[str, Any],
    expected: set[int] | None = None,
    now: datetime | None = None,
) -> list[RescissionResult]:
    """Revoke every active honour conferred by ``decision_number`` (整批撤销), as the approver.

    Each honour gets its own case, reviewed and revoked in its own savepoint and audited step
    by step; one that cannot be revoked (a case already under way, a date before it was
    conferred) is reported and never undoes the others. ``revocation`` is the revocation
    decision form's data, shared by all. ``expected`` is the set of honour ids the approver
    confirmed: if the decision's honours changed since, nothing is done (409).
    """
    if not can_rescind(actor):
        raise PermissionDenied("only the approver may rescind a decision")
    now = now or utcnow()
    wf = engine.pin_definition(session, WORKFLOW)
    # Check the shared data once, so that a typing error is shown once, not once per honour.
    errors: dict[str, list[str]] = {}
    errors.update(validate(wf.nominee_form, {"grounds": grounds, "facts": facts})[1])
    decision = wf.transition("decision", "revoke")
    assert decision is not None and decision.form, "a revocation is decided with a form"
    decision_form = wf.forms[decision.form]
    errors.update(validate(decision_form, revocation)[1])
    require_valid(errors)
    honours = honours_of_decision(session, decision_number, actor)
    if not honours:
        raise NotFound("no active honour was conferred by this decision")
    if expected is not None and {h.id for h in honours} != expected:
        raise Conflict("the honours of this decision changed meanwhile; check the list again")
    comment = revocation.get("comment") or f"整批撤销{decision_number}所授予的称号"
    results = []
    for honour in honours:
        case = None
        try:
            with session.begin_nested():
                case = _create_case(
                    session,
                    honour,
                    actor,
                    role="approver",
                    proposed_by="federation",
                    data={"grounds": grounds, "facts": facts},
                    now=now,
                    rescinds=decision_number,
                )
                engine.fire(case, "review", actor, data={"comment": comment}, now=now)
                engine.fire(case, "revoke", actor, data=revocation, now=now)
        except OperationError as exc:
            existing = exc.extra.get("case_id")
            results.append(
                RescissionResult(
                    honour=honour,
                    done=False,
                    case=session.get(ArchiveCase, existing) if existing else None,
                    code=exc.code,
                    message=exc.message,
                    fields=exc.fields or None,
                )
            )
        else:
            results.append(RescissionResult(honour=honour, done=True, case=case))
    return results
