"""The OpenAPI 3.1 document of the JSON API, built from the same definitions the API serves."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from nomination import engine
from nomination.db import DB_INT_MAX
from nomination.definitions.forms import FIELD_TYPES, FieldDef, FormDef, forms_dir, load_form_file

VERSION = "1.0.0"

_STRING_TYPES = ("text", "textarea", "id_number", "uscc", "phone", "email", "choice")
_FORMATS = {"date": "date", "email": "email"}

#: An award kind: the definitions decide which, so the served document lists those offered
#: when it is built (``document``).
AWARD_KIND: dict[str, Any] = {"type": "string", "x-award-kind": True}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"oneOf": [schema, {"type": "null"}]}


def _object(
    properties: dict[str, Any], required: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, **extra}
    schema["required"] = list(properties) if required is None else required
    return schema


#: Beside a date counted on working days: whether a provisional year was used, and why.
PROVISIONAL_PROPERTIES: dict[str, Any] = {
    "provisional": {
        "type": "boolean",
        "description": "Counted on a provisional year (暂定): the statutory holidays alone, "
        "until the official arrangement is entered; the date may still move.",
    },
    "provisional_reason": {
        "type": ["object", "null"],
        "properties": {"zh": {"type": "string"}, "en": {"type": "string"}},
        "required": ["zh", "en"],
        "description": "The one-line reason, when provisional.",
    },
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def field_schema(fd: FieldDef) -> dict[str, Any]:
    """Return the JSON Schema of one form field's value."""
    schema: dict[str, Any]
    if fd.type == "integer":
        schema = {"type": "integer"}
        if fd.minimum is not None:
            schema["minimum"] = fd.minimum
        if fd.maximum is not None:
            schema["maximum"] = fd.maximum
    elif fd.type == "boolean":
        schema = {"type": "boolean"}
    else:
        schema = {"type": "string"}
        if fd.type in _FORMATS:
            schema["format"] = _FORMATS[fd.type]
        if fd.max_length is not None:
            schema["maxLength"] = fd.max_length
        if fd.min_length is not None:
            schema["minLength"] = fd.min_length
        if fd.choices:
            schema["enum"] = [value for value, _label in fd.choices]
    schema["title"] = fd.label.get("en", fd.name)
    schema["description"] = f"{fd.label.get('zh', '')} ({fd.type})"
    return schema


def form_schema(defn: FormDef) -> dict[str, Any]:
    """Return the JSON Schema of a form's data as the API accepts it."""
    return {
        "type": "object",
        "title": defn.title.get("en", defn.name),
        "properties": {fd.name: field_schema(fd) for fd in defn.fields},
        "required": [fd.name for fd in defn.fields if fd.required and fd.type != "boolean"],
        "additionalProperties": False,
    }


