"""Who answers and reads department consultations (征求意见)."""

from __future__ import annotations

from typing import Any

from nomination.models import Nomination
from nomination.permissions.nominations import can_view_nomination
from nomination.permissions.roles import has_role_over, is_user


def can_answer_consultation(user: Any, request: Any) -> bool:
    """Return whether ``user`` answers for the department a consultation request is sent to."""
    return is_user(user) and any(
        r.role == "department" and r.organisation_id == request.department_id for r in user.roles
    )


#: Roles that read a consultation in full (which department said what, and when).
CONSULTATION_READERS = ("federation_reviewer", "approver", "auditor", "admin")


def can_read_consultation(user: Any, nomination: Nomination) -> bool:
    """Return whether ``user`` sees each department's opinion on ``nomination``.

    The federation's reviewers, approvers and auditors; the unit and its working committee only
    learn that a consultation is under way, and after a veto the reason recorded with it.
    """
    return can_view_nomination(user, nomination) and any(
        has_role_over(user, role, nomination.unit) for role in CONSULTATION_READERS
    )


def can_give_opinions(user: Any) -> bool:
    """Return whether ``user`` answers consultation requests for any department."""
    return bool(department_ids(user))


def department_ids(user: Any) -> list[int]:
    """Return the departments ``user`` answers consultation requests for."""
    if not is_user(user):
        return []
    return [r.organisation_id for r in user.roles if r.role == "department"]
