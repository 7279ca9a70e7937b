"""Who administers organisations, users and the calendar, audits, and exports personal data."""

from __future__ import annotations

from typing import Any

from nomination.models import Organisation, User
from nomination.permissions.roles import has_role, has_role_over, is_user


def can_audit(user: Any) -> bool:
    """Return whether ``user`` may read the whole audit trail and verify it."""
    return has_role(user, "auditor") or has_role(user, "admin")


def can_export_personal_data(user: Any) -> bool:
    """Return whether ``user`` may export the audit trail with personal values in clear.

    Auditors read everything on screen, but a file leaves the system: in clear only for an
    administrator (who answers for the data's protection); auditors export it masked.
    """
    return has_role(user, "admin")


def can_administer(user: Any) -> bool:
    """Return whether ``user`` may manage organisations, users and campaigns."""
    return has_role(user, "admin")


def can_administer_org(user: Any, org: Organisation) -> bool:
    """Return whether ``user`` administers ``org`` (holds the administrator role over it)."""
    return has_role_over(user, "admin", org)


def can_administer_user(user: Any, account: User) -> bool:
    """Return whether ``user`` administers ``account``: every role it holds is below him."""
    return can_administer(user) and all(
        can_administer_org(user, r.organisation) for r in account.roles
    )


def administered_roots(user: Any) -> list[Organisation]:
    """Return the organisations (federations) at which ``user`` holds the administrator role."""
    if not is_user(user):
        return []
    return [r.organisation for r in user.roles if r.role == "admin"]


def can_manage_calendar(user: Any) -> bool:
    """Return whether ``user`` may enter a year's arrangement or confirm a provisional year."""
    return has_role(user, "admin")


def can_see_calendar_warning(user: Any) -> bool:
    """Return whether ``user`` is told that next year's arrangement is missing."""
    return has_role(user, "admin") or has_role(user, "federation_reviewer")