def _schemas() -> dict[str, Any]:
    bilingual = _object(
        {"zh": {"type": "string"}, "en": {"type": "string"}},
        description="Text in Chinese and English.",
    )
    objection_form = load_form_file(forms_dir() / "objection.toml")
    return {
        "Error": _object(
            {
                "error": _object(
                    {
                        "code": {
                            "type": "string",
                            "description": "Stable machine-readable code, e.g. not_found, "
                            "conflict, invalid, guard_blocked.",
                        },
                        "message": {"type": "string"},
                        "fields": {
                            "type": "object",
                            "description": "Messages by field name (422 invalid).",
                            "additionalProperties": {"type": "array", "items": {"type": "string"}},
                        },
                        "reasons": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "Why guards refuse the transition (guard_blocked).",
                        },
                        "checks": {
                            "type": "array",
                            "items": _ref("Check"),
                            "description": "Every guard as judged, each condition met or "
                            "missing (guard_blocked): which one failed.",
                        },
                        "state": {"type": "string", "description": "Current state (conflict)."},
                        "version": {
                            "type": "integer",
                            "description": "Current version (conflict).",
                        },
                    },
                    required=["code", "message", "fields"],
                )
            }
        ),
        "Bilingual": bilingual,
        "Field": _object(
            {
                "name": {"type": "string"},
                "type": {"type": "string", "enum": list(FIELD_TYPES)},
                "label": _ref("Bilingual"),
                "required": {"type": "boolean"},
                "max_length": {"type": "integer"},
                "choices": {
                    "type": "array",
                    "items": _object({"value": {"type": "string"}, "label": _ref("Bilingual")}),
                },
            },
            required=["name", "type", "label", "required"],
        ),
        "State": _object({"name": {"type": "string"}, "label": _ref("Bilingual")}),
        "WorkflowState": _object(
            {
                "name": {"type": "string"},
                "label": _ref("Bilingual"),
                "editable": {"type": "boolean", "description": "Nominee data may be changed."},
                "terminal": {"type": "boolean"},
            }
        ),
        "Organisation": _object(
            {
                "id": {"type": "integer"},
                "code": {"type": "string"},
                "name": {"type": "string"},
                "name_en": {"type": ["string", "null"]},
                "kind": {
                    "type": "string",
                    "enum": ["federation", "committee", "unit", "department"],
                },
            }
        ),
        "User": _object(
            {
                "id": {"type": "integer"},
                "username": {"type": "string"},
                "display_name": {"type": "string"},
                "email": {"type": ["string", "null"]},
                "roles": {
                    "type": "array",
                    "items": _object(
                        {"role": {"type": "string"}, "organisation": _ref("Organisation")}
                    ),
                },
            }
        ),
        "Award": _object(
            {
                "kind": AWARD_KIND,
                "title": {"type": "string"},
                "title_en": {"type": ["string", "null"]},
                "definition_hash": {"type": "string"},
                "form": _object({"name": {"type": "string"}, "title": _ref("Bilingual")}),
                "fields": {"type": "array", "items": _ref("Field")},
                "initial_state": {"type": "string"},
                "states": {"type": "array", "items": _ref("WorkflowState")},
                "files": {
                    "type": "array",
                    "description": "The files the unit attaches, and the transitions that "
                    "cannot fire without each.",
                    "items": _object(
                        {
                            "purpose": {"type": "string"},
                            "label": _ref("Bilingual"),
                            "required_for": {"type": "array", "items": {"type": "string"}},
                        }
                    ),
                },
            }
        ),
        "Campaign": _object(
            {
                "id": {"type": "integer"},
                "year": {"type": "integer"},
                "name": {"type": "string"},
                "name_en": {"type": ["string", "null"]},
                "status": {"type": "string", "enum": ["open", "closed"]},
                "nomination_deadline": {"type": "string", "format": "date"},
                "notice_working_days": {"type": "integer"},
                "objection_contact": {"type": "object"},
                "awards": {"type": "array", "items": _ref("Award")},
            }
        ),
        "CampaignList": _object({"items": {"type": "array", "items": _ref("Campaign")}}),
        "Transition": _object(
            {
                "trigger": {"type": "string"},
                "dest": {"type": "string"},
                "label": _ref("Bilingual"),
                "role": {"type": "string", "description": "The role in which the caller fires."},
                "fields": {"type": "array", "items": _ref("Field")},
                "allowed": {"type": "boolean", "description": "Whether it may fire now."},
                "reasons": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Why guards refuse it now (empty when allowed). Guards "
                    "that judge the form's own data are checked only when it fires.",
                },
                "checks": {"type": "array", "items": _ref("Check")},
            }
        ),
        "Check": _object(
            {
                "guard": {"type": "string", "description": "The guard's name."},
                "label": {"type": "string", "description": "What it checks."},
                "passed": {
                    "type": ["boolean", "null"],
                    "description": "null: it judges the form, and is checked when it fires.",
                },
                "reason": {"type": "string", "description": "Why it refuses (else empty)."},
                "conditions": {
                    "type": "array",
                    "description": "The separate things it checks, e.g. each required file.",
                    "items": _object(
                        {
                            "key": {"type": "string", "description": "e.g. a file's purpose."},
                            "label": {"type": "string"},
                            "met": {"type": "boolean"},
                        }
                    ),
                },
            },
            description="One condition of a transition, as the checklist shows it.",
        ),
        "File": _object(
            {
                "id": {"type": "integer"},
                "purpose": {"type": "string", "description": "What it is for ([[files]])."},
                "filename": {"type": "string"},
                "content_type": {"type": "string"},
                "size": {"type": "integer"},
                "sha256": {"type": "string"},
                "uploaded_at": {"type": "string", "format": "date-time"},
                "changeable": {
                    "type": "boolean",
                    "description": "Whether the caller may remove or replace it now.",
                },
            }
        ),
        "Objection": _object(
            {
                "status": {"type": "string", "enum": ["open", "unfounded", "founded", "closed"]},
                "late": {"type": "boolean"},
                "id": {"type": "integer"},
                "received_at": {"type": "string", "format": "date-time"},
                "facts": {"type": "string"},
                "conclusion": {"type": ["string", "null"]},
                "files": {
                    "type": "array",
                    "items": _object(
                        {
                            "purpose": {"type": "string"},
                            "filename": {"type": "string"},
                            "size": {"type": "integer"},
                            "sha256": {"type": "string"},
                        }
                    ),
                },
                "objector": _object(
                    {
                        "kind": {"type": "string", "enum": ["person", "unit"]},
                        "name": {"type": "string"},
                        "phone": {"type": "string"},
                        "address": {"type": "string"},
                    }
                ),
            },
            required=["status"],
            description="An objection filed during the public notice. Only the federation's "
            "objection handlers get more than its status; nobody gets its reference.",
        ),
        "NominationSummary": _object(
            {
                "id": {"type": "integer"},
                "campaign_id": {"type": "integer"},
                "award_kind": AWARD_KIND,
                "unit": _ref("Organisation"),
                "nominee_name": {"type": "string"},
                "state": _ref("State"),
                "version": {
                    "type": "integer",
                    "description": "Send it back with every change (optimistic locking).",
                },
                "created_at": {"type": "string", "format": "date-time"},
                "updated_at": {"type": "string", "format": "date-time"},
            }
        ),
        "NominationList": _object(
            {
                "items": {"type": "array", "items": _ref("NominationSummary")},
                "total": {"type": "integer", "description": "Matching nominations, all pages."},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"},
            }
        ),
        "Nomination": {
            "allOf": [
                _ref("NominationSummary"),
                _object(
                    {
                        "team_id": {"type": ["integer", "null"]},
                        "data": {
                            "type": "object",
                            "description": "Nominee data; its fields are the award's form. "
                            "ID numbers and phones come masked (110***********1234, "
                            "+86139****0000) unless the caller may see them in clear.",
                        },
                        "masked": {
                            "type": "boolean",
                            "description": "Whether the sensitive values of data are masked.",
                        },
                        "evidence": {
                            "type": "object",
                            "description": "Recorded by transitions: the unit's vote and "
                            "notice, each level's opinions.",
                        },
                        "state_entered_at": {"type": "string", "format": "date-time"},
                        "timer": _nullable(
                            _object(
                                {
                                    "trigger": {"type": "string"},
                                    "due_at": {"type": "string", "format": "date-time"},
                                    **PROVISIONAL_PROPERTIES,
                                }
                            )
                        ),
                        "decision_number": {"type": ["string", "null"]},
                        "decision_date": {"type": ["string", "null"], "format": "date"},
                        "transitions": {"type": "array", "items": _ref("Transition")},
                        "objections": {"type": "array", "items": _ref("Objection")},
                        "files": {"type": "array", "items": _ref("File")},
                    }
                ),
            ]
        },
        "NominationCreate": _object(
            {
                "campaign_id": {"type": "integer"},
                "award_kind": AWARD_KIND,
                "unit_id": {
                    "type": "integer",
                    "description": "Needed only when the caller submits for several units.",
                },
                "data": {"type": "object", "description": "Nominee data; may be incomplete."},
            },
            required=["campaign_id", "award_kind"],
            additionalProperties=False,
        ),
        "NominationPatch": _object(
            {
                "version": {"type": "integer"},
                "data": {
                    "type": "object",
                    "description": "Merged into the data (RFC 7396): keys sent replace, null "
                    "removes a key, keys not sent stay.",
                },
            },
            additionalProperties=False,
        ),
        "TransitionRequest": _object(
            {"trigger": {"type": "string", "minLength": 1}, "version": {"type": "integer"}},
            additionalProperties=True,
            description="Every other key is a field of the transition's form (see the "
            "nomination's transitions[].fields).",
        ),
        "AuditEvent": _object(
            {
                "seq": {"type": "integer"},
                "time": {"type": "string", "format": "date-time"},
                "actor": {"type": "string"},
                "actor_id": {"type": ["integer", "null"]},
                "role": {"type": ["string", "null"]},
                "action": {"type": "string"},
                "before": {"type": ["object", "null"]},
                "after": {"type": ["object", "null"]},
                "redacted": {
                    "type": "integer",
                    "description": "How many personal values of the event were erased "
                    "(they read [redacted]).",
                },
                "comment": {"type": ["string", "null"]},
                "prev_hash": {"type": "string"},
                "hash": {"type": "string", "description": "SHA-256 of the canonical record."},
            }
        ),
        "History": _object({"items": {"type": "array", "items": _ref("AuditEvent")}}),
        "Notice": _object(
            {
                "id": {"type": "integer"},
                "campaign_id": {"type": "integer"},
                "campaign": {"type": "string"},
                "award_kind": AWARD_KIND,
                "award_title": {"type": "string"},
                "unit": {"type": "string"},
                "fields": {
                    "type": "object",
                    "description": "The form's public fields only, as they were published.",
                },
                "position": {
                    "type": "integer",
                    "description": "Place in its notice (campaign and award kind), from 1.",
                },
                "notice_order": {
                    "type": "string",
                    "enum": ["unit", "stroke"],
                    "description": "The campaign's order: by nominating unit, or by surname "
                    "strokes (姓氏笔画; units and teams by the strokes of their names).",
                },
                "sequence": {
                    "type": "integer",
                    "description": "1, or more when the nominee was published again after an "
                    "objection was reviewed.",
                },
                "published_at": {"type": "string", "format": "date-time"},
                "notice_ends_at": {"type": ["string", "null"], "format": "date-time"},
                **PROVISIONAL_PROPERTIES,
                "objection_contact": {"type": "object"},
            }
        ),
        "NoticeList": _object({"items": {"type": "array", "items": _ref("Notice")}}),
        "ObjectionRequest": form_schema(objection_form),
        "ObjectionStatus": _object(
            {
                "reference": {"type": "string"},
                "status": {"type": "string", "enum": ["open", "unfounded", "founded", "closed"]},
                "late": {"type": "boolean"},
            }
        ),
        "Checkpoint": _object(
            {
                "format": {"type": "string", "const": "nomination-checkpoint/v1"},
                "tree_size": {"type": "integer", "minimum": 0},
                "root_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                "signed_at": {"type": "string", "description": "UTC, YYYY-MM-DDTHH:MM:SSZ"},
                "key_id": {"type": "string"},
                "signature": {"type": "string", "description": "Ed25519, base64"},
                "public_key": {"type": "string", "description": "Raw key, base64 (informative)"},
            },
            required=["format", "tree_size", "root_hash", "signed_at", "key_id", "signature"],
            description="A signed tree head of the audit trail (RFC 9162 Merkle root).",
        ),
        "Receipt": _object(
            {
                "format": {"type": "string", "const": "nomination-receipt/v1"},
                "event": _object(
                    {
                        "seq": {"type": "integer"},
                        "payload": {"type": "string"},
                        "hash": {"type": "string"},
                    }
                ),
                "checkpoint": _ref("Checkpoint"),
                "inclusion_proof": {"type": "array", "items": {"type": "string"}},
            },
            description="An event, the first checkpoint covering it and its inclusion proof: "
            "verifiable offline with the public key (nomination.audit.offline.receipt_problem).",
        ),
        "ObjectionReceipt": {
            "allOf": [
                _ref("Receipt"),
                _object(
                    {
                        "objection": _object(
                            {
                                "reference": {"type": "string"},
                                "received_on": {"type": "string", "format": "date"},
                                "late": {"type": "boolean"},
                                "receipt": _object(
                                    {"zh": {"type": "string"}, "en": {"type": "string"}},
                                    description="The plain receipt, one sentence per language",
                                ),
                            },
                            description="What the objector reads: the reference to quote, "
                            "the day it was received (local date) and what comes next",
                        )
                    }
                ),
            ],
            "description": "The objector's receipt: the proof, and the objection in plain words",
        },
        "VerifyResult": _object(
            {
                "ok": {"type": "boolean"},
                "checked": {"type": "integer"},
                "first_bad_seq": {"type": ["integer", "null"]},
                "problem": {"type": ["string", "null"]},
            }
        ),
    }


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


