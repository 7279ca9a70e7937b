"""Who may read, create, edit and attach to nominations, and which nominations a list shows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, true

from nomination.models import Nomination, Organisation
from nomination.permissions.administration import can_audit
from nomination.permissions.roles import (
    SCOPED_READERS,
    has_role,
    has_role_over,
    is_user,
    role_paths,
)
from nomination.permissions.selection import can_judge_nomination, judge_scope


def can_handle_objections(user: Any, nomination: Nomination) -> bool:
    """Return whether ``user`` may read objections in full, the objector's identity included.

    Only the federation's reviewers handle objections; the nominating unit and its working
    committee never learn who objected.
    """
    return has_role_over(user, "federation_reviewer", nomination.unit)


def composition_scopes(user: Any, federation: Organisation) -> str | list[str]:
    """Return whose composition ``user`` may see in a federation's campaign.

    "all" for the federation's reviewers, approvers and auditors; else the paths of the
    working committees the user reviews for (their own nominations); else nothing.
    """
    if any(
        has_role_over(user, role, federation)
        for role in ("federation_reviewer", "approver", "auditor", "admin")
    ):
        return "all"
    return [p for p in role_paths(user, "committee_reviewer") if p.startswith(federation.path)]


#: Roles whose holders fire transitions on nominations, so may use the bulk actions.
ACTING_ROLES = ("unit_submitter", "committee_reviewer", "federation_reviewer", "approver")


def can_act_in_bulk(user: Any) -> bool:
    """Return whether ``user`` holds a role that fires transitions (not a read-only one)."""
    return any(has_role(user, role) for role in ACTING_ROLES)


def can_view_nomination(user: Any, nomination: Nomination) -> bool:
    """Return whether ``user`` may read ``nomination`` in full."""
    if any(has_role_over(user, r, nomination.unit) for r in SCOPED_READERS):
        return True
    # Judges read only what they judge now; departments only their own opinion requests
    # (nomination.consultations), never the nomination in full.
    return can_judge_nomination(user, nomination)


def can_create_nomination(user: Any, unit: Organisation) -> bool:
    """Return whether ``user`` may start a nomination for ``unit`` (an active unit)."""
    return unit.kind == "unit" and unit.active and has_role_over(user, "unit_submitter", unit)


def can_edit_nomination(user: Any, nomination: Nomination, editable: bool) -> bool:
    """Return whether ``user`` may change the nominee data (``editable``: the state allows it)."""
    return editable and has_role_over(user, "unit_submitter", nomination.unit)


def can_get_receipt(user: Any, nomination: Nomination) -> bool:
    """Return whether ``user`` gets the unit submission's receipt: its submitters, auditors."""
    return has_role_over(user, "unit_submitter", nomination.unit) or can_audit(user)


def nomination_scope(user: Any) -> ColumnElement[bool]:
    """Return a WHERE clause limiting a query over Nomination (joined to its unit) to ``user``."""
    if not is_user(user):
        return false()
    clauses: list[ColumnElement[bool]] = []
    clauses.extend(Organisation.path.startswith(p) for p in role_paths(user, *SCOPED_READERS))
    if has_role(user, "judge"):
        clauses.append(judge_scope(user))
    if not clauses:
        return false()
    return or_(*clauses) if len(clauses) > 1 else and_(true(), clauses[0])


def submitter_units(user: Any, units: list[Organisation]) -> list[Organisation]:
    """Return those of ``units`` for which ``user`` may create nominations."""
    return [u for u in units if can_create_nomination(user, u)]
