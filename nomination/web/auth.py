"""Logging in and out, changing one's password, choosing the language."""

from __future__ import annotations

import hashlib
import hmac
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
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from markupsafe import Markup
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from nomination import db
from nomination.accounts import (
    change_password,
    login_key,
    password_matches,
    record_failed_login,
    record_login,
    record_logout,
)
from nomination.administration.people import set_password_from_link, user_for_link
from nomination.administration.security import (
    check_second_factor,
    confirm_enrolment,
    qr_svg,
    requires_second_factor,
    start_enrolment,
)
from nomination.db import utcnow
from nomination.errors import Conflict, InvalidData
from nomination.i18n import pick
from nomination.models import AuditEvent, User
from nomination.web import kept_forms
from nomination.web.forms import CodeForm, LinkPasswordForm, LoginForm, PasswordForm, add_error
from nomination.web.outcomes import operation_errors
from nomination.web.setup import signed_in_user

bp = Blueprint("auth", __name__)

#: In the session while a login still owes its second factor: "code", or "enrol" when a
#: role requires one and the user has none yet.
SECOND_FACTOR_KEY = "second_factor"


def _failures(**match: str | None) -> int:
    """Count failed logins within the configured window that match one column."""
    since = utcnow() - timedelta(seconds=int(current_app.config["LOGIN_WINDOW_SECONDS"]))
    ((column, value),) = match.items()
    return db.session.execute(
        select(func.count(AuditEvent.seq)).where(
            AuditEvent.action == "auth.login_failed",
            AuditEvent.occurred_at >= since,
            getattr(AuditEvent, column) == value,
        )
    ).scalar_one()


def login_throttled(username: str, address: str | None) -> bool:
    """Return whether logins for this name, or from this address, are refused for now.

    Per name, so that one account's password cannot be guessed; per address, so that one
    client cannot try a common password against every account.
    """
    cfg = current_app.config
    if _failures(entity_id=login_key(db.session, username)) >= int(cfg["LOGIN_MAX_FAILURES"]):
        return True
    return address is not None and _failures(comment=client_key(address)) >= int(
        cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    )


