"""Fixed web forms (login, password); nominee and transition forms come from definitions."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import request
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Field,
    Form,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    validators,
)
from wtforms.widgets import HiddenInput

from nomination.definitions.forms import NotInFuture
from nomination.i18n import lazy

T = TypeVar("T")


class LoginForm(FlaskForm):
    """User name and password."""

    username = StringField(
        lazy({"zh": "用户名", "en": "User name"}),
        validators=[validators.InputRequired(), validators.Length(max=64)],
    )
    password = PasswordField(
        lazy({"zh": "密码", "en": "Password"}), validators=[validators.InputRequired()]
    )


def _new_password() -> Any:
    return PasswordField(
        lazy({"zh": "新密码", "en": "New password"}),
        validators=[validators.InputRequired(), validators.Length(min=10, max=200)],
    )


def _confirm_password() -> Any:
    return PasswordField(
        lazy({"zh": "确认新密码", "en": "Confirm new password"}),
        validators=[
            validators.InputRequired(),
            validators.EqualTo(
                "new", message=lazy({"zh": "两次输入不一致", "en": "Does not match"})
            ),
        ],
    )


class PasswordForm(FlaskForm):
    """Change one's own password."""

    current = PasswordField(
        lazy({"zh": "当前密码", "en": "Current password"}), validators=[validators.InputRequired()]
    )
    new = _new_password()
    confirm = _confirm_password()


class VersionedForm(FlaskForm):
    """Base of compiled forms that change a nomination: carries the version the user saw."""

    version = IntegerField(widget=HiddenInput(), validators=[validators.InputRequired()])


class EditForm(VersionedForm):
    """The nominee form being edited: also carries the stored data it was filled from.

    After a conflict only the fields this user changed keep their value; the others take the
    value saved meanwhile, so submitting again never undoes a colleague's change.
    """

    base = StringField(widget=HiddenInput())


class NewNominationForm(FlaskForm):
    """Base of the compiled nominee form for a new nomination: the nominating unit comes first."""

    unit_id = SelectField(
        lazy({"zh": "推荐单位", "en": "Nominating unit"}),
        coerce=int,
        validators=[validators.InputRequired()],
    )


class BulkTransitionForm(FlaskForm):
    """One transition for the nominations ticked in the queue, with one opinion or reason.

    ``items`` are "id:version" (the version each row showed); ``trigger`` choices are set by
    the view from the queue. Each nomination is still checked when it is fired.
    """

    trigger = SelectField(
        lazy({"zh": "操作", "en": "Action"}),
        validators=[validators.InputRequired()],
        # The choices are the queue's as the page showed it; the engine decides per item.
        validate_choice=False,
    )
    text = TextAreaField(
        lazy({"zh": "意见或理由", "en": "Opinion or reason"}),
        validators=[validators.Optional(), validators.Length(max=1000)],
    )
    items = SelectMultipleField(
        validators=[
            validators.InputRequired(
                message=lazy({"zh": "请至少勾选一条推荐", "en": "Tick at least one nomination"})
            )
        ],
        validate_choice=False,
    )
    #: One decision (表彰决定) covers the whole batch: its number and date, given once.
    decision_number = StringField(
        lazy({"zh": "决定文号", "en": "Decision number"}),
        validators=[validators.Optional(), validators.Length(max=64)],
    )
    decision_date = DateField(
        lazy({"zh": "决定日期", "en": "Decision date"}),
        validators=[validators.Optional(), NotInFuture()],
    )


class ObjectionLookupForm(FlaskForm):
    """The reference number an objector was given."""

    reference = StringField(
        lazy({"zh": "异议受理编号", "en": "Objection reference"}),
        validators=[validators.InputRequired(), validators.Length(max=32)],
        filters=[lambda value: value.strip().upper() if value else value],
    )


class LinkPasswordForm(FlaskForm):
    """Set a password through a one-time link."""

    new = _new_password()
    confirm = _confirm_password()


class CodeForm(FlaskForm):
    """A code of the authenticator app, or a recovery code."""

    code = StringField(
        lazy({"zh": "验证码", "en": "Code"}),
        description=lazy(
            {
                "zh": "身份验证器应用显示的 6 位数字,或一个恢复码",
                "en": "The 6 digits your authenticator app shows, or a recovery code",
            }
        ),
        validators=[validators.InputRequired(), validators.Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


def validated(value: T | None) -> T:
    """Return the value of a required field of a form that validated: it is never None then."""
    if value is None:
        raise ValueError("a required field is empty: validate the form first")
    return value


def add_error(field: Field, message: str) -> None:
    """Put ``message`` beside ``field``, after the errors it has already."""
    field.errors = [*field.errors, message]


def attach_errors(form: Form, fields: dict[str, list[str]]) -> list[str]:
    """Put an operation's field errors next to the form's fields; return those it has not."""
    rest: list[str] = []
    for name, messages in fields.items():
        if name in form:
            form[name].errors = [*form[name].errors, *messages]
        else:
            rest.extend(f"{name}: {m}" for m in messages)
    return rest


def with_version(form: VersionedForm, version: int) -> VersionedForm:
    """Return a copy of a submitted ``form`` whose hidden version is ``version``.

    Used after a conflict: the user has now seen the current nomination, so submitting again
    is a deliberate decision on it, and everything typed is kept.
    """
    formdata = request.form.copy()
    formdata["version"] = str(version)
    return type(form)(formdata=formdata)
