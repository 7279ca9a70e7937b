"""Administration of users: accounts, roles with their scope, passwords handed over, tokens.

URL table (administrators only):

    /admin/users/                         the accounts, filtered by name or role
    /admin/users/new                      create an account with a temporary password
    /admin/users/<id>                     its details and roles; change them
    /admin/users/<id>/password            a new temporary password, or a one-time link (POST)
    /admin/users/<id>/active              deactivate or reactivate (POST)
    /admin/users/<id>/tokens/<token_id>   revoke one API token (POST)
    /admin/security                       the roles that must log in with a second factor
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    validators,
    widgets,
)

# types-WTForms 3.2 lacks SelectChoice, which WTForms 3.3 has: the stub is behind the library.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]

from nomination import db
from nomination.administration.organisations import tree
from nomination.administration.people import (
    ROLE_SCOPES,
    create_user,
    fingerprint,
    issue_temporary_password,
    password_link_token,
    set_user_active,
    temporary_password,
    update_user,
    user_tokens,
)
from nomination.administration.people import (
    revoke_token as revoke_api_token,
)
from nomination.administration.security import (
    STRONG_ROLES,
    set_totp_roles,
    totp_roles,
)
from nomination.administration.security import remove_second_factor as remove_totp
from nomination.errors import Conflict, InvalidData
from nomination.i18n import lazy
from nomination.models import ApiToken, Organisation, RoleAssignment, User
from nomination.models.users import ROLES
from nomination.permissions import can_administer_org, can_administer_user
from nomination.web.admin_organisations import require_admin_page
from nomination.web.forms import add_error
from nomination.web.outcomes import Outcome, operation_errors
from nomination.web.setup import role_label, tr, with_code

bp = Blueprint("admin_people", __name__, url_prefix="/admin")

#: Empty role rows offered below the roles a user holds, to add more.
SPARE_ROLE_ROWS = 2


class RoleRow(Form):
    """One role held at one organisation."""

    role = SelectField(lazy({"zh": "角色", "en": "Role"}), choices=[], validate_choice=False)
    organisation = SelectField(
        lazy({"zh": "所在组织", "en": "At"}), choices=[], validate_choice=False
    )


class UserForm(FlaskForm):
    """An account's person and roles."""

    display_name = StringField(
        lazy({"zh": "姓名", "en": "Name"}), validators=[validators.Length(max=100)]
    )
    email = StringField(
        lazy({"zh": "电子邮件(可选)", "en": "E-mail (optional)"}),
        validators=[validators.Length(max=200)],
    )
    workplace = SelectField(
        lazy({"zh": "工作单位(评审回避用,可选)", "en": "Works at (for recusal; optional)"}),
        choices=[],
        validate_choice=False,
    )
    roles = FieldList(FormField(RoleRow), min_entries=1)
    expected = HiddenField()


class NewUserForm(UserForm):
    """A new account: also its login name."""

    username = StringField(
        lazy({"zh": "用户名", "en": "User name"}),
        description=lazy(
            {"zh": "2–64 个字母、数字或 - _ .", "en": "2–64 letters, digits or - _ ."}
        ),
        validators=[validators.Length(max=64)],
    )


class ReasonForm(FlaskForm):
    """An action that needs its reason."""

    reason = TextAreaField(
        lazy({"zh": "原因", "en": "Reason"}),
        validators=[validators.Length(max=1000)],
        render_kw={"rows": 2},
    )
    expected = HiddenField()


class SecurityForm(FlaskForm):
    """Which roles must log in with a second factor."""

    roles = SelectMultipleField(
        lazy({"zh": "须使用动态验证码登录的角色", "en": "Roles that must use a second factor"}),
        choices=[],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )


def _load_user(user_id: int) -> User:
    """Return a user of the administrator's federation; 404 alike whether absent or not his."""
    require_admin_page()
    user = db.session.get(User, user_id)
    if user is None or not can_administer_user(current_user, user):
        abort(404)
    return user


def _org_choices(root: Organisation) -> list[SelectChoice]:
    return [SelectChoice(str(o.id), with_code(o)) for o in tree(db.session, root) if o.active]


