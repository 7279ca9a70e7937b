"""Administration of the organisation tree: committees, units, departments.

URL table (administrators only; another role gets 403, an organisation outside the
administrator's federation 404):

    /admin/                                   what an administrator manages, with counts
    /admin/organisations/                     the tree, filtered by kind, name or code
    /admin/organisations/new                  add an organisation (?kind=unit&parent=ID)
    /admin/organisations/<id>                 its details; change them
    /admin/organisations/<id>/move            move a unit to another committee (POST)
    /admin/organisations/<id>/active          deactivate or reactivate it (POST)
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select
from wtforms import HiddenField, SelectField, StringField, TextAreaField, validators

# types-WTForms 3.2 lacks SelectChoice, which WTForms 3.3 has: the stub is behind the library.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]

from nomination import db
from nomination.administration.organisations import (
    PARENT_KINDS,
    create_organisation,
    fingerprint,
    move_organisation,
    open_nominations,
    set_organisation_active,
    tree,
    update_organisation,
)
from nomination.errors import InvalidData
from nomination.i18n import lazy, pick
from nomination.labels import CAMPAIGN_STATUS_LABELS, ORG_KIND_LABELS
from nomination.models import Campaign, Organisation, User
from nomination.permissions import administered_roots, can_administer, can_administer_org
from nomination.web.outcomes import Outcome, operation_errors
from nomination.web.setup import tr, with_code

bp = Blueprint("admin_organisations", __name__, url_prefix="/admin")


def require_admin_page() -> Organisation:
    """Refuse anyone but an administrator; return the federation administered."""
    roots = administered_roots(current_user)
    if not can_administer(current_user) or not roots:
        abort(403, tr("仅系统管理员可以进入管理页面", "Only administrators manage the system"))
    return roots[0]


def load_org(org_id: int) -> Organisation:
    """Return the organisation if the administrator administers it; 404 alike otherwise."""
    org = db.session.get(Organisation, org_id)
    if org is None or not can_administer_org(current_user, org):
        abort(404)
    return org


class DetailsForm(FlaskForm):
    """What every organisation has: names, a unit's credit code and contact."""

    name = StringField(lazy({"zh": "名称", "en": "Name"}), validators=[validators.Length(max=200)])
    name_en = StringField(
        lazy({"zh": "英文名称(可选)", "en": "Name in English (optional)"}),
        validators=[validators.Length(max=200)],
    )
    uscc = StringField(
        lazy({"zh": "统一社会信用代码", "en": "Unified social credit code"}),
        description=lazy({"zh": "18 位,基层单位填写", "en": "18 characters, for units"}),
        validators=[validators.Length(max=30)],
    )
    contact_person = StringField(
        lazy({"zh": "联系人", "en": "Contact person"}), validators=[validators.Length(max=100)]
    )
    contact_phone = StringField(
        lazy({"zh": "联系电话", "en": "Contact phone"}), validators=[validators.Length(max=40)]
    )
    expected = HiddenField()


class NewForm(DetailsForm):
    """A new organisation: also its kind, code and place in the tree."""

    kind = SelectField(lazy({"zh": "类型", "en": "Kind"}), choices=[])
    parent = SelectField(lazy({"zh": "上级", "en": "Belongs to"}), choices=[], coerce=int)
    code = StringField(
        lazy({"zh": "代码", "en": "Code"}),
        description=lazy(
            {
                "zh": "字母、数字或 - _ .,例如 CY-0101",
                "en": "Letters, digits or - _ ., e.g. CY-0101",
            }
        ),
        validators=[validators.Length(max=32)],
    )


class MoveForm(FlaskForm):
    """Move a unit to another working committee."""

    parent = SelectField(lazy({"zh": "调整到", "en": "Move to"}), choices=[], coerce=int)
    reason = TextAreaField(
        lazy({"zh": "调整原因", "en": "Reason"}),
        validators=[validators.Length(max=1000)],
        render_kw={"rows": 2},
    )
    expected = HiddenField()


class ActiveForm(FlaskForm):
    """Deactivate or reactivate, with the reason."""

    reason = TextAreaField(
        lazy({"zh": "原因", "en": "Reason"}),
        validators=[validators.Length(max=1000)],
        render_kw={"rows": 2},
    )
    expected = HiddenField()


