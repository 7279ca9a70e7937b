"""JSON API of the selection committee's rounds (评审委员会): open, vote, stand aside, close.

Routes on the API blueprint (``/api/v1``); each is load → check → call an operation of
:mod:`nomination.selection.operations` → respond with the round as the caller may see it
(:func:`nomination.selection.operations.round_view`): a judge's own votes, never another's; for the
federation how many votes each judge has cast, never how; the tally once the round closed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import jsonify, request, url_for
from flask.typing import ResponseReturnValue

from nomination import db
from nomination.api import openapi
from nomination.api.views import _int_arg, _json_body, bp
from nomination.errors import InvalidData, PermissionDenied
from nomination.i18n import pick
from nomination.models import Campaign, SelectionRound
from nomination.models.selection import RESULTS, ROUND_STATUSES, SELECTION_RULES, VOTES
from nomination.permissions import has_role
from nomination.selection import operations as selection
from nomination.web.setup import signed_in_user

_REQUIRED = {"zh": "此项必填", "en": "This field is required"}
_UNKNOWN = {"zh": "未知字段", "en": "Unknown field"}
_MESSAGES: dict[str, dict[str, str]] = {
    "int": {"zh": "须为整数", "en": "Must be an integer"},
    "str": {"zh": "须为字符串", "en": "Must be a string"},
    "ints": {"zh": "须为整数数组", "en": "Must be an array of integers"},
}


def _is_int(value: Any) -> bool:
    # JSON true/false are not integers, whatever Python thinks.
    return isinstance(value, int) and not isinstance(value, bool)


def _fields(body: dict[str, Any], required: dict[str, str], optional: dict[str, str]) -> dict:
    """Return the typed keys of ``body`` ("int", "str", "ints"); 422 naming each bad one."""
    checks = {
        "int": _is_int,
        "str": lambda v: isinstance(v, str),
        "ints": lambda v: isinstance(v, list) and all(_is_int(i) for i in v),
    }
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    for name, kind in {**required, **optional}.items():
        value = body.get(name)
        if value is None:
            if name in required:
                errors[name] = [pick(_REQUIRED)]
        elif not checks[kind](value):
            errors[name] = [pick(_MESSAGES[kind])]
        else:
            out[name] = value
    for name in sorted(set(body) - set(required) - set(optional)):
        errors[name] = [pick(_UNKNOWN)]
    if errors:
        raise InvalidData("some fields are invalid", fields=errors)
    return out


def _plain(value: Any) -> Any:
    """Return ``value`` with its timestamps in ISO 8601 (Flask would write HTTP dates)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _round_json(round_: SelectionRound) -> dict[str, Any]:
    return _plain(selection.round_view(db.session, round_, signed_in_user()))


def _load(round_id: int) -> SelectionRound:
    return selection.load_round(db.session, round_id, signed_in_user())


@bp.get("/selection-rounds")
def selection_rounds() -> ResponseReturnValue:
    """Return the rounds the caller may see, newest first (optionally of one campaign)."""
    campaign_id = _int_arg("campaign_id", None, minimum=1)
    rows = selection.visible_rounds(db.session, signed_in_user(), campaign_id=campaign_id)
    return jsonify({"items": [_round_json(r) for r in rows]})


@bp.post("/selection-rounds")
def selection_open() -> ResponseReturnValue:
    """Open a round of a campaign's award kind (the federation's reviewers)."""
    if not has_role(signed_in_user(), "federation_reviewer"):
        raise PermissionDenied("only the federation's reviewers open selection rounds")
    body = _fields(
        _json_body(),
        required={"campaign_id": "int", "kind": "str", "judge_ids": "ints", "chair_id": "int"},
        optional={"places": "int", "nomination_ids": "ints"},
    )
    campaign = db.session.get(Campaign, body["campaign_id"])
    if campaign is None:
        raise InvalidData("no such campaign", fields={"campaign_id": ["no such campaign"]})
    round_ = selection.open_round(
        db.session,
        campaign,
        body["kind"],
        signed_in_user(),
        judge_ids=body["judge_ids"],
        chair_id=body["chair_id"],
        places=body.get("places"),
        nomination_ids=body.get("nomination_ids"),
    )
    location = url_for(".selection_round", round_id=round_.id)
    return jsonify(_round_json(round_)), 201, {"Location": location}


