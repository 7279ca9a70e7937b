"""JSON API views: load → check → call an operation → respond.

Authentication is Flask-Login's (session cookie or ``Authorization: Bearer``, see
``web/setup.py``); every endpoint needs a logged-in caller except those marked ``@public``.
Errors are ``{"error": {"code", "message", "fields"}}``: views and operations raise
``OperationError``s and ``api/errors.py``, the blueprint's handler, turns each into that shape.
Nothing here commits or rolls back: the request boundary does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, overload

from cryptography.hazmat.primitives import serialization
from flask import Blueprint, abort, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select

from nomination import db, engine
from nomination.api import errors, openapi, serialise
from nomination.audit import checkpoints
from nomination.audit.reading import (
    ReceiptStatus,
    objection_event,
    receipt_status,
    run_verification,
    shown_views,
    submission_event,
)
from nomination.consultations.operations import visible_events
from nomination.db import DB_INT_MAX
from nomination.errors import InvalidData, NotFound, OperationError, PermissionDenied
from nomination.i18n import pick
from nomination.models import Campaign, Nomination, Organisation
from nomination.nominations import operations, queries
from nomination.objections import operations as objection_operations
from nomination.objections.receipts import plain_receipt
from nomination.permissions import (
    can_administer_org,
    can_audit,
    can_get_receipt,
    can_handle_objections,
    can_see_personal_data,
)
from nomination.web import objection_form
from nomination.web.auth import client_key
from nomination.web.errors import json_error
from nomination.web.setup import signed_in_user

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.register_error_handler(OperationError, errors.operation_error)

#: Page size of lists when the caller gives none, and the largest one allowed.
DEFAULT_LIMIT = 50
MAX_LIMIT = 200

_REQUIRED = {"zh": "此项必填", "en": "This field is required"}
_UNKNOWN = {"zh": "未知字段", "en": "Unknown field"}
_TYPES: dict[type, dict[str, str]] = {
    int: {"zh": "须为整数", "en": "Must be an integer"},
    str: {"zh": "须为字符串", "en": "Must be a string"},
    dict: {"zh": "须为 JSON 对象", "en": "Must be a JSON object"},
    list: {"zh": "须为数组", "en": "Must be an array"},
    bool: {"zh": "须为 true 或 false", "en": "Must be true or false"},
}


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view as open to callers who are not logged in."""
    view.public = True  # type: ignore[attr-defined]
    return view


@bp.before_request
def _require_login() -> ResponseReturnValue | None:
    # An API client gets a 401 it can act on, never a redirect to the login page.
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "public", False) or current_user.is_authenticated:
        return None
    response, status = json_error(
        401,
        "unauthorized",
        "log in, or send a valid API token as 'Authorization: Bearer TOKEN'",
    )
    response.headers["WWW-Authenticate"] = 'Bearer realm="nomination"'
    return response, status


# --- reading requests ------------------------------------------------------------------------


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, "the request body must be a JSON object sent as application/json")
    nul = sorted(_strings_with_nul(body))
    if nul:
        # PostgreSQL stores no NUL character in text (a 500); no one types one.
        message = pick({"zh": "不能包含 NUL 字符", "en": "Must not contain a NUL character"})
        raise InvalidData("text must not contain NUL", fields={path: [message] for path in nul})
    too_large = sorted(_integers_out_of_range(body))
    if too_large:
        # No id, version or count is larger than the databases' integers (PostgreSQL's are
        # 32-bit): refused here, naming the field, rather than by the database (a 500).
        bound = f"between {-DB_INT_MAX - 1} and {DB_INT_MAX}"
        message = pick(
            {"zh": f"须为 {-DB_INT_MAX - 1} 至 {DB_INT_MAX} 之间的整数", "en": f"Must be {bound}"}
        )
        raise InvalidData(
            f"integers must be {bound}", fields={path: [message] for path in too_large}
        )
    return body


def _strings_with_nul(node: Any, path: str = "") -> Iterator[str]:
    """Yield the dotted path of each string (or key) in ``node`` holding a NUL character."""
    if isinstance(node, dict):
        for key, value in node.items():
            inner = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                yield inner
            yield from _strings_with_nul(value, inner)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings_with_nul(value, f"{path}[{index}]")
    elif isinstance(node, str) and "\x00" in node:
        yield path


