"""Wire extensions, blueprints and the request boundary (one commit per request) into the app."""

from __future__ import annotations

from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime
from flask_login import current_user
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from nomination import db
from nomination.accounts import hash_token
from nomination.calendar.presenters import provisional_note
from nomination.extensions import babel, bootstrap, csrf, login_manager
from nomination.i18n import current_language, pick, tr
from nomination.labels import role_label
from nomination.models import ApiToken, User
from nomination.permissions import can_administer, can_audit, can_view_archive


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
    # Looked up by the token's hash, so no timing of the comparison reveals the token.
    g.bearer_token = True
    return row.user


def signed_in_user() -> User:
    """Return the user the request is made by, as a ``User`` (behind ``login_required``)."""
    user: User = current_user._get_current_object()
    return user


@login_manager.unauthorized_handler
def _login_needed() -> ResponseReturnValue:
    """Send the browser to log in; a form posted meanwhile is kept and given back after."""
    from nomination.web.kept_forms import keep_posted_form

    if keep_posted_form():
        flash(
            tr(
                "登录已过期。您填写的内容已保存,重新登录后将自动恢复,请核对后再提交。",
                "Your login had expired. What you typed is kept and will be given back after "
                "you log in; check it and submit again.",
            ),
            "warning",
        )
    else:
        flash(tr("请先登录", "Please log in"), "info")
    target = request.full_path if request.query_string else request.path
    if request.method != "GET" and request.endpoint == "nominations.edit":
        target = request.path
    return redirect(url_for("auth.login", next=target))


def _refuse_nul() -> ResponseReturnValue | None:
    """Refuse a URL or form holding a NUL character: PostgreSQL stores none in text (a 500)."""
    named = [
        *((name, value) for name, value in (request.view_args or {}).items()),
        *request.args.items(multi=True),
        *(request.form.items(multi=True) if request.mimetype != "application/json" else ()),
    ]
    bad = sorted({name for name, value in named if isinstance(value, str) and "\x00" in value})
    if not bad:
        return None
    message = tr("不能包含 NUL 字符", "Must not contain a NUL character")
    if request.path.startswith("/api/"):
        from nomination.web.errors import json_error

        return json_error(422, "invalid", "text must not contain NUL", {n: [message] for n in bad})
    abort(400, message)


def _check_csrf() -> None:
    """Check CSRF on unsafe requests, except API calls that carry no session cookie."""
    if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
        return
    # No route matched (404, or 405 naming the methods that would): nothing will run to
    # protect, and the caller should learn that, not that a CSRF token is missing.
    if request.routing_exception is not None:
        return
    # Calling protect() directly skips Flask-WTF's own switch; honour it here (tests turn it off).
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    # For the API, loading the user decides how the caller authenticated: the session cookie
    # first, else a valid bearer token. Only a cookie is an ambient credential a forged request
    # could ride on; a token must be sent deliberately, and the anonymous have neither.
    if request.blueprint == "api" and (not current_user.is_authenticated or g.get("bearer_token")):
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


def _local_time(value: Any, fmt: str = "medium") -> str:
    """Format a UTC timestamp in the configured time zone."""
    if value is None:
        return ""
    return format_datetime(value.astimezone(UTC), fmt)


def org_name(org: Any) -> str:
    """Return an organisation's name in the current language."""
    if org is None:
        return ""
    return pick({"zh": org.name, "en": org.name_en or org.name})


def with_code(org: Any, kind: str = "") -> str:
    """Return an organisation's name with its code (and kind), as choices list it."""
    inside = f"{kind} {org.code}" if kind else org.code
    return tr(f"{org.name}({inside})", f"{org.name_en or org.name} ({inside})")


def award_title(campaign: Any, kind: str) -> str:
    """Return the title of the award ``kind`` offered by ``campaign`` in the current language."""
    award = campaign.award(kind)
    if award is None:
        return kind
    return pick({"zh": award.title, "en": award.title_en or award.title})


def campaign_name(campaign: Any) -> str:
    """Return a campaign's name in the current language."""
    return pick({"zh": campaign.name, "en": campaign.name_en or campaign.name})