@bp.get("/selection-rounds/<int:round_id>")
def selection_round(round_id: int) -> ResponseReturnValue:
    """Return one round as the caller may see it."""
    return jsonify(_round_json(_load(round_id)))


@bp.post("/selection-rounds/<int:round_id>/votes")
def selection_vote(round_id: int) -> ResponseReturnValue:
    """Cast or change the caller's sealed vote on one nomination of an open round."""
    round_ = _load(round_id)
    body = _fields(_json_body(), required={"nomination_id": "int", "vote": "str"}, optional={})
    selection.cast_vote(
        db.session, round_, signed_in_user(), nomination_id=body["nomination_id"], vote=body["vote"]
    )
    return jsonify(_round_json(round_))


@bp.post("/selection-rounds/<int:round_id>/recusals")
def selection_recuse(round_id: int) -> ResponseReturnValue:
    """Stand aside on one nomination, with the reason (shown to all who see the round)."""
    round_ = _load(round_id)
    body = _fields(_json_body(), required={"nomination_id": "int", "reason": "str"}, optional={})
    selection.recuse(
        db.session,
        round_,
        signed_in_user(),
        nomination_id=body["nomination_id"],
        reason=body["reason"],
    )
    return jsonify(_round_json(round_)), 201


@bp.post("/selection-rounds/<int:round_id>/close")
def selection_close(round_id: int) -> ResponseReturnValue:
    """Close the vote, keep the tally and apply the results (the federation's reviewers)."""
    round_ = _load(round_id)
    # The body may be left out: a close acts on the round as it is, unless a version is sent.
    raw = _json_body() if request.get_data() else {}
    body = _fields(raw, required={}, optional={"version": "int"})
    selection.close_round(db.session, round_, signed_in_user(), version=body.get("version"))
    return jsonify(_round_json(round_))


@bp.post("/selection-rounds/<int:round_id>/decision")
def selection_decide(round_id: int) -> ResponseReturnValue:
    """Decide a tie at the last place: the tied nominations that take the places left (chair)."""
    round_ = _load(round_id)
    body = _fields(_json_body(), required={"nomination_ids": "ints"}, optional={"version": "int"})
    selection.decide_tie(
        db.session,
        round_,
        signed_in_user(),
        nomination_ids=body["nomination_ids"],
        version=body.get("version"),
    )
    return jsonify(_round_json(round_))


# --- the OpenAPI description -----------------------------------------------------------------

_PERSON = openapi._object({"id": {"type": "integer"}, "name": {"type": "string"}})
_BILINGUAL = openapi._object({"zh": {"type": "string"}, "en": {"type": "string"}})
_TIME = {"type": "string", "format": "date-time"}
_IDS = {"type": "array", "items": {"type": "integer"}}

_TALLY_ROW = openapi._object(
    {
        "nomination_id": {"type": "integer"},
        "order": {"type": "integer", "description": "Place in the shortlist."},
        "yes": {"type": "integer"},
        "no": {"type": "integer"},
        "abstain": {"type": "integer"},
        "present": {
            "type": "integer",
            "description": "Members present: those not standing aside who voted (abstaining too).",
        },
        "needed": {"type": "integer", "description": "The fewest yes votes that carry."},
        "passed": {"type": "boolean"},
        "rank": openapi._nullable({"type": "integer"}),
        "reserve_rank": openapi._nullable({"type": "integer"}),
        "result": {"type": "string", "enum": list(RESULTS)},
        "applied": {
            "type": "boolean",
            "description": "Whether the result has been applied to the nomination.",
        },
        "recused": {
            "type": "array",
            "items": openapi._object(
                {
                    "judge_id": {"type": "integer"},
                    "automatic": {"type": "boolean"},
                    "reason": {"type": "string"},
                }
            ),
        },
    }
)