_RESPONSES = {
    "BadRequest": _error("The body is not a JSON object (or a CSRF token is missing)."),
    "Unauthorized": _error("Not logged in and no valid bearer token."),
    "Forbidden": _error("The caller may not do this (the refusal is audited)."),
    "NotFound": _error("No such thing, or the caller may not know that it exists."),
    "Conflict": _error(
        "Stale version, or the state moved on; error.state and error.version are current."
    ),
    "Invalid": _error(
        "Invalid fields (code invalid, error.fields by name) or guards refuse "
        "(code guard_blocked, error.reasons)."
    ),
    "TooMany": _error("Too many requests from this sender for now (code rate_limited)."),
}


def _errors(*names: str) -> dict[str, Any]:
    codes = {
        "BadRequest": "400",
        "Unauthorized": "401",
        "Forbidden": "403",
        "NotFound": "404",
        "Conflict": "409",
        "Invalid": "422",
        "TooMany": "429",
    }
    return {codes[n]: {"$ref": f"#/components/responses/{n}"} for n in names}


def _op(
    operation_id: str,
    summary: str,
    ok: dict[str, Any],
    *errors: str,
    public: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": operation_id, "summary": summary, **extra}
    op["responses"] = {**ok, **_errors(*errors, *(() if public else ("Unauthorized",)))}
    if public:
        op["security"] = []
    return op


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


_NOMINATION_ID = {"$ref": "#/components/parameters/NominationId"}
REFERENCE = {
    "name": "reference",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1},
}


