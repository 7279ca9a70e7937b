"""JSON API of the archive's search: the people the caller may see, by name and filters.

Routes on the API blueprint (``/api/v1``):

    GET /archive?q=&title=&year=&level=&status=&unit_id=&honour_type=&limit=&offset=

``q`` is a name in characters ("张建"), pinyin ("zhangjian") or initials ("zjg"); the other
filters concern the person's honours (title contains, year, level, type), their status and
their unit (and the units below it). A filter that is not valid answers 422 naming it. The
ID number and phone come masked unless the caller needs them (``can_see_id_number``).
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from nomination import db
from nomination.api import openapi, serialise
from nomination.api.archive import PERSON_SCHEMA, honour
from nomination.api.openapi import _json, _object, _op, _query
from nomination.api.views import DEFAULT_LIMIT, MAX_LIMIT, _int_arg, bp
from nomination.archive.people import mask_id_number, mask_phone
from nomination.archive.search import FIRST_YEAR, LAST_YEAR, search
from nomination.models import ArchivePerson
from nomination.models.archive import HONOUR_LEVELS, HONOUR_TYPES, PERSON_STATUSES
from nomination.permissions import can_see_id_number
from nomination.web.setup import signed_in_user


def person_summary(row: ArchivePerson, user: Any) -> dict[str, Any]:
    """Describe a person found: who, where, status, honours; personal data as ``user`` may."""
    clear = can_see_id_number(user, row)
    return {
        "id": row.id,
        "name": row.name,
        "id_number": row.id_number if clear else mask_id_number(row.id_number),
        "masked": not clear,
        "gender": row.gender,
        "phone": row.phone if clear else mask_phone(row.phone),
        "unit": serialise.organisation(row.unit) if row.unit else None,
        "unit_name": row.unit_name or "",
        "post": row.post or "",
        "sector": row.sector or "",
        "status": row.status,
        "honours": [honour(h, h.status == "revoked") for h in row.honours],
    }


@bp.get("/archive")
def search_archive() -> ResponseReturnValue:
    """Return a page of the people the caller may see that match the name and filters."""
    user = signed_in_user()
    limit = _int_arg("limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    offset = _int_arg("offset", 0, minimum=0)
    args = {k: request.args.get(k) or None for k in ("q", "title", "level", "status")}
    args["honour_type"] = request.args.get("honour_type") or None
    found = search(
        db.session,
        user,
        **args,
        year=_int_arg("year", None, minimum=FIRST_YEAR, maximum=LAST_YEAR),
        unit_id=_int_arg("unit_id", None, minimum=1),
        limit=limit,
        offset=offset,
    )
    return jsonify(
        {
            "items": [person_summary(p, user) for p in found.rows],
            "total": found.total,
            "matched": found.matched,
            "limit": found.limit,
            "offset": found.offset,
        }
    )


def _schema() -> dict[str, Any]:
    honours = PERSON_SCHEMA["properties"]["honours"]
    return _object(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "id_number": {
                "type": "string",
                "description": "Resident ID number; masked (110***********1234) unless the "
                "caller manages the archive or reports for the person's unit.",
            },
            "masked": {"type": "boolean", "description": "Whether ID number and phone are masked."},
            "gender": {"type": ["string", "null"]},
            "phone": {"type": ["string", "null"]},
            "unit": PERSON_SCHEMA["properties"]["unit"],
            "unit_name": {"type": "string"},
            "post": {"type": "string"},
            "sector": {"type": "string"},
            "status": {"type": "string", "enum": list(PERSON_STATUSES)},
            "honours": honours,
        }
    )


@openapi.extend
def _paths() -> dict[str, Any]:
    page = _object(
        {
            "items": {"type": "array", "items": _schema()},
            "total": {"type": "integer", "description": "How many people match in all."},
            "matched": {
                "type": "string",
                "enum": ["all", "prefix", "contains"],
                "description": "How the name matched: no name asked; names, pinyin or initials "
                "starting with q; or (nothing started with the characters) names containing q.",
            },
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
        }
    )
    text = {"type": "string"}
    return {
        "/archive": {
            "get": _op(
                "searchArchive",
                "Search the archive (劳模档案) by name (characters, pinyin or initials), title, "
                "year, level, type, status and unit; only the people the caller may see",
                {"200": _json(page, "A page of people, each with their honours")},
                "Invalid",
                parameters=[
                    _query("q", text, "A name: 张建, zhangjian or zjg (prefix)."),
                    _query("title", text, "Part of an honour's title, e.g. 劳动模范."),
                    _query(
                        "year",
                        {"type": "integer", "minimum": FIRST_YEAR, "maximum": LAST_YEAR},
                        "The year of an honour.",
                    ),
                    _query("level", {"type": "string", "enum": list(HONOUR_LEVELS)}, "Level."),
                    _query("honour_type", {"type": "string", "enum": list(HONOUR_TYPES)}, "Type."),
                    _query(
                        "status",
                        {"type": "string", "enum": list(PERSON_STATUSES)},
                        "The person's current status.",
                    ),
                    _query(
                        "unit_id",
                        {"type": "integer", "minimum": 1},
                        "A unit or committee: its people and those of the units below it.",
                    ),
                    _query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50},
                        "Page size.",
                    ),
                    _query("offset", {"type": "integer", "minimum": 0, "default": 0}, "Skip."),
                ],
            )
        }
    }