_TALLY = openapi._object(
    {
        "round": {"type": "integer"},
        "kind": {"type": "string"},
        "rule": {"type": "string", "enum": list(SELECTION_RULES)},
        "places": {"type": "integer"},
        "members": {"type": "array", "items": _PERSON},
        "chair": _PERSON,
        "closed_by": _PERSON,
        "closed_at": _TIME,
        "entries": {"type": "array", "items": _TALLY_ROW},
        "tie": openapi._nullable(
            openapi._object(
                {
                    "yes": {"type": "integer"},
                    "places_left": {"type": "integer"},
                    "nomination_ids": _IDS,
                }
            )
        ),
        "decision": openapi._nullable(
            openapi._object(
                {"by": _PERSON, "at": _TIME, "selected": _IDS, "reserve": _IDS},
            )
        ),
    },
    description="Counts per nomination (never a judge's vote); kept when the round closes.",
)

ROUND_SCHEMA = openapi._object(
    {
        "id": {"type": "integer"},
        "campaign_id": {"type": "integer"},
        "kind": openapi.AWARD_KIND,
        "number": {"type": "integer"},
        "status": {"type": "string", "enum": list(ROUND_STATUSES)},
        "rule": {"type": "string", "enum": list(SELECTION_RULES)},
        "places": {"type": "integer"},
        "version": {"type": "integer"},
        "chair": _PERSON,
        "opened_by": _PERSON,
        "opened_at": _TIME,
        "closed_by": openapi._nullable(_PERSON),
        "closed_at": openapi._nullable(_TIME),
        "members": {
            "type": "array",
            "items": openapi._object(
                {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "chair": {"type": "boolean"},
                    "votes_cast": {
                        "type": "integer",
                        "description": "How many votes the judge has cast (the federation only).",
                    },
                    "votes_due": {
                        "type": "integer",
                        "description": "On how many nominations the judge votes (the federation).",
                    },
                },
                required=["id", "name", "chair"],
            ),
        },
        "entries": {
            "type": "array",
            "items": openapi._object(
                {
                    "nomination_id": {"type": "integer"},
                    "name": {"type": "string"},
                    "unit": openapi._object(
                        {
                            "id": {"type": "integer"},
                            "name": {"type": "string"},
                            "name_en": openapi._nullable({"type": "string"}),
                        }
                    ),
                    "category": openapi._nullable({"type": "string"}),
                    "category_label": openapi._nullable(_BILINGUAL),
                    "summary": {"type": "string", "description": "At most 500 characters."},
                    "state": {"type": "string"},
                    "result": openapi._nullable({"type": "string", "enum": list(RESULTS)}),
                    "recusals": {
                        "type": "array",
                        "items": openapi._object(
                            {
                                "judge_id": {"type": "integer"},
                                "judge_name": {"type": "string"},
                                "reason": {"type": "string"},
                                "automatic": {"type": "boolean"},
                                "recorded_at": _TIME,
                            }
                        ),
                    },
                    "recused": {
                        "type": "boolean",
                        "description": "The caller stands aside on it.",
                    },
                    "my_vote": openapi._nullable(
                        {
                            "type": "string",
                            "enum": list(VOTES),
                            "description": "The caller's own vote (judges only).",
                        }
                    ),
                }
            ),
        },
        "tally": openapi._nullable(_TALLY),
        "viewer": openapi._object(
            {
                "member": {"type": "boolean"},
                "follows": {"type": "boolean"},
                "can_vote": {"type": "boolean"},
                "can_close": {"type": "boolean"},
                "can_decide": {"type": "boolean"},
            }
        ),
    }
)

_ROUND_ID = {"name": "round_id", "in": "path", "required": True, "schema": {"type": "integer"}}


