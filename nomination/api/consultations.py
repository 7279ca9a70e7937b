"""JSON API of department consultation (征求意见): a department's requests and its opinions.

Routes on the API blueprint (``/api/v1``), for users holding the department role; another
department's request answers 404 like a missing one:

    GET  /consultations?status=open|answered|all   the caller's requests, open ones first
    GET  /consultations/<id>                       one request
    POST /consultations/<id>                       {"opinion", "reason", "version"?}

A request shows only the fields of the nominee form flagged for departments (``consult``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from nomination import db, engine
from nomination.api import openapi, serialise
from nomination.api.openapi import (
    PROVISIONAL_PROPERTIES,
    _body,
    _json,
    _nullable,
    _object,
    _op,
    _query,
    _ref,
)
from nomination.api.views import _json_body, _top_level, bp
from nomination.calendar.presenters import provisional_fields
from nomination.consultations import operations as consultations
from nomination.db import utcnow
from nomination.models import ConsultationRequest
from nomination.web.setup import signed_in_user


def consultation(req: ConsultationRequest, now: datetime) -> dict[str, Any]:
    """Describe a request as its department sees it: never more than the consult fields."""
    nomination = req.nomination
    award = nomination.campaign.award(nomination.kind)
    return {
        "id": req.id,
        "nomination_id": nomination.id,
        "department": serialise.organisation(req.department),
        "status": req.status,
        "due_at": serialise.iso(req.due_at),
        **provisional_fields(req.due_provisional, req.due_at),
        "overdue": req.overdue(now),
        "version": req.version,
        "campaign": {
            "id": nomination.campaign_id,
            "name": nomination.campaign.name,
            "name_en": nomination.campaign.name_en,
        },
        "award_kind": nomination.kind,
        "award_title": award.title if award is not None else nomination.kind,
        "unit": serialise.organisation(nomination.unit),
        "fields": {f.name: value for f, value in consultations.consult_data(req)},
        "reason": req.reason,
        "answered_by": req.answered_by.name if req.answered_by else None,
        "answered_at": serialise.iso(req.answered_at),
        "created_at": serialise.iso(req.created_at),
    }


@bp.get("/consultations")
def list_consultations() -> ResponseReturnValue:
    """Return the requests addressed to the caller's departments (open ones by default)."""
    user = signed_in_user()
    status = request.args.get("status") or "open"
    rows = consultations.department_requests(db.session, user, status=status)
    now = utcnow()
    return jsonify(
        {
            "items": [consultation(r, now) for r in rows],
            "counts": consultations.department_counts(db.session, user, now=now),
        }
    )


@bp.get("/consultations/<int:request_id>")
def get_consultation(request_id: int) -> ResponseReturnValue:
    """Return one request addressed to the caller's department."""
    req = consultations.load_request(db.session, request_id, signed_in_user())
    return jsonify(consultation(req, utcnow()))


@bp.post("/consultations/<int:request_id>")
def answer_consultation(request_id: int) -> ResponseReturnValue:
    """Give the department's opinion; return the request and the nomination's state after it."""
    user = signed_in_user()
    req = consultations.load_request(db.session, request_id, user)
    body = _top_level(
        _json_body(), required={"opinion": str}, optional={"reason": str, "version": int}
    )
    consultations.give_opinion(
        db.session,
        req,
        user,
        opinion=body["opinion"],
        reason=body.get("reason"),
        version=body.get("version"),
    )
    nomination = req.nomination
    state = engine.workflow_for(nomination).state(nomination.state)
    return jsonify(
        {
            **consultation(req, utcnow()),
            "nomination_state": {"name": state.name, "label": state.label},
        }
    )


# --- the OpenAPI description -------------------------------------------------------------------

_STATUS = {"type": "string", "enum": ["open", "clear", "adverse", "closed"]}
_DATE_TIME = {"type": "string", "format": "date-time"}
_ORGANISATION = _object(
    {
        "id": {"type": "integer"},
        "code": {"type": "string"},
        "name": {"type": "string"},
        "name_en": {"type": ["string", "null"]},
        "kind": {"type": "string"},
    }
)
#: A request as the API answers it.
CONSULTATION_SCHEMA = _object(
    {
        "id": {"type": "integer"},
        "nomination_id": {"type": "integer"},
        "department": _ORGANISATION,
        "status": {
            **_STATUS,
            "description": "open: awaiting the answer; clear: no objection; adverse: a veto, "
            "with its reason; closed: no longer needed.",
        },
        "due_at": _DATE_TIME,
        **PROVISIONAL_PROPERTIES,
        "overdue": {"type": "boolean", "description": "Still open after its deadline."},
        "version": {
            "type": "integer",
            "description": "Send it back with the opinion: a second answer is a conflict.",
        },
        "campaign": _object(
            {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "name_en": {"type": ["string", "null"]},
            }
        ),
        "award_kind": {"type": "string"},
        "award_title": {"type": "string"},
        "unit": _ORGANISATION,
        "fields": {
            "type": "object",
            "description": "The nominee form's fields shown to departments (consult = true), by "
            "name; nothing else of the nomination.",
        },
        "reason": {"type": ["string", "null"]},
        "answered_by": {"type": ["string", "null"]},
        "answered_at": _nullable(_DATE_TIME),
        "created_at": _DATE_TIME,
    }
)
COUNTS_SCHEMA = _object(
    {name: {"type": "integer", "minimum": 0} for name in ("open", "overdue", "answered", "all")}
)
OPINION_SCHEMA = _object(
    {
        "opinion": {"type": "string", "enum": list(consultations.OPINIONS)},
        "reason": {
            "type": "string",
            "maxLength": 1000,
            "description": "Required with an adverse opinion: the reason for the rejection.",
        },
        "version": {
            "type": "integer",
            "description": "The request's version as read; when stale, 409.",
        },
    },
    required=["opinion"],
    additionalProperties=False,
)
_REQUEST_ID = {"name": "request_id", "in": "path", "required": True, "schema": {"type": "integer"}}


@openapi.extend
def _paths() -> dict[str, Any]:
    return {
        "/consultations": {
            "get": _op(
                "listConsultations",
                "Opinion requests (征求意见) addressed to the caller's departments, open ones "
                "first by deadline",
                {
                    "200": _json(
                        _object(
                            {
                                "items": {"type": "array", "items": CONSULTATION_SCHEMA},
                                "counts": COUNTS_SCHEMA,
                            }
                        ),
                        "The requests and how many there are of each kind",
                    )
                },
                "Invalid",
                parameters=[
                    _query(
                        "status",
                        {"type": "string", "enum": list(consultations.LIST_FILTERS)},
                        "open (default): awaiting an answer; answered; all.",
                    )
                ],
            )
        },
        "/consultations/{request_id}": {
            "parameters": [_REQUEST_ID],
            "get": _op(
                "getConsultation",
                "One request addressed to the caller's department",
                {"200": _json(CONSULTATION_SCHEMA, "The request")},
                "NotFound",
            ),
            "post": _op(
                "answerConsultation",
                "Give the department's opinion: clear, or adverse with its reason (a veto "
                "rejects the nomination; the last clear opinion sends it on to selection)",
                {
                    "200": _json(
                        {
                            "allOf": [
                                CONSULTATION_SCHEMA,
                                _object({"nomination_state": _ref("State")}),
                            ]
                        },
                        "The answered request and the nomination's state after it",
                    )
                },
                "BadRequest",
                "NotFound",
                "Conflict",
                "Invalid",
                requestBody=_body(OPINION_SCHEMA),
            ),
        },
    }
