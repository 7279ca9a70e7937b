"""Who opens, follows, reads and answers the annual verification (年度核查)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import object_session

from nomination.models import ArchiveCase, Organisation, VerificationRound
from nomination.permissions.roles import has_role, has_role_over, in_subtrees, is_user, role_paths

#: Roles that follow a federation's rounds (every unit's case, the report).
ROUND_FOLLOWERS = ("federation_reviewer", "approver", "auditor", "admin")


#: Roles that read one unit's case: the unit itself, its working committee, the followers.
CASE_READERS = ("unit_submitter", "committee_reviewer", *ROUND_FOLLOWERS)


def can_open_verification(user: Any, federation: Organisation) -> bool:
    """Return whether ``user`` opens and closes ``federation``'s rounds: its reviewers."""
    return federation.kind == "federation" and has_role_over(
        user, "federation_reviewer", federation
    )


def can_follow_verification(user: Any, federation: Organisation) -> bool:
    """Return whether ``user`` sees every unit's case of ``federation``'s rounds."""
    return any(has_role_over(user, role, federation) for role in ROUND_FOLLOWERS)


def can_view_verification_case(user: Any, case: ArchiveCase) -> bool:
    """Return whether ``user`` may read ``case``: its unit (and committee), the federation."""
    return case.kind == "verification" and any(
        has_role_over(user, role, case.unit) for role in CASE_READERS
    )


def can_answer_verification(user: Any, case: ArchiveCase) -> bool:
    """Return whether ``user`` confirms and corrects the people of ``case``: the unit's."""
    return case.kind == "verification" and has_role_over(user, "unit_submitter", case.unit)


def can_use_verification(user: Any) -> bool:
    """Return whether ``user`` works with verification rounds at all (the navigation link).

    The federation's side always; a unit while one of its cases is in an open round.
    """
    if not is_user(user):
        return False
    if any(has_role(user, role) for role in ROUND_FOLLOWERS):
        return True
    paths = role_paths(user, "unit_submitter")
    if not paths:
        return False
    session = object_session(user)
    if session is None:
        return False
    found = session.scalar(
        select(ArchiveCase.id)
        .join(Organisation, ArchiveCase.unit_id == Organisation.id)
        .join(VerificationRound, ArchiveCase.verification_round_id == VerificationRound.id)
        .where(VerificationRound.status == "open", in_subtrees(paths))
        .limit(1)
    )
    return found is not None


def verification_case_scope(user: Any) -> ColumnElement[bool]:
    """Return a WHERE clause limiting ArchiveCase (joined to its unit) to what ``user`` reads."""
    return in_subtrees(role_paths(user, *CASE_READERS))