def _paths() -> dict[str, Any]:
    return {
        "/me": {
            "get": _op(
                "getMe", "The caller and their roles", {"200": _json(_ref("User"), "The caller")}
            )
        },
        "/campaigns": {
            "get": _op(
                "listCampaigns",
                "Campaigns open for nominations, with each award's form fields and states",
                {"200": _json(_ref("CampaignList"), "Open campaigns")},
            )
        },
        "/campaigns/{campaign_id}": {
            "parameters": [
                {
                    "name": "campaign_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                }
            ],
            "get": _op(
                "getCampaign",
                "One campaign",
                {"200": _json(_ref("Campaign"), "The campaign")},
                "NotFound",
            ),
        },
        "/nominations": {
            "get": _op(
                "listNominations",
                "Nominations the caller may see (scoped like every list), newest first",
                {"200": _json(_ref("NominationList"), "A page of nominations")},
                "Invalid",
                parameters=[
                    _query("state", {"type": "string"}, "Only nominations in this state."),
                    _query("campaign_id", {"type": "integer"}, "Only this campaign's."),
                    _query("kind", AWARD_KIND, "Award kind."),
                    _query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                        "Page size.",
                    ),
                    _query("offset", {"type": "integer", "minimum": 0, "default": 0}, "Skip."),
                ],
            ),
            "post": _op(
                "createNomination",
                "Start a nomination (state draft)",
                {
                    "201": {
                        **_json(_ref("Nomination"), "Created"),
                        "headers": {
                            "Location": {"schema": {"type": "string"}, "description": "Its URL"}
                        },
                    }
                },
                "BadRequest",
                "Forbidden",
                "Conflict",
                "Invalid",
                requestBody=_body(_ref("NominationCreate")),
            ),
        },
        "/nominations/{nomination_id}": {
            "parameters": [_NOMINATION_ID],
            "get": _op(
                "getNomination",
                "A nomination with data, evidence and the transitions the caller may fire",
                {"200": _json(_ref("Nomination"), "The nomination")},
                "NotFound",
            ),
            "patch": _op(
                "updateNomination",
                "Change nominee data while the state allows editing",
                {"200": _json(_ref("Nomination"), "The changed nomination")},
                "BadRequest",
                "Forbidden",
                "NotFound",
                "Conflict",
                "Invalid",
                requestBody=_body(_ref("NominationPatch")),
            ),
        },
        "/nominations/{nomination_id}/transitions": {
            "parameters": [_NOMINATION_ID],
            "post": _op(
                "fireTransition",
                "Fire a transition with its form's fields",
                {"200": _json(_ref("Nomination"), "The nomination in its new state")},
                "BadRequest",
                "Forbidden",
                "NotFound",
                "Conflict",
                "Invalid",
                requestBody=_body(_ref("TransitionRequest")),
            ),
        },
        "/nominations/{nomination_id}/history": {
            "parameters": [_NOMINATION_ID],
            "get": _op(
                "getNominationHistory",
                "The nomination's audit events, oldest first",
                {"200": _json(_ref("History"), "Audit events")},
                "NotFound",
            ),
        },
        "/notices": {
            "get": _op(
                "listNotices",
                "Nominations on public notice (公示) as published, each notice in its campaign's "
                "order: public fields only (no login)",
                {"200": _json(_ref("NoticeList"), "Notices")},
                public=True,
            )
        },
        "/notices/{nomination_id}/objections": {
            "parameters": [_NOMINATION_ID],
            "post": _op(
                "fileObjection",
                "File an objection (异议) against a nomination on notice (no login); after the "
                "notice closed it is kept and marked late; rate-limited per sender",
                {
                    "201": {
                        **_json(_ref("ObjectionStatus"), "Filed; keep the reference"),
                        "headers": {
                            "Location": {"schema": {"type": "string"}, "description": "Status URL"}
                        },
                    }
                },
                "BadRequest",
                "NotFound",
                "Invalid",
                "TooMany",
                public=True,
                requestBody=_body(_ref("ObjectionRequest")),
            ),
        },
        "/objections/{reference}": {
            "parameters": [REFERENCE],
            "get": _op(
                "getObjectionStatus",
                "The status of an objection, to whoever holds its reference (no login)",
                {"200": _json(_ref("ObjectionStatus"), "Status only, never the objector")},
                "NotFound",
                public=True,
            ),
        },
        "/audit/verify": {
            "get": _op(
                "verifyAudit",
                "Re-compute the audit chain (auditors and administrators)",
                {"200": _json(_ref("VerifyResult"), "The outcome")},
                "Forbidden",
            )
        },
        "/nominations/{nomination_id}/receipt": {
            "parameters": [_NOMINATION_ID],
            "get": _op(
                "getNominationReceipt",
                "The nominating unit's receipt for its submission (its submitters and auditors); "
                "404 with code receipt_pending until a checkpoint covers it",
                {"200": _json(_ref("Receipt"), "The receipt")},
                "Forbidden",
                "NotFound",
            ),
        },
        "/objections/{reference}/receipt": {
            "parameters": [REFERENCE],
            "get": _op(
                "getObjectionReceipt",
                "The objector's receipt for their objection, to whoever holds its reference "
                "(no login); 404 with code receipt_pending until a checkpoint covers it",
                {"200": _json(_ref("ObjectionReceipt"), "The receipt")},
                "NotFound",
                public=True,
            ),
        },
        "/checkpoints/latest": {
            "get": _op(
                "getLatestCheckpoint",
                "The latest signed checkpoint of the audit trail (no login)",
                {"200": _json(_ref("Checkpoint"), "The checkpoint")},
                "NotFound",
                public=True,
            )
        },
        "/checkpoints/keys/{key_id}": {
            "parameters": [
                {
                    "name": "key_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1},
                }
            ],
            "get": _op(
                "getPublicKey",
                "A public key checkpoints are verified with, as PEM (no login)",
                {
                    "200": {
                        "description": "Ed25519 public key (SubjectPublicKeyInfo, PEM)",
                        "content": {"application/x-pem-file": {"schema": {"type": "string"}}},
                    }
                },
                "NotFound",
                public=True,
            ),
        },
        "/openapi.json": {
            "get": _op(
                "getOpenApi",
                "This document",
                {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}},
                public=True,
            )
        },
    }


