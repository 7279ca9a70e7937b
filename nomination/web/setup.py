"""Wire extensions, blueprints and the request boundary (one commit per request) into the app."""

from __future__ import annotations

import hmac
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, Response, g, request, session
from flask_babel import format_datetime
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from nomination import db
from nomination.db import utcnow
from nomination.extensions import babel, bootstrap, csrf, login_manager
from nomination.i18n import current_language, pick
from nomination.models import ApiToken, User
from nomination.operations import hash_token, record_access_denied


def _select_locale() -> str:
    lang = request.args.get("lang") or session.get("lang")
    if lang in ("zh", "en"):
        return lang
    return request.accept_languages.best_match(["zh", "en"]) or "zh"


@login_manager.user_loader
def _load_user(token: str) -> User | None:
    # The cookie holds the session token, not the id: rotating it ends copied sessions.
    return db.session.scalar(select(User).where(User.session_token == token, User.active))


@login_manager.request_loader
def _load_user_from_bearer(req: Any) -> User | None:
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    token = header.removeprefix("Bearer ").strip()
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    # Compare again in constant time; the lookup above is by hash, so this is belt and braces.
    if not hmac.compare_digest(row.token_hash, hash_token(token)):
        return None
    g.bearer_token = True
    row.last_used_at = utcnow()
    return row.user


def _check_csrf() -> None:
    """Check CSRF on unsafe requests, except API calls that carry no session cookie."""
    if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
        return
    if request.blueprint == "api" and (
        request.headers.get("Authorization", "").startswith("Bearer ") or "_user_id" not in session
    ):
        return
    csrf.protect()


def _commit_or_rollback(response: Response) -> Response:
    # One commit per request: everything the operations did, or nothing.
    if response.status_code < 400:
        db.session.commit()
    else:
        db.session.rollback()
    return response


def _remove_session(_exc: BaseException | None) -> None:
    db.session.remove()


class _Anonymous:
    id = None
    name = "anonymous"


def _forbidden(exc: Forbidden) -> Any:
    """Audit the refusal (in its own transaction: the request's is rolled back) and answer."""
    from nomination.web.errors import render_error

    db.session.rollback()
    actor = current_user if current_user.is_authenticated else _Anonymous()
    record_access_denied(db.session, actor, path=request.path, reason=exc.description or "")
    db.session.commit()
    return render_error(exc)


def _local_time(value: Any, fmt: str = "medium") -> str:
    """Format a UTC timestamp in the configured time zone."""
    if value is None:
        return ""
    return format_datetime(value.astimezone(UTC), fmt)


def init_app(app: Flask) -> None:
    """Initialise extensions and register blueprints and hooks."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, default_timezone=app.config["TIMEZONE"])
    bootstrap.init_app(app)

    app.before_request(_check_csrf)
    app.after_request(_commit_or_rollback)
    app.teardown_appcontext(_remove_session)
    app.register_error_handler(Forbidden, _forbidden)

    app.jinja_env.globals.update(pick=pick, current_language=current_language)
    app.jinja_env.filters["localtime"] = _local_time
    app.config.setdefault("TZ", ZoneInfo(app.config["TIMEZONE"]))

    from nomination.api.views import bp as api_bp
    from nomination.web.auth import bp as auth_bp
    from nomination.web.errors import register as register_errors
    from nomination.web.nominations import bp as nominations_bp
    from nomination.web.public import bp as public_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(nominations_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(api_bp)
    register_errors(app)

    from nomination.cli import register_commands

    register_commands(app)
