"""The caller's notifications in the JSON API: list them, mark one read.

Routes on the API blueprint (``/api/v1``); the caller sees only their own notifications.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from nomination import db
from nomination.api import openapi
from nomination.api.openapi import _json, _op, _query, _ref
from nomination.api.serialise import iso
from nomination.api.views import DEFAULT_LIMIT, MAX_LIMIT, _int_arg, bp
from nomination.models import Notification
from nomination.models.notifications import NOTIFICATION_KINDS
from nomination.notifications import load_notification, mark_read, notifications_of, unread_count
from nomination.web.setup import signed_in_user


def notification(row: Notification) -> dict[str, Any]:
    """Describe a notification: what happened, in both languages, and the path of its item."""
    return {
        "id": row.id,
        "kind": row.kind,
        "message": {"zh": row.message.get("zh", ""), "en": row.message.get("en", "")},
        "url": row.url,
        "created_at": iso(row.created_at),
        "read_at": iso(row.read_at),
    }


@bp.get("/notifications")
def notifications() -> ResponseReturnValue:
    """Return a page of the caller's notifications, newest first (``unread=1``: unread only)."""
    user = signed_in_user()
    unread_only = request.args.get("unread", "") in ("1", "true")
    limit = _int_arg("limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    offset = _int_arg("offset", 0, minimum=0)
    query = notifications_of(user, unread_only=unread_only)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(limit).offset(offset)).all()
    return jsonify(
        {
            "items": [notification(n) for n in rows],
            "total": total,
            "unread": unread_count(db.session, user),
            "limit": limit,
            "offset": offset,
        }
    )


@bp.post("/notifications/<int:notification_id>/read")
def read_notification(notification_id: int) -> ResponseReturnValue:
    """Mark one of the caller's notifications read (again: no change) and return it."""
    row = mark_read(load_notification(db.session, notification_id, signed_in_user()))
    db.session.flush()
    return jsonify(notification(row))


def _schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": list(NOTIFICATION_KINDS)},
            "message": _ref("Bilingual"),
            "url": {
                "type": "string",
                "description": "The item's path inside the application, e.g. /nominations/12.",
            },
            "created_at": {"type": "string", "format": "date-time"},
            "read_at": {"type": ["string", "null"], "format": "date-time"},
        },
        "required": ["id", "kind", "message", "url", "created_at", "read_at"],
    }


@openapi.extend
def _paths() -> dict[str, Any]:
    item = _schema()
    page = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": item},
            "total": {"type": "integer"},
            "unread": {"type": "integer", "description": "How many of all are unread."},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
        },
        "required": ["items", "total", "unread", "limit", "offset"],
    }
    return {
        "/notifications": {
            "get": _op(
                "listNotifications",
                "The caller's notifications (new work, returns, deadlines, outcomes), newest first",
                {"200": _json(page, "A page of notifications")},
                "Invalid",
                parameters=[
                    _query(
                        "unread",
                        {"type": "string", "enum": ["0", "1", "false", "true"]},
                        "1 (or true): only those not yet read.",
                    ),
                    _query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50},
                        "Page size.",
                    ),
                    _query("offset", {"type": "integer", "minimum": 0, "default": 0}, "Skip."),
                ],
            )
        },
        "/notifications/{notification_id}/read": {
            "parameters": [
                {
                    "name": "notification_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                }
            ],
            "post": _op(
                "readNotification",
                "Mark one of the caller's notifications read",
                {"200": _json(item, "The notification")},
                "BadRequest",
                "NotFound",
            ),
        },
    }
