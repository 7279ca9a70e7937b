"""Error pages for people and JSON errors for the API, in one place."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Forbidden, HTTPException

from nomination import db
from nomination.accounts import record_access_denied
from nomination.errors import OperationError, OutOfScope, PermissionDenied
from nomination.i18n import pick, tr


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
        page = render_template("errors/error.html", status=status, message=_page_message(exc))
        response = make_response(page, status)
    # The exception's own headers (a 405's Allow, a 401's WWW-Authenticate), not its body's type.
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response, status


def _page_message(exc: HTTPException) -> str | None:
    """Return what a page says of ``exc``: the view's own words, else ours in the reader's language.

    Werkzeug's default descriptions are English sentences meant for developers.
    """
    if exc.description and exc.description != type(exc).description:
        return exc.description
    status = exc.code or 500
    if status == 413:
        megabytes = int(current_app.config["MAX_CONTENT_LENGTH"] or 0) // (1024 * 1024)
        return tr(
            f"提交的内容过大(每次最多 {megabytes} MB)。请压缩文件或分几次上传。",
            f"What you sent is too large (at most {megabytes} MB at a time). Compress the files "
            "or upload them a few at a time.",
        )
    messages = _DEFAULT_MESSAGES.get(status)
    return pick(messages) if messages else None


#: What an error page says when the view gave no reason of its own.
_DEFAULT_MESSAGES: dict[int, dict[str, str]] = {
    400: {
        "zh": "请求无法处理。请返回上一页重试。",
        "en": "The request could not be handled. Go back and try again.",
    },
    401: {"zh": "请先登录。", "en": "Please log in first."},
    403: {"zh": "您无权进行此操作。", "en": "You may not do this."},
    404: {
        "zh": "找不到这个页面。请检查网址,或从导航重新进入。",
        "en": "This page was not found. Check the address, or start again from the navigation.",
    },
    405: {
        "zh": "此网址不支持这种请求。请从页面上的按钮或链接进入。",
        "en": "This address does not take this kind of request. Use the page's buttons or links.",
    },
    409: {
        "zh": "内容已被他人修改。请刷新页面后再试。",
        "en": "Someone else changed this meanwhile. Reload the page and try again.",
    },
    422: {"zh": "提交的内容有误。", "en": "What you sent is not valid."},
    429: {"zh": "请求过于频繁,请稍后再试。", "en": "Too many requests; try again later."},
}

#: Posted fields never shown back: the token, and what the page itself put in hidden inputs.
_NOT_SHOWN = ("csrf_token", "version", "trigger", "sheet_sha256", "continue")


def _csrf_error(exc: CSRFError) -> Any:
    """Answer a form whose CSRF check failed: what was typed is shown back, with what to do.

    It happens when the login changed in another tab (logged out, or in again) while a long
    form was being filled in. The fields are shown to copy, not as a form to send again: a
    forged request would otherwise be one click from going through. Files must be chosen again.
    """
    db.session.rollback()
    if wants_json():
        return json_error(
            400,
            "bad_request",
            f"{exc.description} Send the X-CSRFToken header with the token of your session, "
            "or use a bearer token.",
        )
    # Never a password or code typed into the login pages: shown back, it could be read off
    # the screen or the browser's cache.
    secret = request.blueprint == "auth"
    typed = [
        (_field_label(name), value)
        for name, value in request.form.items(multi=True)
        if not secret and name not in _NOT_SHOWN and "password" not in name and value.strip()
    ]
    back = request.referrer if _same_site(request.referrer) else None
    page = render_template(
        "errors/csrf.html",
        status=400,
        typed=typed,
        files=any(f.filename for f in request.files.values()),
        back=back,
    )
    return page, 400


def _same_site(url: str | None) -> bool:
    return bool(url) and str(url).startswith(request.host_url)


def _field_label(name: str) -> str:
    """Return the label a form definition gives the posted field ``name``, else the name."""
    from nomination.engine import current_definitions

    base = name.split("-", 1)[0]
    for workflow in current_definitions().values():
        for form in (workflow.nominee_form, *workflow.forms.values()):
            for field in form.fields:
                if field.name == base:
                    return pick(field.label) if base == name else f"{pick(field.label)} ({name})"
    return name


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
    app.register_error_handler(CSRFError, _csrf_error)
    for status in (400, 401, 404, 405, 409, 413, 422, 429):
        app.register_error_handler(status, render_error)
    app.register_error_handler(OperationError, _operation_error)
