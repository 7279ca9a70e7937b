"""Roles: who holds which role over which organisation, and in which role a transition is fired.

A view asks one of these before acting and a template asks the same one before showing a
button, so the 403 and the missing button never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, false, or_

from nomination.actors import PublicActor, SystemActor
from nomination.models import ArchiveCase, Nomination, Organisation, User

if TYPE_CHECKING:
    from nomination.engine.definitions import TransitionDef


def scope_path(org: Organisation) -> str:
    """Return the path of the subtree a role held at ``org`` covers."""
    # A consulted department sits beside the units, not above them: it serves its federation.
    if org.kind == "department" and org.parent is not None:
        return org.parent.path
    return org.path


#: Roles whose holders see every nomination of the units below their organisation.
SCOPED_READERS = (
    "unit_submitter",
    "committee_reviewer",
    "federation_reviewer",
    "approver",
    "auditor",
    "admin",
)


def is_user(actor: Any) -> bool:
    """Return whether ``actor`` is a logged-in user whose account is active."""
    return isinstance(actor, User) and actor.is_active


def role_paths(user: Any, *roles: str) -> list[str]:
    """Return the paths of the subtrees over which ``user`` holds any of ``roles``."""
    if not is_user(user):
        return []
    return [scope_path(r.organisation) for role in roles for r in user.roles if r.role == role]


def in_subtrees(paths: Sequence[str]) -> ColumnElement[bool]:
    """Return a WHERE clause: the (joined) Organisation lies in a subtree at one of ``paths``."""
    if not paths:
        return false()
    return or_(*(Organisation.path.startswith(p) for p in paths))


def has_role(user: Any, role: str) -> bool:
    """Return whether ``user`` holds ``role`` anywhere."""
    return bool(role_paths(user, role))


def has_role_over(user: Any, role: str, org: Organisation) -> bool:
    """Return whether ``user`` holds ``role`` at ``org`` or above it."""
    return any(org.path.startswith(p) for p in role_paths(user, role))


def firing_role(
    actor: Any, nomination: Nomination | ArchiveCase, transition: TransitionDef
) -> str | None:
    """Return the role in which ``actor`` may fire ``transition`` on ``nomination``, or None.

    An administrator never does (separation of duties), whatever roles the data gives him.
    """
    if has_role(actor, "admin"):
        return None
    for role in transition.roles:
        if role == "system" and isinstance(actor, SystemActor):
            return role
        if role == "public" and isinstance(actor, PublicActor):
            return role
        if has_role_over(actor, role, nomination.unit):
            return role
    return None


def can_fire(actor: Any, nomination: Nomination | ArchiveCase, transition: TransitionDef) -> bool:
    """Return whether ``actor`` holds a role that may fire ``transition`` on ``nomination``."""
    return firing_role(actor, nomination, transition) is not None


# --- selection rounds (评审委员会) -------------------------------------------------------------


# --- the archive's person records (劳模档案) ---------------------------------------------------