@openapi.extend
def _paths() -> dict[str, Any]:
    round_ok = {"200": openapi._json(ROUND_SCHEMA, "The round as the caller may see it")}
    return {
        "/selection-rounds": {
            "get": openapi._op(
                "listSelectionRounds",
                "Selection rounds the caller may see (members, the federation's reviewers, "
                "approvers, auditors), newest first; a judge's own votes only",
                {
                    "200": openapi._json(
                        openapi._object({"items": {"type": "array", "items": ROUND_SCHEMA}}),
                        "Rounds",
                    )
                },
                "Invalid",
                parameters=[
                    openapi._query("campaign_id", {"type": "integer"}, "Only this campaign's.")
                ],
            ),
            "post": openapi._op(
                "openSelectionRound",
                "Open a round (federation reviewers): shortlisted nominations (default: all), "
                "judges, chair, places (default: the quota left); the rule is the campaign's",
                {
                    "201": {
                        **openapi._json(ROUND_SCHEMA, "Opened"),
                        "headers": {
                            "Location": {"schema": {"type": "string"}, "description": "Its URL"}
                        },
                    }
                },
                "BadRequest",
                "Forbidden",
                "Conflict",
                "Invalid",
                requestBody=openapi._body(
                    openapi._object(
                        {
                            "campaign_id": {"type": "integer"},
                            "kind": openapi.AWARD_KIND,
                            "judge_ids": _IDS,
                            "chair_id": {"type": "integer"},
                            "places": {"type": "integer", "minimum": 0},
                            "nomination_ids": _IDS,
                        },
                        required=["campaign_id", "kind", "judge_ids", "chair_id"],
                        additionalProperties=False,
                    )
                ),
            ),
        },
        "/selection-rounds/{round_id}": {
            "parameters": [_ROUND_ID],
            "get": openapi._op("getSelectionRound", "One round", round_ok, "NotFound"),
        },
        "/selection-rounds/{round_id}/votes": {
            "parameters": [_ROUND_ID],
            "post": openapi._op(
                "castSelectionVote",
                "Cast or change the caller's sealed vote (judges of the round, until it closes)",
                round_ok,
                "BadRequest",
                "Forbidden",
                "NotFound",
                "Conflict",
                "Invalid",
                requestBody=openapi._body(
                    openapi._object(
                        {
                            "nomination_id": {"type": "integer"},
                            "vote": {"type": "string", "enum": list(VOTES)},
                        },
                        additionalProperties=False,
                    )
                ),
            ),
        },
        "/selection-rounds/{round_id}/recusals": {
            "parameters": [_ROUND_ID],
            "post": openapi._op(
                "recuseFromSelection",
                "Stand aside on a nomination, with the reason (judges of the round)",
                {"201": openapi._json(ROUND_SCHEMA, "Recorded")},
                "BadRequest",
                "Forbidden",
                "NotFound",
                "Conflict",
                "Invalid",
                requestBody=openapi._body(
                    openapi._object(
                        {
                            "nomination_id": {"type": "integer"},
                            "reason": {
                                "type": "string",
                                "minLength": selection.REASON_MIN,
                                "maxLength": selection.REASON_MAX,
                            },
                        },
                        additionalProperties=False,
                    )
                ),
            ),
        },
        "/selection-rounds/{round_id}/close": {
            "parameters": [_ROUND_ID],
            "post": openapi._op(
                "closeSelectionRound",
                "Close the vote, keep the tally and apply the results (federation reviewers); "
                "a tie at the last place leaves it awaiting the chair",
                round_ok,
                "BadRequest",
                "Forbidden",
                "NotFound",
                "Conflict",
                "Invalid",
                requestBody={
                    **openapi._body(
                        openapi._object(
                            {"version": {"type": "integer"}},
                            required=[],
                            additionalProperties=False,
                        )
                    ),
                    "required": False,
                },
            ),
        },
        "/selection-rounds/{round_id}/decision": {
            "parameters": [_ROUND_ID],
            "post": openapi._op(
                "decideSelectionTie",
                "The chair chooses which tied nominations take the places left",
                round_ok,
                "BadRequest",
                "Forbidden",
                "NotFound",
                "Conflict",
                "Invalid",
                requestBody=openapi._body(
                    openapi._object(
                        {"nomination_ids": _IDS, "version": {"type": "integer"}},
                        required=["nomination_ids"],
                        additionalProperties=False,
                    )
                ),
            ),
        },
    }
