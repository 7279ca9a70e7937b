"""JSON API of the archive's person records (劳模档案).

Routes on the API blueprint (``/api/v1``); a record outside the caller's scope answers 404
like a missing one, and the ID number and contact details come masked unless the caller needs
them (the federation's managers, and the person's own unit):

    GET  /archive/<id>?as_of=YYYY-MM-DD        the person with honours, statuses, services
    POST /archive/<id>/status                  {"status", "effective_date", "known_date"?,
                                               "note"} → 201, a new dated status entry
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import jsonify, request, url_for
from flask.typing import ResponseReturnValue

from nomination import db
from nomination.api import openapi, serialise
from nomination.api.openapi import _body, _json, _nullable, _object, _op, _query
from nomination.api.views import _REQUIRED, _json_body, _top_level, bp
from nomination.archive import people as archive
from nomination.errors import InvalidData, PermissionDenied
from nomination.i18n import pick
from nomination.models import (
    ArchivePerson,
    HonourRecord,
    Organisation,
    PersonService,
    PersonStatus,
)
from nomination.models.archive import (
    HONOUR_LEVELS,
    HONOUR_TYPES,
    PERSON_STATUSES,
    SERVICE_KINDS,
)
from nomination.nominations import queries
from nomination.permissions import can_report_on, can_see_id_number
from nomination.web.setup import signed_in_user

_DATE = {"zh": "须为日期 YYYY-MM-DD", "en": "Must be a date, YYYY-MM-DD"}


def _checked_date(value: str | None) -> tuple[date | None, list[str]]:
    """Return an ISO date (None when empty), or None and why it is not one."""
    if value is None or value == "":
        return None, []
    try:
        return date.fromisoformat(value), []
    except ValueError:
        return None, [pick(_DATE)]


def _date(value: str | None, name: str) -> date | None:
    """Return an ISO date, or raise InvalidData naming ``name``."""
    day, problems = _checked_date(value)
    if problems:
        raise InvalidData(f"'{name}' must be a date", fields={name: problems})
    return day


def honour(row: HonourRecord, revoked: bool) -> dict[str, Any]:
    """Describe an honour; ``revoked`` says whether it stood revoked on the day shown."""
    return {
        "id": row.id,
        "title": row.title,
        "level": row.level,
        "honour_type": row.honour_type,
        "kind": row.kind,
        "year": row.year,
        "conferred_by": row.conferred_by,
        "decision_number": row.decision_number,
        "decision_date": serialise.iso(row.decision_date),
        "nomination_id": row.nomination_id,
        "unit": serialise.organisation(row.unit) if row.unit else None,
        "status": "revoked" if revoked else "active",
        "revoked_on": serialise.iso(row.revoked_on) if revoked else None,
        "revocation_decision": row.revocation_decision if revoked else None,
    }


def status_entry(row: PersonStatus) -> dict[str, Any]:
    """Describe a dated status entry, with who reported it and whether a death came late."""
    return {
        "id": row.id,
        "status": row.status,
        "effective_date": serialise.iso(row.effective_date),
        "known_date": serialise.iso(row.known_date),
        "reported_at": serialise.iso(row.reported_at),
        "reported_by": row.reported_by.name if row.reported_by else None,
        "note": row.note,
        "late": archive.death_report_late(row),
    }


def service(row: PersonService) -> dict[str, Any]:
    """Describe a service given to the person."""
    return {
        "id": row.id,
        "kind": row.kind,
        "service_date": serialise.iso(row.service_date),
        # A string, so that yuan and fen survive exactly (JSON numbers are floats).
        "amount": None if row.amount is None else f"{row.amount:.2f}",
        "note": row.note,
        "recorded_by": row.recorded_by.name if row.recorded_by else None,
        "recorded_at": serialise.iso(row.recorded_at),
    }


def person(row: ArchivePerson, user: Any, day: date | None = None) -> dict[str, Any]:
    """Describe a person's record as ``user`` may see it, now or as of the end of ``day``."""
    clear = can_see_id_number(user, row)
    if day is None:
        fields = {name: getattr(row, name) for name in archive.PERSON_FIELDS}
        current: str | None = row.status
        honours = [(h, h.status == "revoked") for h in row.honours]
        statuses, services = list(row.statuses), list(row.services)
    else:
        view = archive.as_of(db.session, row, day)
        fields = dict(view.fields)
        current = view.status.status if view.status else None
        honours = view.honours
        statuses, services = archive.statuses_as_of(row, day), view.services
    unit = db.session.get(Organisation, fields["unit_id"]) if fields.get("unit_id") else None
    birth = fields.get("birth_date")
    return {
        "id": row.id,
        "federation_id": row.federation_id,
        "as_of": serialise.iso(day),
        "id_number": row.id_number if clear else archive.mask_id_number(row.id_number),
        "masked": not clear,
        "name": fields.get("name"),
        "gender": fields.get("gender"),
        "birth_date": birth.isoformat() if isinstance(birth, date) else birth,
        "ethnicity": fields.get("ethnicity"),
        "phone": fields.get("phone") if clear else archive.mask_phone(fields.get("phone")),
        "address": fields.get("address") if clear else None,
        "unit": serialise.organisation(unit) if unit else None,
        "unit_name": fields.get("unit_name") or "",
        "post": fields.get("post") or "",
        "sector": fields.get("sector") or "",
        "status": current,
        "merged_into_id": row.merged_into_id,
        "version": row.version,
        "honours": [honour(h, revoked) for h, revoked in honours],
        "statuses": [
            status_entry(s)
            for s in sorted(statuses, key=lambda s: (s.effective_date, s.reported_at))
        ],
        "services": [service(s) for s in services],
    }


