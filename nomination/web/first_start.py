"""The first start in the browser: a fresh instance's one-time set-up page.

URL table:

    /setup?token=T     the set-up form, while the instance has no users; the token is the one
                       ``nomination serve`` prints. Gone (404) once the instance is set up.
"""

from __future__ import annotations

import hmac
from typing import TypedDict

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_user
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    StringField,
    validators,
)

from nomination import db
from nomination.administration.first_start import (
    apply_settings,
    is_set_up,
    set_up_errors,
    set_up_instance,
    setup_token,
)
from nomination.errors import Conflict
from nomination.i18n import lazy
from nomination.web.forms import attach_errors
from nomination.web.outcomes import operation_errors
from nomination.web.setup import tr

bp = Blueprint("first_start", __name__)


class SetUpForm(FlaskForm):
    """The federation, its first administrator, and the instance's clock."""

    federation_name = StringField(
        lazy({"zh": "总工会名称", "en": "Federation's name"}),
        description=lazy({"zh": "例如:北京市朝阳区总工会", "en": "e.g. 北京市朝阳区总工会"}),
        validators=[validators.Length(max=200)],
    )
    federation_name_en = StringField(
        lazy({"zh": "英文名称(可选)", "en": "Name in English (optional)"}),
        validators=[validators.Length(max=200)],
    )
    federation_code = StringField(
        lazy({"zh": "总工会代码", "en": "Federation's code"}),
        description=lazy(
            {"zh": "字母、数字或 - _ .,例如 CY-ZGH", "en": "Letters, digits or - _ ., e.g. CY-ZGH"}
        ),
        validators=[validators.Length(max=32)],
    )
    username = StringField(
        lazy({"zh": "管理员用户名", "en": "Administrator's user name"}),
        validators=[validators.Length(max=64)],
    )
    display_name = StringField(
        lazy({"zh": "管理员姓名", "en": "Administrator's name"}),
        validators=[validators.Length(max=100)],
    )
    email = EmailField(
        lazy({"zh": "电子邮箱(可选)", "en": "E-mail (optional)"}),
        validators=[validators.Optional(), validators.Email(), validators.Length(max=200)],
    )
    password = PasswordField(
        lazy({"zh": "密码", "en": "Password"}),
        description=lazy({"zh": "至少 10 个字符", "en": "At least 10 characters"}),
    )
    confirm = PasswordField(
        lazy({"zh": "确认密码", "en": "Confirm the password"}),
        validators=[
            validators.EqualTo(
                "password", message=lazy({"zh": "两次输入不一致", "en": "Does not match"})
            )
        ],
    )
    timezone = StringField(
        lazy({"zh": "时区", "en": "Time zone"}),
        default="Asia/Shanghai",
        validators=[validators.InputRequired(), validators.Length(max=64)],
    )
    closing_hour = IntegerField(
        lazy({"zh": "每日截止时刻(点)", "en": "Daily closing hour"}),
        description=lazy(
            {
                "zh": "公示期和各项期限在最后一个工作日的这一时刻结束",
                "en": "Notice periods and deadlines end at this hour of their last working day",
            }
        ),
        default=17,
        # The range is the operation's check, said once beside the field.
        validators=[validators.Optional()],
    )
    token = HiddenField()


def _token_ok(token: str | None) -> bool:
    if not token:
        return False
    return hmac.compare_digest(token, setup_token(current_app.config["SECRET_KEY"]))


class _Details(TypedDict):
    """What the set-up form gives the first start's operation."""

    federation_code: str
    federation_name: str
    federation_name_en: str | None
    username: str
    display_name: str
    email: str | None
    password: str
    timezone: str
    closing_hour: int


@bp.route("/setup", methods=["GET", "POST"])
def set_up() -> ResponseReturnValue:
    """Set the fresh instance up, once; then log its administrator in."""
    if is_set_up(db.session):
        abort(404)
    form = SetUpForm()
    token = request.values.get("token") or form.token.data
    if not _token_ok(token):
        abort(
            403,
            tr(
                "请打开 nomination serve 输出的设置地址,或在服务器上运行 nomination init。",
                "Open the set-up address `nomination serve` printed, or run `nomination init` "
                "on the server.",
            ),
        )
    form.token.data = token
    if request.method == "GET":
        return render_template("first_start/set_up.html", form=form)
    details: _Details = {
        "federation_code": form.federation_code.data or "",
        "federation_name": form.federation_name.data or "",
        "federation_name_en": form.federation_name_en.data,
        "username": form.username.data or "",
        "display_name": form.display_name.data or "",
        "email": form.email.data,
        "password": form.password.data or "",
        "timezone": form.timezone.data or "",
        "closing_hour": form.closing_hour.data if form.closing_hour.data is not None else -1,
    }
    # The form's rules and the operation's, checked together before anything is written.
    form.validate()
    # A field the form refused already (not a number) is not told off twice.
    checked = {k: v for k, v in set_up_errors(**details).items() if not form[k].errors}
    alerts = attach_errors(form, checked)
    if form.errors:
        return render_template("first_start/set_up.html", form=form, alerts=alerts), 422
    with operation_errors(catch=(Conflict,)) as outcome:
        admin = set_up_instance(db.session, **details)
    if outcome.refused:
        # Someone set it up a moment ago: the set-up is gone.
        abort(404)
    apply_settings(current_app, db.session)
    login_user(admin)
    flash(
        tr("初始设置完成,欢迎使用。", "The instance is set up. Welcome."),
        "success",
    )
    return redirect(url_for("nominations.dashboard"))