def _integers_out_of_range(node: Any, path: str = "") -> Iterator[str]:
    """Yield the dotted path of each integer in ``node`` the databases cannot hold."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _integers_out_of_range(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _integers_out_of_range(value, f"{path}[{index}]")
    elif _is(node, int) and not -DB_INT_MAX - 1 <= node <= DB_INT_MAX:
        yield path


def _is(value: Any, kind: type) -> bool:
    # JSON true/false are not integers, whatever Python thinks.
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def _top_level(
    body: dict[str, Any],
    required: Mapping[str, type],
    optional: Mapping[str, type] | None = None,
    *,
    only: bool = True,
) -> dict[str, Any]:
    """Return the typed top-level keys of ``body``; 422 naming each missing or wrong key."""
    optional = optional or {}
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    for name, kind in {**required, **optional}.items():
        value = body.get(name)
        if value is None:
            if name in required:
                errors[name] = [pick(_REQUIRED)]
        elif not _is(value, kind):
            errors[name] = [pick(_TYPES[kind])]
        else:
            out[name] = value
    if only:
        for name in sorted(set(body) - set(required) - set(optional)):
            errors[name] = [pick(_UNKNOWN)]
    if errors:
        raise InvalidData("some fields are invalid", fields=errors)
    return out


@overload
def _int_arg(name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int: ...


@overload
def _int_arg(
    name: str, default: None, minimum: int = 0, maximum: int | None = None
) -> int | None: ...


def _int_arg(
    name: str, default: int | None, minimum: int = 0, maximum: int | None = None
) -> int | None:
    """Return the integer query parameter ``name``; 422 naming it when it is not one."""
    raw = request.args.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidData(
            f"'{name}' must be an integer", fields={name: [pick(_TYPES[int])]}
        ) from None
    # No id or count is larger than the databases' integers (PostgreSQL's are 32-bit).
    maximum = DB_INT_MAX if maximum is None else min(maximum, DB_INT_MAX)
    if value < minimum or value > maximum:
        bound = f"between {minimum} and {maximum}"
        raise InvalidData(f"'{name}' must be {bound}", fields={name: [f"must be {bound}"]})
    return value


def _load(nomination_id: int) -> Nomination:
    """Return the nomination if the caller may see it; 404 alike whether absent or hidden."""
    return queries.load_nomination(db.session, nomination_id, signed_in_user())


def _detail(nomination: Nomination) -> dict[str, Any]:
    user = signed_in_user()
    return serialise.nomination(
        nomination,
        engine.available(nomination, user),
        objections_in_full=can_handle_objections(user, nomination),
        personal_in_clear=can_see_personal_data(user, nomination),
        user=user,
    )


def _submitting_unit(unit_id: int | None) -> Organisation:
    """Return the unit named, or the caller's only unit; 422 when it must be named."""
    if unit_id is not None:
        unit = db.session.get(Organisation, unit_id)
        if unit is None:
            raise InvalidData("no such unit", fields={"unit_id": ["no such unit"]})
        return unit  # whether the caller may nominate for it is the operation's check
    units = queries.submitter_unit_choices(db.session, signed_in_user())
    if not units:
        raise PermissionDenied("you may not nominate for any unit")
    if len(units) > 1:
        raise InvalidData(
            "you submit for several units; say which",
            fields={"unit_id": [pick(_REQUIRED)]},
            units=[serialise.organisation(u) for u in units],
        )
    return units[0]


# --- the caller and campaigns ----------------------------------------------------------------


@bp.get("/me")
def me() -> ResponseReturnValue:
    """Return the caller and the roles they hold."""
    return jsonify(serialise.user(signed_in_user()))


@bp.get("/campaigns")
def campaigns() -> ResponseReturnValue:
    """Return the campaigns open for nominations, each with its forms and states."""
    rows = queries.open_campaigns(db.session)
    return jsonify({"items": [serialise.campaign(db.session, c) for c in rows]})