def _fill_choices(form: UserForm, root: Organisation) -> UserForm:
    orgs = _org_choices(root)
    form.workplace.choices = [SelectChoice("", tr("(不填)", "(none)")), *orgs]
    for row in form.roles:
        row.form.role.choices = [SelectChoice("", tr("(无)", "(none)"))] + [
            SelectChoice(r, role_label(r)) for r in ROLES
        ]
        row.form.organisation.choices = [SelectChoice("", "—"), *orgs]
    return form


def _roles_from(form: UserForm) -> list[tuple[str, Organisation]]:
    roles = []
    for row in form.roles:
        role, org_id = row.form.role.data, row.form.organisation.data
        if not role:
            # "(none)": the row is cleared, whatever organisation it still shows.
            continue
        org = db.session.get(Organisation, int(org_id)) if (org_id or "").isdigit() else None
        if org is None or not can_administer_org(current_user, org):
            add_error(
                form.roles,
                tr(f"请为角色「{role_label(role)}」选择组织", f"Choose where {role} is held"),
            )
            continue
        roles.append((role, org))
    return roles


def _workplace(form: UserForm) -> Organisation | None:
    value = form.workplace.data or ""
    org = db.session.get(Organisation, int(value)) if value.isdigit() else None
    return org if org is not None and can_administer_org(current_user, org) else None


def _with_spare_rows(form: UserForm) -> UserForm:
    for _ in range(SPARE_ROLE_ROWS):
        form.roles.append_entry()
    return form


@bp.route("/users/")
@login_required
def users() -> ResponseReturnValue:
    """List the accounts, filtered by a name and by a role."""
    root = require_admin_page()
    text = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    query = select(User)
    if text:
        like = f"%{text}%"
        query = query.where(or_(User.username.ilike(like), User.display_name.ilike(like)))
    if role in ROLES:
        query = query.where(User.roles.any(RoleAssignment.role == role))
    if not request.args.get("inactive"):
        query = query.where(User.active)
    page = max(request.args.get("page", 1, type=int), 1)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    found = list(
        db.session.scalars(query.order_by(User.username).limit(100).offset((page - 1) * 100))
    )
    return render_template(
        "administration/users.html",
        root=root,
        users=found,
        total=total,
        page=page,
        q=text,
        role=role,
        roles=ROLES,
        inactive=bool(request.args.get("inactive")),
    )


def _handover(user: User, password: str) -> ResponseReturnValue:
    """Show a temporary password once, to print or read out; it is never shown again."""
    return render_template("administration/handover.html", user=user, password=password)


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
def new_user() -> ResponseReturnValue:
    """Create an account; its temporary password is shown once, to hand over."""
    root = require_admin_page()
    if request.method == "GET":
        form = NewUserForm(formdata=None)
        if org_id := request.args.get("organisation", type=int):
            form.roles[0].form.organisation.data = str(org_id)
        form.roles[0].form.role.data = request.args.get("role", "")
        return render_template(
            "administration/user_new.html", form=_fill_choices(_with_spare_rows(form), root)
        )
    form = _fill_choices(NewUserForm(), root)
    form.validate()
    roles = _roles_from(form)
    password = temporary_password()
    with operation_errors(form, catch=(InvalidData,)) as outcome:
        user = create_user(
            db.session,
            actor=current_user,
            username=form.username.data or "",
            display_name=form.display_name.data or "",
            email=form.email.data,
            roles=roles,
            workplace=_workplace(form),
            password=password,
            must_change=True,
        )
        if form.errors:
            # The form's own errors too: what the call did is rolled back.
            raise InvalidData("the form has errors", fields={})
    if outcome.refused:
        return render_template(
            "administration/user_new.html", form=_fill_choices(form, root), alerts=outcome.alerts
        ), outcome.status
    return _handover(user, password)