def _label(kind: str) -> str:
    return pick(ORG_KIND_LABELS[kind])


def _parents(root: Organisation, kinds: tuple[str, ...]) -> list[SelectChoice]:
    orgs = [o for o in tree(db.session, root, kinds=kinds) if o.active]
    return [SelectChoice(o.id, with_code(o, _label(o.kind))) for o in orgs]


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    """Show what an administrator manages, with counts."""
    root = require_admin_page()
    below = Organisation.path.startswith(root.path)
    counts = dict(
        db.session.execute(
            select(Organisation.kind, func.count()).where(below).group_by(Organisation.kind)
        ).all()
    )
    users = db.session.scalar(select(func.count(User.id)).where(User.active))
    campaigns = list(
        db.session.scalars(
            select(Campaign)
            .where(Campaign.federation_id == root.id)
            .order_by(Campaign.year.desc(), Campaign.id.desc())
            .limit(5)
        )
    )
    return render_template(
        "administration/index.html",
        root=root,
        counts=counts,
        users=users,
        campaigns=campaigns,
        status_label=lambda status: pick(CAMPAIGN_STATUS_LABELS.get(status, status)),
    )


@bp.route("/organisations/")
@login_required
def organisations() -> ResponseReturnValue:
    """List the tree, filtered by kind and by a name or code."""
    root = require_admin_page()
    kind = request.args.get("kind", "")
    text = request.args.get("q", "").strip()
    query = select(Organisation).where(Organisation.path.startswith(root.path))
    if kind in ORG_KIND_LABELS:
        query = query.where(Organisation.kind == kind)
    if text:
        like = f"%{text}%"
        query = query.where(
            or_(
                Organisation.name.ilike(like),
                Organisation.code.ilike(like),
                Organisation.uscc.ilike(like),
            )
        )
    if not request.args.get("inactive"):
        query = query.where(Organisation.active)
    orgs = list(db.session.scalars(query.order_by(Organisation.path)))
    return render_template(
        "administration/organisations.html",
        root=root,
        orgs=orgs,
        kind=kind,
        q=text,
        inactive=bool(request.args.get("inactive")),
        kinds=ORG_KIND_LABELS,
        label=_label,
    )


def _new_form(root: Organisation, form: NewForm) -> NewForm:
    form.kind.choices = [SelectChoice(k, _label(k)) for k in ("committee", "unit", "department")]
    # Every possible parent, whatever the kind chosen: the operation says which fits.
    form.parent.choices = _parents(root, ("federation", "committee"))
    return form


@bp.route("/organisations/new", methods=["GET", "POST"])
@login_required
def new_organisation() -> ResponseReturnValue:
    """Add a committee, unit or department."""
    root = require_admin_page()
    if request.method == "GET":
        form = NewForm(formdata=None)
        form.kind.data = request.args.get("kind", "unit")
        form.parent.data = request.args.get("parent", type=int)
        return render_template("administration/organisation_new.html", form=_new_form(root, form))
    form = _new_form(root, NewForm())
    form.validate()
    parent = db.session.get(Organisation, form.parent.data) if form.parent.data else None
    if parent is not None and not can_administer_org(current_user, parent):
        parent = None
    with operation_errors(form, catch=(InvalidData,)) as outcome:
        org = create_organisation(
            db.session,
            actor=current_user,
            code=form.code.data or "",
            name=form.name.data or "",
            kind=form.kind.data or "",
            parent=parent,
            name_en=form.name_en.data,
            uscc=form.uscc.data,
            contact_person=form.contact_person.data,
            contact_phone=form.contact_phone.data,
        )
        if form.errors:
            # The form's own errors too: what the call did is rolled back.
            raise InvalidData("the form has errors", fields={})
    if outcome.refused:
        return (
            render_template(
                "administration/organisation_new.html", form=form, alerts=outcome.alerts
            ),
            outcome.status,
        )
    flash(tr(f"已添加「{org.name}」", f"'{org.name}' is added"), "success")
    return redirect(url_for(".organisation", org_id=org.id))