@bp.get("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int) -> ResponseReturnValue:
    """Return one campaign, open or closed (a draft only to its administrators)."""
    row = db.session.get(Campaign, campaign_id)
    if row is None or (
        row.status == "draft" and not can_administer_org(signed_in_user(), row.federation)
    ):
        raise NotFound("no such campaign")
    return jsonify(serialise.campaign(db.session, row))


# --- nominations -----------------------------------------------------------------------------


@bp.get("/nominations")
def nominations() -> ResponseReturnValue:
    """Return a page of the nominations the caller may see, newest first, with the total."""
    campaign_id = _int_arg("campaign_id", None, minimum=1)
    limit = _int_arg("limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    offset = _int_arg("offset", 0, minimum=0)
    # Lazy timers: a notice whose period ended shows as closed in lists too.
    engine.apply_due_timers(db.session)
    query = queries.visible_nominations(
        signed_in_user(),
        state=request.args.get("state") or None,
        campaign_id=campaign_id,
        kind=request.args.get("kind") or None,
    )
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(limit).offset(offset)).all()
    return jsonify(
        {
            "items": [serialise.nomination_summary(n) for n in rows],
            "total": total,
            "limit": limit,
            "offset": offset,
        }
    )


@bp.post("/nominations")
def create_nomination() -> ResponseReturnValue:
    """Start a nomination in the campaign's workflow; the data may still be incomplete."""
    body = _top_level(
        _json_body(),
        required={"campaign_id": int, "award_kind": str},
        optional={"unit_id": int, "data": dict},
    )
    row = db.session.get(Campaign, body["campaign_id"])
    if row is None:
        raise InvalidData("no such campaign", fields={"campaign_id": ["no such campaign"]})
    nomination = operations.create_nomination(
        db.session,
        actor=signed_in_user(),
        campaign=row,
        kind=body["award_kind"],
        unit=_submitting_unit(body.get("unit_id")),
        data=body.get("data", {}),
    )
    location = url_for(".nomination", nomination_id=nomination.id)
    return jsonify(_detail(nomination)), 201, {"Location": location}


@bp.get("/nominations/<int:nomination_id>")
def nomination(nomination_id: int) -> ResponseReturnValue:
    """Return a nomination with its data, evidence and the transitions the caller may fire."""
    return jsonify(_detail(_load(nomination_id)))


@bp.patch("/nominations/<int:nomination_id>")
def update_nomination(nomination_id: int) -> ResponseReturnValue:
    """Change nominee data while the state allows it; ``data`` is merged (null removes a key)."""
    nomination = _load(nomination_id)
    body = _top_level(_json_body(), required={"version": int, "data": dict})
    # JSON Merge Patch (RFC 7396) on the data: keys sent replace, null removes, others stay.
    merged = {**(nomination.data or {}), **body["data"]}
    data = {k: v for k, v in merged.items() if v is not None}
    operations.update_nomination(
        nomination, actor=signed_in_user(), data=data, version=body["version"]
    )
    return jsonify(_detail(nomination))


@bp.post("/nominations/<int:nomination_id>/transitions")
def fire_transition(nomination_id: int) -> ResponseReturnValue:
    """Fire a transition; every key but ``trigger`` and ``version`` is a field of its form."""
    nomination = _load(nomination_id)
    raw = _json_body()
    body = _top_level(raw, required={"trigger": str, "version": int}, only=False)
    form_data = {k: v for k, v in raw.items() if k not in ("trigger", "version")}
    operations.transition_nomination(
        nomination,
        actor=signed_in_user(),
        trigger=body["trigger"],
        version=body["version"],
        data=form_data,
    )
    return jsonify(_detail(nomination))


@bp.get("/nominations/<int:nomination_id>/history")
def nomination_history(nomination_id: int) -> ResponseReturnValue:
    """Return the audit events of a nomination, oldest first."""
    nomination = _load(nomination_id)
    # Which department said what stays with the federation until the decision.
    events = visible_events(signed_in_user(), nomination, queries.history(db.session, nomination))
    private = can_handle_objections(signed_in_user(), nomination)
    views = shown_views(db.session, events, signed_in_user())
    return jsonify(
        {
            "items": [
                serialise.audit_event(e, v, private_notes=private)
                for e, v in zip(events, views, strict=True)
            ]
        }
    )


# --- the public: notices and objections ------------------------------------------------------


@bp.get("/notices")
@public
def notices() -> ResponseReturnValue:
    """Return the entries on public notice as published, each notice in its campaign's order."""
    items = [
        serialise.notice(entry, notice.campaign, position)
        for notice in queries.grouped(db.session, queries.notice_board(db.session))
        for position, entry in enumerate(notice.entries, start=1)
    ]
    return jsonify({"items": items})


@bp.post("/notices/<int:nomination_id>/objections")
@public
def file_objection(nomination_id: int) -> ResponseReturnValue:
    """File an objection against a nomination on notice (or once: then late); its reference.

    Rate-limited per sender as the web form is (429). Files go through the web form.
    """
    found = queries.load_objectable(db.session, nomination_id)
    if found is None:
        raise NotFound("no nomination with this number is or was on public notice")
    if objection_form.rate_limited():
        return json_error(429, "rate_limited", objection_form.limited_message())
    objection = objection_form.file_with_retry(
        nomination_id, data=_json_body(), client=client_key(request.remote_addr)
    )
    location = url_for(".objection", reference=objection.reference)
    return jsonify(serialise.objection_status(objection)), 201, {"Location": location}


@bp.get("/objections/<reference>")
@public
def objection(reference: str) -> ResponseReturnValue:
    """Return the status of an objection to whoever holds its reference."""
    return jsonify(
        serialise.objection_status(objection_operations.objection_status(db.session, reference))
    )


# --- audit and the API's description ---------------------------------------------------------


@bp.get("/audit/verify")
def verify_audit() -> ResponseReturnValue:
    """Verify the chain, the tree and every checkpoint, bounded in time (auditors).

    ``?continue=1`` goes on from where the last run cut short by the time limit stopped.
    """
    user = signed_in_user()
    if not can_audit(user):
        raise PermissionDenied("only auditors and administrators may verify the audit trail")
    seconds = float(current_app.config["AUDIT_VERIFY_SECONDS"])
    resume = request.args.get("continue") in ("1", "true")
    return jsonify(run_verification(db.session, seconds=seconds, by=user.username, resume=resume))


# --- receipts and checkpoints ----------------------------------------------------------------

_RECEIPT_PENDING = (
    "no checkpoint covers this event yet; a receipt is available after the next checkpoint"
)


def _receipt_response(
    status: ReceiptStatus, what: str, filename: str, **plain: Any
) -> ResponseReturnValue:
    if status.event is None:
        raise NotFound(f"there is no {what} to give a receipt for")
    if status.receipt is None:
        return json_error(404, "receipt_pending", _RECEIPT_PENDING, seq=status.event.seq)
    response = jsonify({**status.receipt, **plain})
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/nominations/<int:nomination_id>/receipt")
def nomination_receipt(nomination_id: int) -> ResponseReturnValue:
    """Return the nominating unit's receipt for its submission (checkpoint + inclusion proof)."""
    nomination = _load(nomination_id)
    if not can_get_receipt(signed_in_user(), nomination):
        raise PermissionDenied("only the nominating unit (and auditors) get its receipt")
    status = receipt_status(db.session, submission_event(db.session, nomination))
    return _receipt_response(status, "submission", f"receipt-nomination-{nomination.id}.json")


@bp.get("/objections/<reference>/receipt")
@public
def objection_receipt(reference: str) -> ResponseReturnValue:
    """Return the objector's receipt for their objection, to whoever holds its reference."""
    objection = objection_operations.objection_status(db.session, reference)
    status = receipt_status(db.session, objection_event(db.session, objection))
    plain = plain_receipt(db.session, objection)
    # Beside the proof (which a verifier reads and ignores the rest of): what a person reads.
    return _receipt_response(
        status,
        "objection event",
        f"receipt-objection-{reference}.json",
        objection={
            "reference": plain.reference,
            "received_on": plain.received_on.isoformat(),
            "late": plain.late,
            "receipt": plain.text(),
        },
    )


@bp.get("/checkpoints/latest")
@public
def latest_checkpoint() -> ResponseReturnValue:
    """Return the latest signed checkpoint (the tree head the federation published)."""
    cp = checkpoints.latest_checkpoint(db.session)
    if cp is None:
        raise NotFound("no checkpoint has been signed yet")
    response = jsonify(checkpoints.checkpoint_json(cp))
    name = f"checkpoint-{cp.tree_size}-{cp.signed_at:%Y%m%dT%H%M%SZ}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/checkpoints/keys/<key_id>")
@public
def public_key(key_id: str) -> ResponseReturnValue:
    """Return the public key ``key_id`` (PEM) that checkpoints are verified with."""
    key = checkpoints.trusted_keys().get(key_id)
    if key is None:
        raise NotFound("no such public key")
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    response = current_app.response_class(pem, mimetype="application/x-pem-file")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="audit-signing-key.{key_id}.pub.pem"'
    )
    return response


@bp.get("/openapi.json")
@public
def openapi_document() -> ResponseReturnValue:
    """Return the OpenAPI 3.1 document of this API."""
    return jsonify(openapi.document())
