"""Logging in and out, changing one's password, choosing the language."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from nomination import db
from nomination.db import utcnow
from nomination.i18n import pick
from nomination.models import AuditEvent, User
from nomination.operations import change_password, record_failed_login, record_login, record_logout
from nomination.web.forms import LoginForm, PasswordForm

bp = Blueprint("auth", __name__)


def recent_failures(username: str) -> int:
    """Count failed logins for ``username`` within the configured window."""
    since = utcnow() - timedelta(seconds=int(current_app.config["LOGIN_WINDOW_SECONDS"]))
    return db.session.scalar(
        select(func.count(AuditEvent.seq)).where(
            AuditEvent.action == "auth.login_failed",
            AuditEvent.occurred_at >= since,
            AuditEvent.entity_id == username[:64],
        )
    )


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: never redirect to another host after login.
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.netloc and not parts.scheme:
            return target
    return url_for("nominations.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    """Show the login form and log in."""
    if current_user.is_authenticated:
        return redirect(url_for("nominations.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        if recent_failures(username) >= int(current_app.config["LOGIN_MAX_FAILURES"]):
            abort(
                429,
                pick(
                    {
                        "zh": "登录失败次数过多,请 15 分钟后再试",
                        "en": "Too many failed logins; try again in 15 minutes",
                    }
                ),
            )
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None and user.active and user.check_password(form.password.data):
            login_user(user)
            record_login(db.session, user, address=request.remote_addr)
            return redirect(_safe_next(request.args.get("next")))
        record_failed_login(db.session, username, address=request.remote_addr)
        form.password.errors.append(
            pick({"zh": "用户名或密码错误", "en": "Wrong user name or password"})
        )
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    """Log out everywhere: the session token rotates, so copied cookies stop working."""
    record_logout(db.session, current_user._get_current_object())
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password() -> str | Response:
    """Change one's own password."""
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not user.check_password(form.current.data):
            form.current.errors.append(pick({"zh": "当前密码错误", "en": "Wrong current password"}))
        else:
            change_password(user, actor=user, password=form.new.data)
            # Stay logged in here with the new token; every other session has ended.
            login_user(user)
            flash(pick({"zh": "密码已修改", "en": "Password changed"}), "success")
            return redirect(url_for("nominations.dashboard"))
    return render_template("auth/password.html", form=form)


@bp.route("/language/<lang>")
def language(lang: str) -> Response:
    """Switch the interface language."""
    if lang in ("zh", "en"):
        session["lang"] = lang
    back = request.args.get("next") or (request.referrer and urlsplit(request.referrer).path)
    return redirect(_safe_next(back))