def _render_org(
    org: Organisation,
    *,
    form: DetailsForm | None = None,
    move: MoveForm | None = None,
    active: ActiveForm | None = None,
    alerts: list[str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    root = require_admin_page()
    stamp = fingerprint(org)
    if form is None:
        form = DetailsForm(formdata=None, obj=org)
        form.expected.data = stamp
    if move is None:
        move = MoveForm(formdata=None)
        move.parent.data = org.parent_id
        move.expected.data = stamp
    move.parent.choices = _parents(root, PARENT_KINDS.get(org.kind, ()))
    if active is None:
        active = ActiveForm(formdata=None)
        active.expected.data = stamp
    below = list(
        db.session.scalars(
            select(Organisation).where(Organisation.parent_id == org.id).order_by(Organisation.code)
        )
    )
    return (
        render_template(
            "administration/organisation.html",
            org=org,
            form=form,
            move=move,
            active=active,
            below=below,
            following=open_nominations(db.session, org) if org.kind == "unit" else [],
            alerts=alerts or [],
            label=_label,
        ),
        status,
    )


def _refused(org: Organisation, outcome: Outcome, **forms: Any) -> ResponseReturnValue:
    if outcome.conflict:
        # What was typed stays, on the current version: a second submission is a decision.
        (form,) = forms.values()
        form.expected.data = fingerprint(org)
    return _render_org(org, alerts=outcome.alerts, status=outcome.status, **forms)


@bp.route("/organisations/<int:org_id>", methods=["GET", "POST"])
@login_required
def organisation(org_id: int) -> ResponseReturnValue:
    """Show an organisation; change its names, credit code or contact."""
    require_admin_page()
    org = load_org(org_id)
    if request.method == "GET":
        return _render_org(org)
    form = DetailsForm()
    if not form.validate():
        return _render_org(org, form=form, status=422)
    with operation_errors(form) as outcome:
        changed = update_organisation(
            org,
            actor=current_user,
            name=form.name.data or "",
            name_en=form.name_en.data,
            uscc=form.uscc.data,
            contact_person=form.contact_person.data,
            contact_phone=form.contact_phone.data,
            expected=form.expected.data,
        )
    if outcome.refused:
        return _refused(org, outcome, form=form)
    flash(
        tr("已保存", "Saved") if changed else tr("没有改动", "Nothing changed"),
        "success" if changed else "info",
    )
    return redirect(url_for(".organisation", org_id=org.id))


@bp.route("/organisations/<int:org_id>/move", methods=["POST"])
@login_required
def move(org_id: int) -> ResponseReturnValue:
    """Move a unit to another committee; its open nominations follow."""
    require_admin_page()
    org = load_org(org_id)
    form = MoveForm()
    form.parent.choices = _parents(require_admin_page(), PARENT_KINDS.get(org.kind, ()))
    if not form.validate():
        return _render_org(org, move=form, status=422)
    parent = load_org(form.parent.data)
    with operation_errors(form) as outcome:
        following = move_organisation(
            org,
            actor=current_user,
            parent=parent,
            reason=form.reason.data or "",
            expected=form.expected.data,
        )
    if outcome.refused:
        return _refused(org, outcome, move=form)
    flash(
        tr(
            f"已调整到「{parent.name}」;{len(following)} 条进行中的推荐随之转由该工委办理。",
            f"Moved to '{parent.name}'; {len(following)} open nomination(s) follow it.",
        ),
        "success",
    )
    return redirect(url_for(".organisation", org_id=org.id))


@bp.route("/organisations/<int:org_id>/active", methods=["POST"])
@login_required
def set_active(org_id: int) -> ResponseReturnValue:
    """Deactivate or reactivate an organisation."""
    require_admin_page()
    org = load_org(org_id)
    form = ActiveForm()
    if not form.validate():
        return _render_org(org, active=form, status=422)
    with operation_errors(form) as outcome:
        set_organisation_active(
            org,
            actor=current_user,
            active=not org.active,
            reason=form.reason.data or "",
            expected=form.expected.data,
        )
    if outcome.refused:
        return _refused(org, outcome, active=form)
    flash(tr("已启用", "Reactivated") if org.active else tr("已停用", "Deactivated"), "success")
    return redirect(url_for(".organisation", org_id=org.id))
