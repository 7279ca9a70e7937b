"""JSON API of the annual verification rounds (年度核查), for the federation's side.

Routes on the API blueprint (``/api/v1``); a round the caller does not follow (the federation's
reviewers, approvers, auditors, administrators) answers 404 like a missing one:

    GET /verification-rounds            the rounds the caller follows, newest first
    GET /verification-rounds/<id>       one round with its report (final once closed)
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue

from nomination import db
from nomination.api import openapi
from nomination.api.openapi import _json, _nullable, _object, _op
from nomination.api.views import bp
from nomination.archive import verification
from nomination.models import VerificationRound
from nomination.models.archive import PERSON_STATUSES
from nomination.web.setup import signed_in_user


def _round_json(round_: VerificationRound) -> dict[str, Any]:
    """Return the round with its report: the one kept at closing, else the result so far."""
    return {
        "id": round_.id,
        "federation_id": round_.federation_id,
        "year": round_.year,
        "due_date": round_.due_date.isoformat(),
        "deadline": verification.deadline(round_).isoformat(),
        "status": round_.status,
        "opened_at": round_.opened_at.isoformat(),
        "closed_at": round_.closed_at.isoformat() if round_.closed_at else None,
        "report": verification.report(round_),
    }


@bp.get("/verification-rounds")
def verification_rounds() -> ResponseReturnValue:
    """Return the verification rounds the caller follows, newest first."""
    rounds = verification.visible_rounds(db.session, signed_in_user())
    return jsonify({"items": [_round_json(r) for r in rounds]})


@bp.get("/verification-rounds/<int:round_id>")
def verification_round(round_id: int) -> ResponseReturnValue:
    """Return one round with its report."""
    return jsonify(_round_json(verification.load_round(db.session, round_id, signed_in_user())))


# --- the OpenAPI description -----------------------------------------------------------------

_TIME = {"type": "string", "format": "date-time"}
_DATE = {"type": "string", "format": "date"}
_COUNT = {"type": "integer", "minimum": 0}

_UNIT_ROW = _object(
    {
        "case_id": {"type": "integer"},
        "unit_id": {"type": "integer"},
        "unit_name": {"type": "string"},
        "unit_name_en": _nullable({"type": "string"}),
        "state": {"type": "string", "enum": ["open", "submitted", "accepted"]},
        "people": _COUNT,
        "confirmed": _COUNT,
        "corrected": _COUNT,
        "unanswered": _COUNT,
        "overdue": {
            "type": "boolean",
            "description": "Not submitted (nor accepted) and the due day has ended.",
        },
    }
)

REPORT_SCHEMA = _object(
    {
        "year": {"type": "integer"},
        "due_date": _DATE,
        "deadline": {**_TIME, "description": "The end of the due day in the federation's zone."},
        "as_of": _TIME,
        "final": {"type": "boolean", "description": "Kept when the round closed."},
        "units": {"type": "array", "items": _UNIT_ROW},
        "overdue": {
            "type": "array",
            "items": {"type": "integer"},
            "description": "The ids of the overdue units.",
        },
        "not_answered": {
            "type": "array",
            "items": {"type": "integer"},
            "description": "The ids of the units that have not sent their answers; once the "
            "round is closed, those it was closed without (the reviewer confirmed them).",
        },
        "totals": _object(
            {
                "units": _COUNT,
                "people": _COUNT,
                "confirmed": _COUNT,
                "corrected": _COUNT,
                "unanswered": _COUNT,
                "submitted_units": _COUNT,
                "accepted_units": _COUNT,
                "overdue_units": _COUNT,
                "not_answered_units": _COUNT,
                "corrections_applied": {
                    **_COUNT,
                    "description": "Corrections of the accepted units: entered in the archive.",
                },
                "status_changes": {
                    "type": "object",
                    "propertyNames": {"enum": list(PERSON_STATUSES)},
                    "additionalProperties": _COUNT,
                    "description": "How many people each new status was reported for.",
                },
            }
        ),
        "closed_by": _object({"id": _nullable({"type": "integer"}), "name": {"type": "string"}}),
    },
    required=[
        "year",
        "due_date",
        "deadline",
        "as_of",
        "final",
        "units",
        "overdue",
        "not_answered",
        "totals",
    ],
)

ROUND_SCHEMA = _object(
    {
        "id": {"type": "integer"},
        "federation_id": {"type": "integer"},
        "year": {"type": "integer"},
        "due_date": _DATE,
        "deadline": _TIME,
        "status": {"type": "string", "enum": ["open", "closed"]},
        "opened_at": _TIME,
        "closed_at": _nullable(_TIME),
        "report": REPORT_SCHEMA,
    }
)

_ROUND_ID = {"name": "round_id", "in": "path", "required": True, "schema": {"type": "integer"}}


@openapi.extend
def _paths() -> dict[str, Any]:
    return {
        "/verification-rounds": {
            "get": _op(
                "listVerificationRounds",
                "Annual verification rounds the caller follows (the federation's reviewers, "
                "approvers, auditors), newest first, each with its report",
                {
                    "200": _json(
                        _object({"items": {"type": "array", "items": ROUND_SCHEMA}}), "Rounds"
                    )
                },
            ),
        },
        "/verification-rounds/{round_id}": {
            "parameters": [_ROUND_ID],
            "get": _op(
                "getVerificationRound",
                "One round: per unit its state, people confirmed and corrected, whether it is "
                "overdue; totals. The report so far while open, the one kept once closed",
                {"200": _json(ROUND_SCHEMA, "The round")},
                "NotFound",
            ),
        },
    }