@bp.get("/archive/<int:person_id>")
def get_archive_person(person_id: int) -> ResponseReturnValue:
    """Return a person's record, now or as it stood at the end of ``as_of``."""
    user = signed_in_user()
    row = queries.load_person(db.session, person_id, user)
    day = _date(request.args.get("as_of"), "as_of")
    return jsonify(person(row, user, day))


@bp.post("/archive/<int:person_id>/status")
def report_archive_status(person_id: int) -> ResponseReturnValue:
    """Add a dated status entry to a person's record (their unit, or the federation)."""
    user = signed_in_user()
    row = queries.load_person(db.session, person_id, user)
    if not can_report_on(user, row):
        raise PermissionDenied("only the person's unit and the federation report a status")
    body = _top_level(
        _json_body(),
        required={"status": str, "effective_date": str, "note": str},
        optional={"known_date": str},
    )
    errors: dict[str, list[str]] = {}
    effective_date, problems = _checked_date(body["effective_date"])
    if effective_date is None:
        errors["effective_date"] = problems or [pick(_REQUIRED)]
    known_date, problems = _checked_date(body.get("known_date"))
    if problems:
        errors["known_date"] = problems
    if not body["note"].strip():
        errors["note"] = [pick(_REQUIRED)]
    if errors or effective_date is None:
        raise InvalidData("some fields are invalid", fields=errors)
    archive.require_current(row)
    entry = archive.report_status(
        db.session,
        row,
        user,
        status=body["status"],
        effective_date=effective_date,
        known_date=known_date,
        note=body["note"].strip(),
    )
    location = url_for(".get_archive_person", person_id=row.id)
    return jsonify(status_entry(entry)), 201, {"Location": location}


# --- the OpenAPI description -------------------------------------------------------------------

