"""Fixed web forms (login, password); nominee and transition forms come from definitions."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, validators

from nomination.i18n import lazy


class LoginForm(FlaskForm):
    """User name and password."""

    username = StringField(
        lazy({"zh": "用户名", "en": "User name"}),
        validators=[validators.InputRequired(), validators.Length(max=64)],
    )
    password = PasswordField(
        lazy({"zh": "密码", "en": "Password"}), validators=[validators.InputRequired()]
    )


class PasswordForm(FlaskForm):
    """Change one's own password."""

    current = PasswordField(
        lazy({"zh": "当前密码", "en": "Current password"}), validators=[validators.InputRequired()]
    )
    new = PasswordField(
        lazy({"zh": "新密码", "en": "New password"}),
        validators=[validators.InputRequired(), validators.Length(min=10, max=200)],
    )
    confirm = PasswordField(
        lazy({"zh": "确认新密码", "en": "Confirm new password"}),
        validators=[
            validators.InputRequired(),
            validators.EqualTo(
                "new", message=lazy({"zh": "两次输入不一致", "en": "Does not match"})
            ),
        ],
    )
