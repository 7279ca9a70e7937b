"""Who manages and reads the archive of honoured workers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import object_session

from nomination.models import Organisation
from nomination.permissions.roles import (
    SCOPED_READERS,
    has_role,
    has_role_over,
    in_subtrees,
    role_paths,
)

#: Roles that manage a federation's archive: services, corrections, merges, studios.
ARCHIVE_MANAGERS = ("federation_reviewer", "admin")


#: Roles that read every record of a federation's archive, its history included, but see
#: personal data masked: they need the record, not the person's ID number.
ARCHIVE_READERS = ("approver", "auditor")


def _federation_of(person: Any) -> Organisation | None:
    session = object_session(person)
    return session.get(Organisation, person.federation_id) if session is not None else None


def _is_own_person(user: Any, person: Any) -> bool:
    """Return whether ``user`` reports for the person's unit or for a unit holding an honour."""
    units = [person.unit, *(h.unit for h in person.honours)]
    return any(has_role_over(user, "unit_submitter", u) for u in units if u is not None)


def can_manage_archive(user: Any, federation: Organisation | None) -> bool:
    """Return whether ``user`` manages ``federation``'s archive: its reviewers, administrators."""
    return federation is not None and any(
        has_role_over(user, role, federation) for role in ARCHIVE_MANAGERS
    )


def can_report_on(user: Any, person: Any) -> bool:
    """Return whether ``user`` reports statuses and corrects data of ``person``.

    The person's unit (where they work now, or a unit that holds one of their honours) and
    the federation's managers.
    """
    return _is_own_person(user, person) or can_manage_archive(user, _federation_of(person))


def can_view_person(user: Any, person: Any) -> bool:
    """Return whether ``user`` may read ``person``'s record: who reports on it, and readers."""
    if can_report_on(user, person):
        return True
    federation = _federation_of(person)
    return federation is not None and any(
        has_role_over(user, role, federation) for role in ARCHIVE_READERS
    )


def can_see_id_number(user: Any, person: Any) -> bool:
    """Return whether ``user`` sees the person's ID number and contact details in clear.

    Those who need them: the federation's managers and, for its own people, the unit.
    """
    return can_report_on(user, person)


def can_view_studio(user: Any, studio: Any) -> bool:
    """Return whether ``user`` may see an innovation studio: its unit and the federation."""
    session = object_session(studio)
    federation = session.get(Organisation, studio.federation_id) if session else None
    if studio.unit is not None and has_role_over(user, "unit_submitter", studio.unit):
        return True
    return federation is not None and any(
        has_role_over(user, role, federation) for role in (*ARCHIVE_MANAGERS, *ARCHIVE_READERS)
    )


def can_view_unit_honours(user: Any, org: Organisation) -> bool:
    """Return whether ``user`` may see the certificates and pioneer titles of ``org``."""
    roles = ("unit_submitter", *ARCHIVE_MANAGERS, *ARCHIVE_READERS)
    return any(has_role_over(user, role, org) for role in roles)


def archive_scope(user: Any) -> ColumnElement[bool]:
    """Return a WHERE clause limiting a query over HonourRecord (joined to its unit) to ``user``.

    Units see their own honoured people, committees their units', the federation, approvers and
    auditors everyone below them: the scoped readers of nominations.
    """
    return in_subtrees(role_paths(user, *SCOPED_READERS))


def can_view_archive(user: Any) -> bool:
    """Return whether ``user`` may open the archive at all."""
    return any(has_role(user, role) for role in SCOPED_READERS)
