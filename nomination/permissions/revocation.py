"""Who proposes, reads and decides the revocation of an honour (撤销)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_
from sqlalchemy.orm import object_session

from nomination.models import ArchiveCase, HonourRecord, Organisation
from nomination.permissions.roles import has_role, has_role_over, is_user, role_paths

#: Who may propose a revocation, in the order a user holding several is recorded: the
#: federation, the holder's unit, a discipline body (a department of the federation).
PROPOSERS = (
    ("federation_reviewer", "federation"),
    ("unit_submitter", "unit"),
    ("department", "discipline"),
)


#: Roles that read every revocation case of the units below them; a unit reads its own.
CASE_READERS = ("federation_reviewer", "approver", "auditor", "admin", "unit_submitter")


def concerned_unit(honour: HonourRecord) -> Organisation | None:
    """Return the unit a revocation of ``honour`` concerns: its own, else its holder's.

    A holder whose unit lies outside the tree is the federation's own concern.
    """
    if honour.unit is not None:
        return honour.unit
    person = honour.person
    if person is None:
        return None
    if person.unit is not None:
        return person.unit
    session = object_session(honour)
    return session.get(Organisation, person.federation_id) if session is not None else None


def proposer_kind(user: Any, unit: Organisation | None) -> str | None:
    """Return how ``user`` would propose a revocation concerning ``unit``, or None.

    "federation" for its reviewers, "unit" for the holder's unit, "discipline" for a
    department of the federation (the discipline body may propose, DOMAIN.md §8).
    """
    if unit is None or not is_user(user):
        return None
    for role, kind in PROPOSERS:
        if has_role_over(user, role, unit):
            return kind
    return None


def can_propose_revocation(user: Any, honour: HonourRecord) -> bool:
    """Return whether ``user`` may propose revoking ``honour`` now (it is still active)."""
    return honour.status == "active" and proposer_kind(user, concerned_unit(honour)) is not None


def can_view_case(user: Any, case: ArchiveCase) -> bool:
    """Return whether ``user`` may read ``case``: the federation, approvers, auditors, its unit.

    A discipline body reads the cases it proposed.
    """
    if any(has_role_over(user, role, case.unit) for role in CASE_READERS):
        return True
    return is_user(user) and case.created_by_id == user.id


def can_record_return(user: Any, case: ArchiveCase) -> bool:
    """Return whether ``user`` records items given back on ``case``: the federation does."""
    return case.state == "revoked" and has_role_over(user, "federation_reviewer", case.unit)


def can_rescind(user: Any) -> bool:
    """Return whether ``user`` may rescind a whole decision: the approver decides it."""
    return has_role(user, "approver")


def can_use_revocations(user: Any) -> bool:
    """Return whether ``user`` works with revocations at all (the navigation link)."""
    return any(has_role(user, role) for role in (*CASE_READERS, "department"))


def case_scope(user: Any) -> ColumnElement[bool]:
    """Return a WHERE clause limiting ArchiveCase (joined to its unit) to what ``user`` reads."""
    if not is_user(user):
        return false()
    return or_(
        *(Organisation.path.startswith(p) for p in role_paths(user, *CASE_READERS)),
        ArchiveCase.created_by_id == user.id,
    )