def _navigation() -> dict[str, Any]:
    """Give every page the links its user's roles allow (decided by the permission predicates)."""
    user = current_user
    signed_in = bool(user and user.is_authenticated)
    return {
        # A login that still owes a step (second factor, own password) is offered no work.
        "nav_held": signed_in and bool(session.get("second_factor") or user.must_change_password),
        "nav_can_audit": signed_in and can_audit(user),
        "nav_can_archive": signed_in and can_view_archive(user),
        "nav_can_administer": signed_in and can_administer(user),
    }


def _follow_first_start() -> None:
    # Until the instance is set up (perhaps in another worker), look again at each request.
    if not current_app.extensions.get("nomination.set_up"):
        from nomination.administration.first_start import apply_settings

        apply_settings(current_app, db.session)


#: What a login that still owes a step (second factor, password change) may reach.
_STEP_ENDPOINTS = frozenset(
    {
        "auth.logout",
        "auth.language",
        "auth.second_factor",
        "auth.enrol",
        "auth.password",
        "auth.password_link",
        "static",
        "bootstrap.static",
    }
)


def _login_steps() -> ResponseReturnValue | None:
    """Hold a cookie session at its second factor, then at a temporary password's change.

    A bearer token is a credential of its own and is not held: it is revoked whenever an
    administrator hands over a new password.
    """
    if not current_user.is_authenticated or g.get("bearer_token"):
        return None
    if request.endpoint in _STEP_ENDPOINTS:
        return None
    step = session.get("second_factor")
    if step:
        target, message = (
            ("auth.second_factor", tr("请输入动态验证码", "Enter your code"))
            if step == "code"
            else (
                "auth.enrol",
                tr(
                    "您的角色须使用动态验证码登录,请先绑定身份验证器",
                    "Your role requires a second factor: enrol an authenticator app first",
                ),
            )
        )
    elif current_user.must_change_password:
        target, message = (
            "auth.password",
            tr(
                "这是临时密码,请先设置您自己的密码",
                "This is a temporary password: set your own first",
            ),
        )
    else:
        return None
    if request.blueprint == "api":
        from nomination.web.errors import json_error

        return json_error(403, "login_step_required", message)
    flash(message, "warning")
    return redirect(url_for(target, next=request.full_path if request.method == "GET" else None))


class BoundedInt(IntegerConverter):
    """Flask's ``int`` converter, bounded by the largest id the databases store."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", db.DB_INT_MAX)
        super().__init__(url_map, *args, **kwargs)


def _favicon() -> ResponseReturnValue:
    """Send a browser asking for the icon to the one the pages name."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


def init_app(app: Flask) -> None:
    """Initialise extensions and hooks, before the blueprints' routes are bound."""
    # An id past the databases' integers matches no route (404), rather than reaching a query
    # the database refuses (500).
    app.url_map.converters["int"] = BoundedInt
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    # The time zone follows the configuration, which the first start may set after start-up.
    babel.init_app(
        app,
        locale_selector=_select_locale,
        timezone_selector=lambda: current_app.config["TIMEZONE"],
        default_timezone=app.config["TIMEZONE"],
    )
    bootstrap.init_app(app)

    # Browsers ask for /favicon.ico on pages that name no icon (the printed forms).
    app.add_url_rule("/favicon.ico", "favicon", _favicon)
    app.before_request(_refuse_nul)
    app.before_request(_follow_first_start)
    app.before_request(_check_csrf)
    app.before_request(_login_steps)
    app.after_request(_commit_or_rollback)
    app.teardown_appcontext(_remove_session)

    app.jinja_env.globals.update(pick=pick, current_language=current_language)
    app.jinja_env.globals.update(provisional_note=provisional_note)
    app.jinja_env.globals.update(
        tr=tr,
        role_label=role_label,
        org_name=org_name,
        award_title=award_title,
        campaign_name=campaign_name,
    )
    app.context_processor(_navigation)
    app.jinja_env.filters["localtime"] = _local_time
    app.config.setdefault("TZ", ZoneInfo(app.config["TIMEZONE"]))