def _render_user(
    user: User,
    *,
    form: UserForm | None = None,
    active: ReasonForm | None = None,
    alerts: list[str] | None = None,
    link: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    root = require_admin_page()
    stamp = fingerprint(user)
    if form is None:
        form = UserForm(formdata=None, obj=user)
        form.roles.entries = []
        for held in user.roles:
            form.roles.append_entry({"role": held.role, "organisation": str(held.organisation_id)})
        form.workplace.data = str(user.workplace_id or "")
        form.expected.data = stamp
        _with_spare_rows(form)
    if active is None:
        active = ReasonForm(formdata=None)
        active.expected.data = stamp
    return (
        render_template(
            "administration/user.html",
            user=user,
            form=_fill_choices(form, root),
            active=active,
            tokens=user_tokens(db.session, user),
            alerts=alerts or [],
            link=link,
        ),
        status,
    )


def _refused(user: User, outcome: Outcome, **forms: Any) -> ResponseReturnValue:
    if outcome.conflict:
        # What was typed stays, on the current version: a second submission is a decision.
        (form,) = forms.values()
        form.expected.data = fingerprint(user)
    return _render_user(user, alerts=outcome.alerts, status=outcome.status, **forms)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user(user_id: int) -> ResponseReturnValue:
    """Show an account; change its person, workplace and roles."""
    account = _load_user(user_id)
    if request.method == "GET":
        return _render_user(account)
    form = _fill_choices(UserForm(), require_admin_page())
    form.validate()
    roles = _roles_from(form)
    with operation_errors(form) as outcome:
        changed = update_user(
            account,
            actor=current_user,
            display_name=form.display_name.data or "",
            email=form.email.data,
            roles=roles,
            workplace=_workplace(form),
            expected=form.expected.data,
        )
        if form.errors:
            # The form's own errors too: what the call did is rolled back.
            raise InvalidData("the form has errors", fields={})
    if outcome.refused:
        return _refused(account, outcome, form=form)
    flash(
        tr("已保存", "Saved") if changed else tr("没有改动", "Nothing changed"),
        "success" if changed else "info",
    )
    return redirect(url_for(".user", user_id=account.id))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@login_required
def password(user_id: int) -> ResponseReturnValue:
    """Hand over a new temporary password, or a one-time link to set one."""
    account = _load_user(user_id)
    with operation_errors(catch=(Conflict,)) as outcome:
        if request.form.get("how") == "link":
            token = password_link_token(account, actor=current_user)
            link = url_for("auth.password_link", token=token, _external=True)
            return _render_user(account, link=link)
        return _handover(account, issue_temporary_password(account, actor=current_user))
    return _render_user(account, alerts=outcome.alerts, status=outcome.status)  # refused


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@login_required
def set_active(user_id: int) -> ResponseReturnValue:
    """Deactivate or reactivate an account."""
    account = _load_user(user_id)
    form = ReasonForm()
    if not form.validate():
        return _render_user(account, active=form, status=422)
    with operation_errors(form) as outcome:
        set_user_active(
            account,
            actor=current_user,
            active=not account.active,
            reason=form.reason.data or "",
            expected=form.expected.data,
        )
    if outcome.refused:
        return _refused(account, outcome, active=form)
    flash(tr("已启用", "Reactivated") if account.active else tr("已停用", "Deactivated"), "success")
    return redirect(url_for(".user", user_id=account.id))


@bp.route("/users/<int:user_id>/tokens/<int:token_id>", methods=["POST"])
@login_required
def revoke_token(user_id: int, token_id: int) -> ResponseReturnValue:
    """Revoke one API token of the user."""
    account = _load_user(user_id)
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != account.id:
        abort(404)
    if revoke_api_token(row, actor=current_user):
        flash(tr(f"已吊销令牌「{row.name}」", f"Token '{row.name}' revoked"), "success")
    return redirect(url_for(".user", user_id=account.id))


@bp.route("/users/<int:user_id>/second-factor", methods=["POST"])
@login_required
def remove_second_factor(user_id: int) -> ResponseReturnValue:
    """Remove a user's second factor (a lost device); the next login enrols again."""
    account = _load_user(user_id)
    remove_totp(account, actor=current_user)
    flash(tr("已解除绑定", "The second factor is removed"), "success")
    return redirect(url_for(".user", user_id=account.id))


@bp.route("/security", methods=["GET", "POST"])
@login_required
def security() -> ResponseReturnValue:
    """Choose the roles that must log in with a second factor (TOTP)."""
    require_admin_page()
    form = SecurityForm()
    form.roles.choices = [SelectChoice(r, role_label(r)) for r in STRONG_ROLES]
    if request.method == "POST" and form.validate():
        set_totp_roles(db.session, actor=current_user, roles=list(form.roles.data or []))
        flash(tr("已保存", "Saved"), "success")
        return redirect(url_for(".security"))
    if request.method == "GET":
        form.roles.data = totp_roles(db.session)
    return render_template("administration/security.html", form=form, scopes=ROLE_SCOPES)
