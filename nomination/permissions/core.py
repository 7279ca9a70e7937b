"""Who may do what: named predicates, and the query scopes built from the same rules.

A view asks one of these before acting and a template asks the same one before showing a
button, so the 403 and the missing button never disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, false, or_, true
from sqlalchemy.orm import object_session

from nomination.actors import PublicActor, SystemActor
from nomination.models import ConsultationRequest, Nomination, Organisation, User

if TYPE_CHECKING:
    from nomination.engine.definitions import TransitionDef

#: Roles whose holders see every nomination of the units below their organisation.
SCOPED_READERS = (
    "unit_submitter",
    "committee_reviewer",
    "federation_reviewer",
    "approver",
    "auditor",
    "admin",
)
#: Roles that see nominations only while the nominations need them. Departments are not
#: among them: they read only their own opinion requests, with the fields those show.
STAGE_READERS = {"judge": ("selection",)}


def _is_user(actor: Any) -> bool:
    return isinstance(actor, User) and actor.is_active


def _scope_path(org: Organisation) -> str:
    """Return the path of the subtree a role held at ``org`` covers."""
    # A consulted department sits beside the units, not above them: it serves its federation.
    if org.kind == "department" and org.parent is not None:
        return org.parent.path
    return org.path


def role_paths(user: Any, role: str) -> list[str]:
    """Return the paths of the subtrees over which ``user`` holds ``role``."""
    if not _is_user(user):
        return []
    return [_scope_path(r.organisation) for r in user.roles if r.role == role]


def has_role(user: Any, role: str) -> bool:
    """Return whether ``user`` holds ``role`` anywhere."""
    return bool(role_paths(user, role))


def has_role_over(user: Any, role: str, org: Organisation) -> bool:
    """Return whether ``user`` holds ``role`` at ``org`` or above it."""
    return any(org.path.startswith(p) for p in role_paths(user, role))


def firing_role(actor: Any, nomination: Nomination, transition: TransitionDef) -> str | None:
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


def can_fire(actor: Any, nomination: Nomination, transition: TransitionDef) -> bool:
    """Return whether ``actor`` holds a role that may fire ``transition`` on ``nomination``."""
    return firing_role(actor, nomination, transition) is not None


def can_handle_objections(user: Any, nomination: Nomination) -> bool:
    """Return whether ``user`` may read objections in full, the objector's identity included.

    Only the federation's reviewers handle objections; the nominating unit and its working
    committee never learn who objected.
    """
    return has_role_over(user, "federation_reviewer", nomination.unit)


#: What a nominating unit may attach while it prepares (or revises) its nomination.
UNIT_FILE_PURPOSES = ("deeds", "congress_minutes", "unit_notice", "photo")
#: What it attaches to its answer when asked to verify an objection.
ANSWER_FILE_PURPOSE = "objection_answer"


def can_attach(user: Any, nomination: Nomination, purpose: str, editable: bool) -> bool:
    """Return whether ``user`` may attach a file for ``purpose`` to ``nomination`` now.

    The unit's submitters: its materials while the nomination is editable, and the evidence
    of its answer while it verifies an objection. ``editable`` is the state's flag.
    """
    if not has_role_over(user, "unit_submitter", nomination.unit):
        return False
    if purpose in UNIT_FILE_PURPOSES:
        return editable
    return purpose == ANSWER_FILE_PURPOSE and nomination.state == "unit_verification"


def can_download_attachment(user: Any, attachment: Any) -> bool:
    """Return whether ``user`` may download ``attachment``.

    Files sent with an objection (evidence, a unit's sealed letter) may identify the objector:
    only the objection handlers get them. The others go to whoever may read the nomination.
    """
    if attachment.objection_id is not None:
        return can_handle_objections(user, attachment.nomination)
    if attachment.consultation_request_id is not None:
        # Given with a department's opinion: the federation's side and that department, never
        # the unit, which must not learn which department said what.
        return can_read_consultation(user, attachment.nomination) or _answers_for_request(
            user, attachment
        )
    return can_view_nomination(user, attachment.nomination) or can_audit(user)


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


def can_answer_consultation(user: Any, request: Any) -> bool:
    """Return whether ``user`` answers for the department a consultation request is sent to."""
    return _is_user(user) and any(
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


def _answers_for_request(user: Any, attachment: Any) -> bool:
    """Return whether ``user`` answers for the department that gave ``attachment``."""
    session = object_session(attachment)
    if session is None or not department_ids(user):
        return False
    request = session.get(ConsultationRequest, attachment.consultation_request_id)
    return request is not None and can_answer_consultation(user, request)


def department_ids(user: Any) -> list[int]:
    """Return the departments ``user`` answers consultation requests for."""
    if not _is_user(user):
        return []
    return [r.organisation_id for r in user.roles if r.role == "department"]


def can_view_nomination(user: Any, nomination: Nomination) -> bool:
    """Return whether ``user`` may read ``nomination`` in full."""
    if any(has_role_over(user, r, nomination.unit) for r in SCOPED_READERS):
        return True
    return any(
        nomination.state in states and has_role_over(user, role, nomination.unit)
        for role, states in STAGE_READERS.items()
    )


def can_create_nomination(user: Any, unit: Organisation) -> bool:
    """Return whether ``user`` may start a nomination for ``unit`` (an active unit)."""
    return unit.kind == "unit" and unit.active and has_role_over(user, "unit_submitter", unit)


def can_edit_nomination(user: Any, nomination: Nomination, editable: bool) -> bool:
    """Return whether ``user`` may change the nominee data (``editable``: the state allows it)."""
    return editable and has_role_over(user, "unit_submitter", nomination.unit)


def can_audit(user: Any) -> bool:
    """Return whether ``user`` may read the whole audit trail and verify it."""
    return has_role(user, "auditor") or has_role(user, "admin")


def can_get_receipt(user: Any, nomination: Nomination) -> bool:
    """Return whether ``user`` gets the unit submission's receipt: its submitters, auditors."""
    return has_role_over(user, "unit_submitter", nomination.unit) or can_audit(user)


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
    if not _is_user(user):
        return []
    return [r.organisation for r in user.roles if r.role == "admin"]


def can_manage_calendar(user: Any) -> bool:
    """Return whether ``user`` may enter a year's arrangement or confirm a provisional year."""
    return has_role(user, "admin")


def can_see_calendar_warning(user: Any) -> bool:
    """Return whether ``user`` is told that next year's arrangement is missing."""
    return has_role(user, "admin") or has_role(user, "federation_reviewer")


def nomination_scope(user: Any) -> ColumnElement[bool]:
    """Return a WHERE clause limiting a query over Nomination (joined to its unit) to ``user``."""
    if not _is_user(user):
        return false()
    clauses: list[ColumnElement[bool]] = []
    for role in SCOPED_READERS:
        clauses.extend(Organisation.path.startswith(p) for p in role_paths(user, role))
    for role, states in STAGE_READERS.items():
        paths = role_paths(user, role)
        if paths:
            clauses.append(
                and_(
                    Nomination.state.in_(states),
                    or_(*(Organisation.path.startswith(p) for p in paths)),
                )
            )
    if not clauses:
        return false()
    return or_(*clauses) if len(clauses) > 1 else and_(true(), clauses[0])


def submitter_units(user: Any, units: list[Organisation]) -> list[Organisation]:
    """Return those of ``units`` for which ``user`` may create nominations."""
    return [u for u in units if can_create_nomination(user, u)]


def archive_scope(user: Any) -> ColumnElement[bool]:
    """Return a WHERE clause limiting a query over HonourRecord (joined to its unit) to ``user``.

    Units see their own honoured people, committees their units', the federation, approvers and
    auditors everyone below them: the scoped readers of nominations.
    """
    if not _is_user(user):
        return false()
    paths = [p for role in SCOPED_READERS for p in role_paths(user, role)]
    if not paths:
        return false()
    return or_(*(Organisation.path.startswith(p) for p in paths))


def can_view_archive(user: Any) -> bool:
    """Return whether ``user`` may open the archive at all."""
    return any(has_role(user, role) for role in SCOPED_READERS)


# --- selection rounds (评审委员会) -------------------------------------------------------------

#: Roles that follow a federation's selection rounds: who has voted (never how), the recusals,
#: and the tally once the round closed.
ROUND_FOLLOWERS = ("federation_reviewer", "approver", "auditor")


def can_open_round(user: Any, campaign: Any) -> bool:
    """Return whether ``user`` may open a selection round of ``campaign``: its federation's."""
    return has_role_over(user, "federation_reviewer", campaign.federation)


def is_round_member(user: Any, round_: Any) -> bool:
    """Return whether ``user`` sits in ``round_`` as one of its judges."""
    return _is_user(user) and any(m.user_id == user.id for m in round_.members)


def can_vote(user: Any, round_: Any) -> bool:
    """Return whether ``user`` votes in ``round_``: a member who still holds the judge role.

    Never an administrator (separation of duties).
    """
    if has_role(user, "admin"):
        return False
    return is_round_member(user, round_) and has_role_over(
        user, "judge", round_.campaign.federation
    )


def can_follow_round(user: Any, round_: Any) -> bool:
    """Return whether ``user`` follows ``round_`` for the federation (counts, never votes)."""
    federation = round_.campaign.federation
    return any(has_role_over(user, role, federation) for role in ROUND_FOLLOWERS)


def can_view_round(user: Any, round_: Any) -> bool:
    """Return whether ``user`` may see ``round_``: its members and those who follow it."""
    return is_round_member(user, round_) or can_follow_round(user, round_)


def can_close_round(user: Any, round_: Any) -> bool:
    """Return whether ``user`` may close ``round_`` and apply its results: the federation's."""
    return has_role_over(user, "federation_reviewer", round_.campaign.federation)


def can_decide_tie(user: Any, round_: Any) -> bool:
    """Return whether ``user`` decides a tie at the last place of ``round_``: its chair."""
    return _is_user(user) and user.id == round_.chair_id and can_vote(user, round_)


def can_use_selection(user: Any) -> bool:
    """Return whether ``user`` works with selection rounds at all (the navigation link)."""
    return has_role(user, "judge") or has_role(user, "federation_reviewer")


def round_scope(user: Any) -> ColumnElement[bool]:
    """Return a WHERE clause limiting SelectionRound (joined to its campaign's federation)."""
    # Imported here so that this section stays apart from the module's shared import lines.
    from sqlalchemy import select

    from nomination.models import SelectionMember, SelectionRound

    if not _is_user(user):
        return false()
    member_of = select(SelectionMember.round_id).where(SelectionMember.user_id == user.id)
    clauses: list[ColumnElement[bool]] = [SelectionRound.id.in_(member_of)]
    clauses.extend(
        Organisation.path.startswith(p) for role in ROUND_FOLLOWERS for p in role_paths(user, role)
    )
    return or_(*clauses)


# --- the archive's person records (劳模档案) ---------------------------------------------------

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
