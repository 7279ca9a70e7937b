"""Error pages for people and JSON errors for the API, in one place."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, make_response, render_template, request
from flask_login import current_user
from werkzeug.exceptions import Forbidden, HTTPException

from nomination import db
from nomination.accounts import record_access_denied
from nomination.errors import OperationError, OutOfScope, PermissionDenied


def wants_json() -> bool:
    """Return whether the caller is the JSON API."""
    return request.blueprint == "api" or request.path.startswith("/api/")


def json_error(status: int, code: str, message: str, fields: dict | None = None, **extra: Any):
    """Return the API's error shape: {"error": {"code", "message", "fields"}}."""
    body: dict[str, Any] = {"code": code, "message": message, "fields": fields or {}}
    body.update(extra)
    return jsonify({"error": body}), status


_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "too_many_requests",
}


def render_error(exc: HTTPException) -> Any:
    """Answer an HTTP error as JSON for the API and as a page otherwise."""
    status = exc.code or 500
    if wants_json():
        response, status = json_error(
            status, _CODES.get(status, "error"), exc.description or exc.name
        )
    else:
        page = render_template("errors/error.html", status=status, message=exc.description)
        response = make_response(page, status)
    # The exception's own headers (a 405's Allow, a 401's WWW-Authenticate), not its body's type.
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response, status


class _Anonymous:
    id = None
    name = "anonymous"


def audit_denial(reason: str) -> None:
    """Record a refused authorisation in a transaction of its own (the request's is dropped)."""
    db.session.rollback()
    actor = current_user._get_current_object() if current_user.is_authenticated else _Anonymous()
    record_access_denied(db.session, actor, path=request.path, reason=reason)
    db.session.commit()


def _forbidden(exc: Forbidden) -> Any:
    audit_denial(exc.description or "")
    return render_error(exc)


def _operation_error(exc: OperationError) -> Any:
    """Answer a refusal no view showed on its own page (the API answers its own: api/errors)."""
    db.session.rollback()
    if isinstance(exc, PermissionDenied | OutOfScope):
        audit_denial(exc.message)
    return render_template("errors/error.html", status=exc.status, message=exc.message), exc.status


def _internal_error(exc: Exception) -> Any:
    """Answer an unexpected failure: the API keeps its JSON shape; nothing is committed."""
    db.session.rollback()
    if wants_json():
        return json_error(500, "internal_error", "an unexpected error occurred; nothing was saved")
    return render_template("errors/error.html", status=500, message=None), 500


def register(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(500, _internal_error)
    app.register_error_handler(Forbidden, _forbidden)
    for status in (400, 401, 404, 405, 409, 413, 422, 429):
        app.register_error_handler(status, render_error)
    app.register_error_handler(OperationError, _operation_error)