_DAY = {"type": "string", "format": "date"}
_ORGANISATION = _object(
    {
        "id": {"type": "integer"},
        "code": {"type": "string"},
        "name": {"type": "string"},
        "name_en": {"type": ["string", "null"]},
        "kind": {"type": "string"},
    }
)
STATUS_ENTRY_SCHEMA = _object(
    {
        "id": {"type": "integer"},
        "status": {"type": "string", "enum": list(PERSON_STATUSES)},
        "effective_date": _DAY,
        "known_date": _nullable(_DAY),
        "reported_at": {"type": "string", "format": "date-time"},
        "reported_by": {"type": ["string", "null"]},
        "note": {"type": ["string", "null"]},
        "late": {
            "type": "boolean",
            "description": "A death reported more than 2 days after it was known.",
        },
    }
)
PERSON_SCHEMA = _object(
    {
        "id": {"type": "integer"},
        "federation_id": {"type": "integer"},
        "as_of": {
            **_nullable(_DAY),
            "description": "The day the record is shown as of; null: now.",
        },
        "id_number": {
            "type": "string",
            "description": "Resident ID number; masked (110***********1234) unless the caller "
            "manages the archive or reports for the person's unit.",
        },
        "masked": {"type": "boolean", "description": "Whether ID number and contact are masked."},
        "name": {"type": ["string", "null"]},
        "gender": {"type": ["string", "null"]},
        "birth_date": _nullable(_DAY),
        "ethnicity": {"type": ["string", "null"]},
        "phone": {"type": ["string", "null"]},
        "address": {"type": ["string", "null"], "description": "null when masked."},
        "unit": _nullable(_ORGANISATION),
        "unit_name": {"type": "string"},
        "post": {"type": "string"},
        "sector": {"type": "string"},
        "status": {
            "oneOf": [{"type": "string", "enum": list(PERSON_STATUSES)}, {"type": "null"}],
            "description": "The latest status (on the day shown).",
        },
        "merged_into_id": {
            "type": ["integer", "null"],
            "description": "Set when this duplicate was merged into another record.",
        },
        "version": {"type": "integer"},
        "honours": {
            "type": "array",
            "items": _object(
                {
                    "id": {"type": "integer"},
                    "title": {"type": "string"},
                    "level": {
                        "oneOf": [{"type": "string", "enum": list(HONOUR_LEVELS)}, {"type": "null"}]
                    },
                    "honour_type": {
                        "oneOf": [{"type": "string", "enum": list(HONOUR_TYPES)}, {"type": "null"}]
                    },
                    "kind": {"type": "string"},
                    "year": {"type": "integer"},
                    "conferred_by": {"type": "string"},
                    "decision_number": {"type": "string"},
                    "decision_date": _DAY,
                    "nomination_id": {
                        "type": ["integer", "null"],
                        "description": "The nomination it came from, when through this system.",
                    },
                    "unit": _nullable(_ORGANISATION),
                    "status": {"type": "string", "enum": ["active", "revoked"]},
                    "revoked_on": _nullable(_DAY),
                    "revocation_decision": {"type": ["string", "null"]},
                }
            ),
        },
        "statuses": {"type": "array", "items": STATUS_ENTRY_SCHEMA},
        "services": {
            "type": "array",
            "items": _object(
                {
                    "id": {"type": "integer"},
                    "kind": {"type": "string", "enum": list(SERVICE_KINDS)},
                    "service_date": _DAY,
                    "amount": {"type": ["string", "null"], "description": "Yuan, 2 decimals."},
                    "note": {"type": ["string", "null"]},
                    "recorded_by": {"type": ["string", "null"]},
                    "recorded_at": {"type": "string", "format": "date-time"},
                }
            ),
        },
    }
)
STATUS_REPORT_SCHEMA = _object(
    {
        "status": {"type": "string", "enum": list(PERSON_STATUSES)},
        "effective_date": {**_DAY, "description": "When the status began."},
        "known_date": {
            **_DAY,
            "description": "When the unit learned of it; a death is due within 2 days of it.",
        },
        "note": {"type": "string", "minLength": 1, "description": "What the report rests on."},
    },
    required=["status", "effective_date", "note"],
    additionalProperties=False,
)
_PERSON_ID = {"name": "person_id", "in": "path", "required": True, "schema": {"type": "integer"}}


@openapi.extend
def _paths() -> dict[str, Any]:
    return {
        "/archive/{person_id}": {
            "parameters": [_PERSON_ID],
            "get": _op(
                "getArchivePerson",
                "A person's archive record (劳模档案) with honours, statuses and services, now "
                "or as it stood on a past date; ID number and contact masked unless needed",
                {"200": _json(PERSON_SCHEMA, "The record")},
                "NotFound",
                "Invalid",
                parameters=[
                    _query("as_of", _DAY, "Show the record as it stood at the end of this day.")
                ],
            ),
        },
        "/archive/{person_id}/status": {
            "parameters": [_PERSON_ID],
            "post": _op(
                "reportArchiveStatus",
                "Report a dated status (在职, 退休, 调动, 出国/境, 去世, 失业): a new entry, "
                "never a change to an earlier one; the person's unit or the federation",
                {
                    "201": {
                        **_json(STATUS_ENTRY_SCHEMA, "Recorded"),
                        "headers": {
                            "Location": {
                                "schema": {"type": "string"},
                                "description": "The person's record",
                            }
                        },
                    }
                },
                "BadRequest",
                "Forbidden",
                "NotFound",
                "Conflict",
                "Invalid",
                requestBody=_body(STATUS_REPORT_SCHEMA),
            ),
        },
    }
