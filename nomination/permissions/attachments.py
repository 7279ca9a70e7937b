"""Who may attach files to a nomination, remove or replace them, and who may download each."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import object_session

from nomination import engine
from nomination.models import (
    ConsultationRequest,
    Nomination,
)
from nomination.permissions.administration import can_audit
from nomination.permissions.consultations import (
    can_answer_consultation,
    can_read_consultation,
    department_ids,
)
from nomination.permissions.nominations import can_handle_objections, can_view_nomination
from nomination.permissions.roles import (
    has_role_over,
)

#: What it attaches to its answer when asked to verify an objection.
ANSWER_FILE_PURPOSE = "objection_answer"


def unit_file_purposes(nomination: Nomination) -> tuple[str, ...]:
    """Return the purposes of the materials the nomination's definition lets its unit attach."""
    return tuple(engine.workflow_for(nomination).files)


def can_attach(user: Any, nomination: Nomination, purpose: str, editable: bool) -> bool:
    """Return whether ``user`` may attach a file for ``purpose`` to ``nomination`` now.

    The unit's submitters: its materials (the definition's ``[[files]]``) while the
    nomination is editable, and the evidence of its answer while it verifies an objection.
    ``editable`` is the state's flag.
    """
    if not has_role_over(user, "unit_submitter", nomination.unit):
        return False
    if purpose in unit_file_purposes(nomination):
        return editable
    return purpose == ANSWER_FILE_PURPOSE and engine.workflow_for(nomination).tagged(
        nomination.state, "unit_answers"
    )


def can_change_attachment(user: Any, attachment: Any, editable: bool) -> bool:
    """Return whether ``user`` may remove or replace ``attachment`` now.

    Whoever may attach a file for its purpose now: the unit's submitters, while the state is
    editable (an answer's evidence, while the unit answers). Past that the files are frozen
    as the reviewers read them. A file given with an objection or with a department's opinion
    is never the unit's to change.
    """
    if attachment.objection_id is not None or attachment.consultation_request_id is not None:
        return False
    return can_attach(user, attachment.nomination, attachment.purpose, editable)


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


def _answers_for_request(user: Any, attachment: Any) -> bool:
    """Return whether ``user`` answers for the department that gave ``attachment``."""
    session = object_session(attachment)
    if session is None or not department_ids(user):
        return False
    request = session.get(ConsultationRequest, attachment.consultation_request_id)
    return request is not None and can_answer_consultation(user, request)
