"""Bulk transitions: one trigger fired on several nominations, each checked and audited alone.

URL table (on the API blueprint, ``/api/v1``):

    POST /nominations/bulk-transitions   {"trigger", "items": [{"id", "version"}], "data"}
                                         → one result per item: done, or refused and why

Each nomination is loaded in the caller's scope and fired through
``operations.transition_nomination`` with the version the caller saw, inside a savepoint of its
own: a refusal (guard, conflict, permission, invalid data) rolls back that one only, and the
others stand (``nomination.nominations.bulk.transition_each``, which the dashboard's bulk
form uses too).
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue

from nomination import db, engine
from nomination.api import openapi
from nomination.api.serialise import state as state_of
from nomination.api.views import MAX_LIMIT, _json_body, bp
from nomination.errors import InvalidData, PermissionDenied
from nomination.i18n import pick
from nomination.nominations.bulk import ItemResult, transition_each
from nomination.permissions import can_act_in_bulk
from nomination.web.setup import signed_in_user

#: At most this many nominations in one request.
MAX_ITEMS = MAX_LIMIT

_REQUIRED = {"zh": "此项必填", "en": "This field is required"}


# --- the API ---------------------------------------------------------------------------------


def _items(value: Any) -> tuple[list[tuple[int, int]], dict[str, list[str]]]:
    """Return the (id, version) pairs of ``items``, and the messages of each entry that is wrong."""
    if not isinstance(value, list) or not value:
        return [], {"items": [pick({"zh": "应为非空列表", "en": "Must be a non-empty list"})]}
    if len(value) > MAX_ITEMS:
        return [], {
            "items": [pick({"zh": f"最多 {MAX_ITEMS} 项", "en": f"At most {MAX_ITEMS} items"})]
        }
    errors: dict[str, list[str]] = {}
    pairs = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            errors[f"items[{i}]"] = [pick({"zh": "须为 JSON 对象", "en": "Must be a JSON object"})]
            continue
        for key in sorted(set(item) - {"id", "version"}):
            errors[f"items[{i}].{key}"] = [pick({"zh": "未知字段", "en": "Unknown field"})]
        for key in ("id", "version"):
            got = item.get(key)
            if got is None:
                errors[f"items[{i}].{key}"] = [pick(_REQUIRED)]
            elif not isinstance(got, int) or isinstance(got, bool) or got < 1:
                errors[f"items[{i}].{key}"] = [
                    pick({"zh": "须为正整数", "en": "Must be a positive integer"})
                ]
        if not any(k.startswith(f"items[{i}]") for k in errors):
            pairs.append((item["id"], item["version"]))
    return pairs, errors


def _result_json(result: ItemResult) -> dict[str, Any]:
    out: dict[str, Any] = {"id": result.id, "status": "done" if result.done else "refused"}
    n = result.nomination
    if n is not None:
        out["state"] = state_of(engine.workflow_for(n), n.state)
        out["version"] = n.version
    if not result.done:
        error: dict[str, Any] = {
            "code": result.code,
            "message": result.message,
            "fields": result.fields,
        }
        if result.reasons:
            error["reasons"] = result.reasons
        out["error"] = error
    return out


@bp.post("/nominations/bulk-transitions")
def bulk_transitions() -> ResponseReturnValue:
    """Fire one trigger on several nominations; each is checked, fired and audited alone."""
    if not can_act_in_bulk(signed_in_user()):
        raise PermissionDenied("your roles fire no transitions")
    body = _json_body()
    errors: dict[str, list[str]] = {}
    trigger = body.get("trigger")
    if not isinstance(trigger, str) or not trigger:
        errors["trigger"] = [pick(_REQUIRED)]
        trigger = ""
    data = body.get("data", {})
    if not isinstance(data, dict):
        errors["data"] = [pick({"zh": "须为 JSON 对象", "en": "Must be a JSON object"})]
    for key in sorted(set(body) - {"trigger", "items", "data"}):
        errors[key] = [pick({"zh": "未知字段", "en": "Unknown field"})]
    items, item_errors = _items(body.get("items"))
    errors.update(item_errors)
    if errors:
        raise InvalidData("some fields are invalid", fields=errors)
    results = transition_each(
        db.session,
        signed_in_user(),
        trigger,
        items,
        lambda _nomination: dict(data),
    )
    done = sum(r.done for r in results)
    return jsonify(
        {
            "trigger": trigger,
            "done": done,
            "refused": len(results) - done,
            "items": [_result_json(r) for r in results],
        }
    )


@openapi.extend
def _paths() -> dict[str, Any]:
    error = openapi._object(
        {
            "code": {
                "type": "string",
                "description": "forbidden, not_found, conflict, invalid, guard_blocked, …",
            },
            "message": {"type": "string"},
            "fields": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
            "reasons": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Why guards refuse the transition (guard_blocked).",
            },
        },
        required=["code", "message", "fields"],
    )
    result = openapi._object(
        {
            "id": {"type": "integer"},
            "status": {"type": "string", "enum": ["done", "refused"]},
            "state": openapi._ref("State"),
            "version": {"type": "integer"},
            "error": error,
        },
        required=["id", "status"],
    )
    request = openapi._object(
        {
            "trigger": {"type": "string", "minLength": 1},
            "items": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_ITEMS,
                "items": openapi._object(
                    {
                        "id": {"type": "integer", "minimum": 1},
                        "version": {
                            "type": "integer",
                            "minimum": 1,
                            "description": "The version the caller saw (a stale one is a "
                            "conflict for that item only).",
                        },
                    },
                    additionalProperties=False,
                ),
            },
            "data": {
                "type": "object",
                "description": "The fields of the transition's form, the same for every item "
                "(e.g. comment, or reason and field_remarks).",
            },
        },
        required=["trigger", "items"],
        additionalProperties=False,
    )
    response = openapi._object(
        {
            "trigger": {"type": "string"},
            "done": {"type": "integer"},
            "refused": {"type": "integer"},
            "items": {"type": "array", "items": result},
        }
    )
    return {
        "/nominations/bulk-transitions": {
            "post": openapi._op(
                "fireBulkTransitions",
                "Fire one transition on several nominations; each is checked, fired and audited "
                "on its own, in its own savepoint: a refused one never undoes the others",
                {"200": openapi._json(response, "One result per item, in the order sent")},
                "BadRequest",
                "Invalid",
                requestBody=openapi._body(request),
            )
        }
    }