def client_key(address: str | None) -> str | None:
    """Return the pseudonym under which failed logins from ``address`` are counted.

    Keyed with the secret key, so that the audit trail holds no address in clear and the
    pseudonym cannot be reversed by trying every address.
    """
    if address is None:
        return None
    secret = current_app.config["SECRET_KEY"]
    key = secret.encode() if isinstance(secret, str) else secret
    return "client:" + hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:24]


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
        username = (form.username.data or "").strip()
        if login_throttled(username, request.remote_addr):
            minutes = -(-int(current_app.config["LOGIN_WINDOW_SECONDS"]) // 60)
            abort(
                429,
                pick(
                    {
                        "zh": f"登录失败次数过多,请 {minutes} 分钟后再试",
                        "en": f"Too many failed logins; try again in {minutes} minutes",
                    }
                ),
            )
        user = db.session.scalar(select(User).where(User.username == username))
        # The password is checked first, whether or not the name is a user's (same cost).
        if password_matches(user, form.password.data or "") and user is not None:
            # A fresh session at login: nothing an earlier visitor left in it carries over.
            lang = session.get("lang")
            carried = kept_forms.carried_over()
            session.clear()
            if lang:
                session["lang"] = lang
            # A form kept when this browser's login expired; it goes to its own user only.
            session.update(carried)
            login_user(user)
            session[kept_forms.USER_KEY] = user.id
            record_login(db.session, user, address=request.remote_addr)
            # Until the second factor is given (or enrolled, where a role requires it) the
            # session reaches nothing else: see ``login_steps`` in web/setup.py.
            if requires_second_factor(db.session, user):
                session[SECOND_FACTOR_KEY] = "code" if user.totp_confirmed_at else "enrol"
            return redirect(_safe_next(request.args.get("next")))
        record_failed_login(
            db.session,
            username,
            address=request.remote_addr,
            client=client_key(request.remote_addr),
        )
        add_error(
            form.password, pick({"zh": "用户名或密码错误", "en": "Wrong user name or password"})
        )
    return render_template(
        "auth/login.html",
        form=form,
        not_set_up=not current_app.extensions.get("nomination.set_up"),
    )


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    """Log out everywhere: the session token rotates, so copied cookies stop working."""
    record_logout(db.session, signed_in_user())
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password() -> str | Response:
    """Change one's own password."""
    form = PasswordForm()
    if form.validate_on_submit():
        user = signed_in_user()
        current, new = form.current.data or "", form.new.data or ""
        if not user.check_password(current):
            add_error(form.current, pick({"zh": "当前密码错误", "en": "Wrong current password"}))
        elif new == current:
            add_error(
                form.new, pick({"zh": "新密码不能与当前密码相同", "en": "Choose a new password"})
            )
        else:
            change_password(user, actor=user, password=new)
            # Stay logged in here with the new token; every other session has ended.
            login_user(user)
            flash(pick({"zh": "密码已修改", "en": "Password changed"}), "success")
            return redirect(url_for("nominations.dashboard"))
    return render_template(
        "auth/password.html", form=form, temporary=current_user.must_change_password
    )


@bp.route("/password/link/<token>", methods=["GET", "POST"])
def password_link(token: str) -> ResponseReturnValue:
    """Set a password with the one-time link an administrator handed over."""
    form = LinkPasswordForm()
    with operation_errors(catch=(Conflict,)) as outcome:
        user = user_for_link(db.session, token)
    if outcome.refused:  # the link is not (or no longer) valid
        return render_template("auth/password_link.html", form=None, problem=outcome.message), 410
    if form.validate_on_submit():
        set_password_from_link(db.session, token, form.new.data)
        flash(
            pick({"zh": "密码已设置,请登录", "en": "Your password is set; log in with it"}),
            "success",
        )
        if current_user.is_authenticated:
            logout_user()
        return redirect(url_for("auth.login"))
    return render_template("auth/password_link.html", form=form, user=user, problem=None)


@bp.route("/login/code", methods=["GET", "POST"])
@login_required
def second_factor() -> str | Response:
    """Ask for the code of the authenticator app (or a recovery code) after the password."""
    if session.get(SECOND_FACTOR_KEY) != "code":
        return redirect(url_for("nominations.dashboard"))
    form = CodeForm()
    user = signed_in_user()
    if form.validate_on_submit():
        # Wrong codes count as failed logins: the same limits stop guessing the six digits.
        if login_throttled(user.username, request.remote_addr):
            minutes = -(-int(current_app.config["LOGIN_WINDOW_SECONDS"]) // 60)
            abort(
                429,
                pick(
                    {
                        "zh": f"验证失败次数过多,请 {minutes} 分钟后再试",
                        "en": f"Too many wrong codes; try again in {minutes} minutes",
                    }
                ),
            )
        with operation_errors(form, catch=(InvalidData,)) as outcome:
            how = check_second_factor(user, form.code.data or "")
        if outcome.refused:
            record_failed_login(
                db.session,
                user.username,
                address=request.remote_addr,
                client=client_key(request.remote_addr),
            )
        else:
            session.pop(SECOND_FACTOR_KEY, None)
            if how == "recovery":
                flash(
                    pick(
                        {
                            "zh": "已使用一个恢复码;它不能再次使用",
                            "en": "A recovery code was used; it cannot be used again",
                        }
                    ),
                    "warning",
                )
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/second_factor.html", form=form)


@bp.route("/account/second-factor", methods=["GET", "POST"])
@login_required
def enrol() -> str | Response:
    """Enrol an authenticator app: scan the QR code, confirm with a first code."""
    user = signed_in_user()
    if user.totp_confirmed_at is not None and session.get(SECOND_FACTOR_KEY) != "enrol":
        return render_template("auth/enrol.html", enrolled=True, form=None, codes=None)
    form = CodeForm()
    # No recovery code exists before the enrolment: only the app's code is asked for.
    form.code.description = pick(
        {"zh": "身份验证器应用显示的 6 位数字", "en": "The 6 digits your authenticator app shows"}
    )
    uri = start_enrolment(user)
    if form.validate_on_submit():
        with operation_errors(form, catch=(InvalidData,)) as outcome:
            codes = confirm_enrolment(user, form.code.data or "")
        if not outcome.refused:  # refused: the message is beside the code
            session.pop(SECOND_FACTOR_KEY, None)
            return render_template("auth/enrol.html", enrolled=True, form=None, codes=codes)
    return render_template(
        "auth/enrol.html",
        enrolled=False,
        form=form,
        codes=None,
        qr=Markup(qr_svg(uri)),
        secret=user.totp_secret,
        required=session.get(SECOND_FACTOR_KEY) == "enrol",
    )


@bp.route("/language/<lang>")
def language(lang: str) -> Response:
    """Switch the interface language."""
    if lang in ("zh", "en"):
        session["lang"] = lang
    back = request.args.get("next") or (request.referrer and urlsplit(request.referrer).path)
    return redirect(_safe_next(back))