#: Functions returning more paths, registered by the API modules that serve them.
_EXTRA_PATHS: list[Callable[[], dict[str, Any]]] = []


def extend(paths: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """Register a function returning paths an API module adds (used as a decorator)."""
    _EXTRA_PATHS.append(paths)
    _document.cache_clear()
    return paths


def _all_paths() -> dict[str, Any]:
    paths = _paths()
    for more in _EXTRA_PATHS:
        paths.update(more())
    return paths


def document() -> dict[str, Any]:
    """Return the OpenAPI 3.1 document of ``/api/v1``, naming the award kinds offered now."""
    return _document(engine.award_kinds())


def _with_kinds(node: Any, kinds: tuple[str, ...]) -> Any:
    """Return ``node`` with each ``AWARD_KIND`` schema listing ``kinds``."""
    if isinstance(node, dict):
        if node.get("x-award-kind"):
            return {"type": "string", "enum": list(kinds)}
        return {key: _with_kinds(value, kinds) for key, value in node.items()}
    if isinstance(node, list):
        return [_with_kinds(value, kinds) for value in node]
    return node


def _bounded(node: Any) -> Any:
    """Return ``node`` with every integer bounded by the databases' (the server refuses more).

    Ids in a path are never negative: no route takes a minus sign.
    """
    if isinstance(node, list):
        return [_bounded(value) for value in node]
    if not isinstance(node, dict):
        return node
    out = {key: _bounded(value) for key, value in node.items()}
    if out.get("in") == "path" and out.get("schema", {}).get("type") == "integer":
        out["schema"] = {**out["schema"], "minimum": max(out["schema"].get("minimum", 0), 0)}
    kind = out.get("type")
    if kind == "integer" or (isinstance(kind, list) and "integer" in kind):
        out["minimum"] = max(out.get("minimum", -DB_INT_MAX - 1), -DB_INT_MAX - 1)
        out["maximum"] = min(out.get("maximum", DB_INT_MAX), DB_INT_MAX)
    return out


@cache
def _document(kinds: tuple[str, ...]) -> dict[str, Any]:
    return _bounded(_with_kinds(_assembled(), kinds))


def _assembled() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "nomination API",
            "version": VERSION,
            "description": (
                "Award nominations through their workflow: campaigns, nominations, transitions, "
                "history, public notices and objections, audit verification. Authenticate with "
                "'Authorization: Bearer TOKEN' (nomination token create USERNAME) or the session "
                "cookie (then send X-CSRFToken with writes). Errors are "
                '{"error": {"code", "message", "fields"}}.'
            ),
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        "paths": _all_paths(),
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
            "parameters": {
                "NominationId": {
                    "name": "nomination_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                }
            },
            "responses": _RESPONSES,
            "schemas": _schemas(),
        },
    }
