"""Administration of campaigns: create or copy, settings and awards, quotas, judges, bars.

URL table (administrators only):

    /admin/campaigns/                       every campaign of the federation
    /admin/campaigns/new                    a new draft
    /admin/campaigns/<id>                   its settings and awards; change them
    /admin/campaigns/<id>/copy              next year's draft with everything copied (POST)
    /admin/campaigns/<id>/status            open, close, reopen or archive it (POST)
    /admin/campaigns/<id>/quotas            places per committee and unit, by award
    /admin/campaigns/<id>/quotas.xlsx       the quotas as a sheet; POST a sheet to set them
    /admin/campaigns/<id>/judges            the selection committee and its chair
    /admin/campaigns/<id>/bars              units barred this year, with the reason
"""

from __future__ import annotations

import io
from functools import cache
from typing import Any

import openpyxl
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    validators,
)

# types-WTForms 3.2 lacks SelectChoice, which WTForms 3.3 has: the stub is behind the library.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]

from nomination import db, engine
from nomination.administration.campaigns import (
    MOVES,
    available_awards,
    bar_unit,
    copy_campaign,
    create_campaign,
    fingerprint,
    lift_bar,
    move_campaign,
    quota_used,
    same_year,
    set_awards,
    set_judges,
    set_quota,
    update_campaign,
)
from nomination.administration.organisations import tree
from nomination.administration.rule_lines import from_lines, to_lines
from nomination.db import local_today
from nomination.errors import InvalidData
from nomination.i18n import lazy, pick
from nomination.labels import CAMPAIGN_STATUS_LABELS
from nomination.models import Campaign, Organisation, Quota, RoleAssignment, UnitBar, User
from nomination.nominations.composition import MEASURES
from nomination.nominations.imports import SheetRejected, check_workbook
from nomination.permissions import can_administer_org
from nomination.web.admin_organisations import require_admin_page
from nomination.web.forms import attach_errors
from nomination.web.outcomes import operation_errors
from nomination.web.setup import award_title, tr, with_code

bp = Blueprint("admin_campaigns", __name__, url_prefix="/admin/campaigns")

STATUS_LABELS = CAMPAIGN_STATUS_LABELS
MOVE_LABELS = {
    "open": {"zh": "开始(开放推荐)", "en": "Open it"},
    "close": {"zh": "结束", "en": "Close it"},
    "reopen": {"zh": "重新开放", "en": "Reopen it"},
    "archive": {"zh": "归档", "en": "Archive it"},
}
_RULES = [
    SelectChoice("1/2", lazy({"zh": "过半数", "en": "More than half"})),
    SelectChoice("2/3", lazy({"zh": "三分之二以上", "en": "Two thirds"})),
]


#: The settings a form field holds as they are (the others: contact, targets, rules, awards).
PLAIN_SETTINGS = (
    "name_en",
    "notice_working_days",
    "unit_notice_working_days",
    "resubmit_working_days",
    "objection_answer_working_days",
    "consultation_working_days",
    "congress_vote_rule",
    "selection_rule",
    "round_closer",
    "notice_order",
    "objection_resume",
    "pool_percent",
    "leader_share_max",
    "require_prior_honour",
)


def _days(zh: str, en: str, default: int) -> IntegerField:
    return IntegerField(
        lazy({"zh": zh, "en": en}), default=default, validators=[validators.Optional()]
    )


class SettingsForm(FlaskForm):
    """A campaign's identity, awards and rules."""

    year = IntegerField(lazy({"zh": "年度", "en": "Year"}), validators=[validators.Optional()])
    name = StringField(lazy({"zh": "名称", "en": "Name"}), validators=[validators.Length(max=200)])
    name_en = StringField(
        lazy({"zh": "英文名称(可选)", "en": "Name in English (optional)"}),
        validators=[validators.Length(max=200)],
    )
    nomination_deadline = DateField(
        lazy({"zh": "推荐截止日期", "en": "Nomination deadline"}),
        validators=[validators.Optional()],
    )
    notice_working_days = _days("公示期(工作日)", "Public notice (working days)", 5)
    unit_notice_working_days = _days("单位内部公示(工作日)", "Unit's own notice (working days)", 5)
    resubmit_working_days = _days("退回后重报期限(工作日)", "Resubmission after a return", 10)
    objection_answer_working_days = _days(
        "异议核实答复期限(工作日)", "Answer to an objection (working days)", 5
    )
    consultation_working_days = _days(
        "部门回复期限(工作日)", "Departments' answer (working days)", 5
    )
    congress_vote_rule = SelectField(
        lazy({"zh": "职代会表决通过比例", "en": "Workers' congress majority"}), choices=_RULES
    )
    selection_rule = SelectField(
        lazy({"zh": "评审委员会表决通过比例", "en": "Selection committee majority"}),
        choices=_RULES,
    )
    round_closer = SelectField(
        lazy({"zh": "评审结束由谁确认", "en": "Who closes a selection round"}),
        choices=[
            SelectChoice("federation", lazy({"zh": "区总工会(初审人员)", "en": "The federation"})),
            SelectChoice("chair", lazy({"zh": "评审委员会主任委员", "en": "The round's chair"})),
        ],
    )
    notice_order = SelectField(
        lazy({"zh": "公示排序", "en": "Notice order"}),
        choices=[
            SelectChoice("unit", lazy({"zh": "按推荐单位", "en": "By unit"})),
            SelectChoice("stroke", lazy({"zh": "按姓氏笔画", "en": "By surname strokes"})),
        ],
    )
    objection_resume = SelectField(
        lazy({"zh": "异议不成立后公示", "en": "After an unfounded objection"}),
        choices=[
            SelectChoice("extend", lazy({"zh": "续满剩余天数", "en": "Resume the days left"})),
            SelectChoice("restart", lazy({"zh": "重新公示", "en": "Start again"})),
        ],
    )
    objection_body = StringField(lazy({"zh": "异议受理单位", "en": "Objections go to"}))
    objection_address = StringField(lazy({"zh": "受理地址", "en": "Address"}))
    objection_phone = StringField(lazy({"zh": "受理电话", "en": "Phone"}))
    objection_email = StringField(lazy({"zh": "受理电子邮件", "en": "E-mail"}))
    pool_percent = IntegerField(
        lazy({"zh": "差额比例(%)", "en": "Candidates per place (%)"}),
        default=100,
        description=lazy(
            {
                "zh": "100 为等额;120 表示 10 个名额可报 12 人",
                "en": "100: as many as places; 120 lets 10 places forward 12",
            }
        ),
        validators=[validators.Optional()],
    )
    leader_share_max = IntegerField(
        lazy({"zh": "企业负责人和县处级干部比例上限(%)", "en": "Heads and cadres at most (%)"}),
        validators=[validators.Optional()],
    )
    require_prior_honour = BooleanField(
        lazy({"zh": "须已获得下一级荣誉", "en": "A prior honour is required"})
    )
    # Its hint names the federation's own departments (see _rules_hint).
    consultation_rules = TextAreaField(
        lazy({"zh": "征求意见规则", "en": "Consultation rules"}), render_kw={"rows": 5}
    )
    expected = HiddenField()


for _m in MEASURES:
    setattr(
        SettingsForm,
        f"min_{_m.name}",
        IntegerField(lazy({"zh": "下限 %", "en": "min %"}), validators=[validators.Optional()]),
    )
    setattr(
        SettingsForm,
        f"max_{_m.name}",
        IntegerField(lazy({"zh": "上限 %", "en": "max %"}), validators=[validators.Optional()]),
    )


@cache
def _settings_form_class(kinds: tuple[str, ...]) -> type[SettingsForm]:
    """Return the settings form with an offer, a title and an English title for each kind."""
    fields: dict[str, Any] = {}
    for kind in kinds:
        fields[f"offer_{kind}"] = BooleanField(kind)
        fields[f"award_{kind}"] = StringField(kind)
        fields[f"award_en_{kind}"] = StringField(kind)
    return type("SettingsForm", (SettingsForm,), fields)


def settings_form(**kwargs: Any) -> SettingsForm:
    """Return the settings form for the award kinds the definitions offer now."""
    return _settings_form_class(engine.award_kinds())(**kwargs)


class CopyForm(FlaskForm):
    """Next year's campaign, copied from this one."""

    year = IntegerField(lazy({"zh": "年度", "en": "Year"}), validators=[validators.Optional()])
    name = StringField(lazy({"zh": "名称", "en": "Name"}), validators=[validators.Length(max=200)])
    name_en = StringField(lazy({"zh": "英文名称(可选)", "en": "Name in English (optional)"}))
    nomination_deadline = DateField(
        lazy({"zh": "推荐截止日期", "en": "Nomination deadline"}),
        validators=[validators.Optional()],
    )


class BarForm(FlaskForm):
    """Bar a unit from nominating this year."""

    unit = SelectField(lazy({"zh": "单位", "en": "Unit"}), choices=[], coerce=int)
    reason = TextAreaField(
        lazy({"zh": "原因(如欠薪、安全事故)", "en": "Reason (wage arrears, an accident …)"}),
        validators=[validators.Length(max=1000)],
        render_kw={"rows": 2},
    )


def _load(campaign_id: int) -> Campaign:
    require_admin_page()
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or not can_administer_org(current_user, campaign.federation):
        abort(404)
    return campaign


def status_label(status: str) -> str:
    """Return a campaign status in the reader's language."""
    return pick(STATUS_LABELS[status])


@bp.route("/")
@login_required
def campaigns() -> ResponseReturnValue:
    """List the federation's campaigns, newest first."""
    root = require_admin_page()
    found = db.session.scalars(
        select(Campaign)
        .where(Campaign.federation_id == root.id)
        .order_by(Campaign.year.desc(), Campaign.id.desc())
    ).all()
    return render_template(
        "administration/campaigns.html", campaigns=found, status_label=status_label
    )


def _fill(form: SettingsForm, campaign: Campaign | None) -> SettingsForm:
    """Fill an empty form from ``campaign`` (or the defaults of a new one)."""
    offered = available_awards()
    if campaign is None:
        for kind, title in offered.items():
            getattr(form, f"offer_{kind}").data = True
            getattr(form, f"award_{kind}").data = title.get("zh", "")
            getattr(form, f"award_en_{kind}").data = title.get("en", "")
        form.year.data = local_today().year + 1
        return form
    for name in ("year", "name", "nomination_deadline", *PLAIN_SETTINGS):
        getattr(form, name).data = getattr(campaign, name)
    contact = campaign.objection_contact or {}
    for key in ("body", "address", "phone", "email"):
        getattr(form, f"objection_{key}").data = contact.get(key, "")
    for award in campaign.awards:
        if not hasattr(form, f"offer_{award.kind}"):
            continue  # a kind the definitions no longer offer
        getattr(form, f"offer_{award.kind}").data = True
        getattr(form, f"award_{award.kind}").data = award.title
        getattr(form, f"award_en_{award.kind}").data = award.title_en or ""
    for m in MEASURES:
        bounds = (campaign.composition or {}).get(m.name, {})
        getattr(form, f"min_{m.name}").data = bounds.get("min")
        getattr(form, f"max_{m.name}").data = bounds.get("max")
    form.consultation_rules.data = to_lines(campaign.consultation_rules or [])
    form.expected.data = fingerprint(campaign)
    return form


def _settings(form: SettingsForm) -> tuple[dict[str, Any], dict[str, tuple[str, str | None]]]:
    """Return the settings and awards the form gives; a rule line's errors go beside it."""
    settings: dict[str, Any] = {name: getattr(form, name).data for name in PLAIN_SETTINGS}
    for name in list(settings):
        # An empty number keeps the default (or, for the share, sets no cap).
        if settings[name] is None and name != "leader_share_max":
            del settings[name]
    settings["name_en"] = (settings.get("name_en") or "").strip() or None
    settings["objection_contact"] = {
        key: (getattr(form, f"objection_{key}").data or "").strip()
        for key in ("body", "address", "phone", "email")
        if (getattr(form, f"objection_{key}").data or "").strip()
    }
    composition: dict[str, dict[str, int]] = {}
    for m in MEASURES:
        bounds = {
            side: getattr(form, f"{side}_{m.name}").data
            for side in ("min", "max")
            if getattr(form, f"{side}_{m.name}").data is not None
        }
        if bounds:
            composition[m.name] = bounds
    settings["composition"] = composition
    rules, problems = from_lines(form.consultation_rules.data or "")
    form.consultation_rules.errors = [*form.consultation_rules.errors, *problems]
    settings["consultation_rules"] = rules
    awards = {
        kind: (
            (getattr(form, f"award_{kind}").data or "").strip(),
            (getattr(form, f"award_en_{kind}").data or "").strip() or None,
        )
        for kind in engine.award_kinds()
        if getattr(form, f"offer_{kind}").data
    }
    return settings, awards


def _rules_hint(federation: Organisation) -> str:
    """Return how to write consultation rules, with the codes of the federation's departments."""
    departments = db.session.scalars(
        select(Organisation)
        .where(
            Organisation.kind == "department",
            Organisation.parent_id == federation.id,
            Organisation.active,
        )
        .order_by(Organisation.code)
    ).all()
    if not departments:
        return tr(
            "每行一条:条件 -> 部门代码。尚未建立征求意见部门,请先在组织机构中添加。",
            "One rule a line: conditions -> department codes. There is no consulted department "
            "yet: add them under organisations first.",
        )
    codes = [d.code for d in departments]
    every = ", ".join(codes[:2])
    listed = "、".join(f"{d.code}({d.name})" for d in departments)
    listed_en = "; ".join(f"{d.code} ({d.name_en or d.name})" for d in departments)
    return tr(
        f"每行一条:条件 -> 部门代码。例如「-> {every}」(所有推荐)、"
        f"「kind=individual category=cadre -> {codes[-1]}」。本区部门:{listed}",
        f"One rule a line: conditions -> department codes, e.g. '-> {every}' (every "
        f"nomination), 'kind=individual category=cadre -> {codes[-1]}'. Departments: {listed_en}",
    )


def _render_settings(
    form: SettingsForm,
    campaign: Campaign | None,
    *,
    alerts: list[str] | None = None,
    fields: dict[str, list[str]] | None = None,
    status: int = 200,
    copy: CopyForm | None = None,
) -> ResponseReturnValue:
    # An operation's errors: beside their fields, the awards' and the targets' beside theirs.
    fields = dict(fields or {})
    composition_errors = fields.pop("composition", [])
    award_errors = fields.pop("awards", [])
    alerts = [*(alerts or []), *attach_errors(form, fields)]
    federation = campaign.federation if campaign is not None else require_admin_page()
    form.consultation_rules.description = _rules_hint(federation)
    if campaign is not None and copy is None:
        copy = CopyForm(formdata=None)
        copy.year.data = campaign.year + 1
        copy.name.data = campaign.name.replace(str(campaign.year), str(campaign.year + 1))
        copy.name_en.data = (campaign.name_en or "").replace(
            str(campaign.year), str(campaign.year + 1)
        )
    return (
        render_template(
            "administration/campaign.html",
            form=form,
            campaign=campaign,
            copy=copy,
            offered=available_awards(),
            measures=MEASURES,
            moves=[a for a, (source, _) in MOVES.items() if campaign and campaign.status == source],
            move_labels=MOVE_LABELS,
            status_label=status_label,
            alerts=alerts,
            composition_errors=composition_errors,
            award_errors=award_errors,
        ),
        status,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    """Prepare a new campaign as a draft."""
    root = require_admin_page()
    if request.method == "GET":
        return _render_settings(_fill(settings_form(formdata=None), None), None)
    form = settings_form()
    form.validate()
    settings, awards = _settings(form)
    # The messages are placed by _render_settings: the awards' and the targets' beside theirs.
    with operation_errors(catch=(InvalidData,)) as outcome:
        campaign = create_campaign(
            db.session,
            actor=current_user,
            year=form.year.data,
            name=form.name.data or "",
            federation=root,
            nomination_deadline=form.nomination_deadline.data,
            awards=awards,
            status="draft",
            **settings,
        )
        if form.errors:
            # The form's own errors too: what was just created is rolled back.
            raise InvalidData("the form has errors", fields={})
    if outcome.refused:
        return _render_settings(form, None, fields=outcome.fields, status=outcome.status)
    flash(
        tr("已建立草稿;设置名额后即可开始", "Draft created; set its quotas, then open it"),
        "success",
    )
    return redirect(url_for(".campaign", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>", methods=["GET", "POST"])
@login_required
def campaign(campaign_id: int) -> ResponseReturnValue:
    """Show a campaign's settings and awards; change them."""
    current = _load(campaign_id)
    if request.method == "GET":
        return _render_settings(_fill(settings_form(formdata=None), current), current)
    form = settings_form()
    form.validate()
    settings, awards = _settings(form)
    if form.nomination_deadline.data is not None:
        settings["nomination_deadline"] = form.nomination_deadline.data
    with operation_errors() as outcome:  # the messages are placed by _render_settings
        changed = update_campaign(
            current,
            actor=current_user,
            expected=form.expected.data,
            year=form.year.data,
            name=form.name.data or "",
            **settings,
        )
        set_awards(current, actor=current_user, awards=awards)
        if form.errors:
            raise InvalidData("the form has errors", fields={})
    if outcome.conflict:
        form.expected.data = fingerprint(current)
        return _render_settings(form, current, alerts=outcome.alerts, status=outcome.status)
    if outcome.refused:
        return _render_settings(form, current, fields=outcome.fields, status=outcome.status)
    flash(tr("已保存", "Saved") if changed else tr("已保存奖项", "Awards saved"), "success")
    return redirect(url_for(".campaign", campaign_id=current.id))


@bp.route("/<int:campaign_id>/copy", methods=["POST"])
@login_required
def copy(campaign_id: int) -> ResponseReturnValue:
    """Copy a campaign, its rules, awards, quotas and judges into another year's draft."""
    source = _load(campaign_id)
    form = CopyForm()
    form.validate()
    with operation_errors(form, catch=(InvalidData,)) as outcome:
        draft = copy_campaign(
            source,
            actor=current_user,
            year=form.year.data,
            name=form.name.data or "",
            name_en=(form.name_en.data or "").strip() or None,
            nomination_deadline=form.nomination_deadline.data,
        )
        if form.errors:
            # The form's own errors too: the copy just made is rolled back.
            raise InvalidData("the form has errors", fields={})
    if outcome.refused:
        return _render_settings(
            _fill(settings_form(formdata=None), source),
            source,
            copy=form,
            alerts=outcome.alerts,
            status=outcome.status,
        )
    flash(tr(f"已复制为「{draft.name}」(草稿)", f"Copied as '{draft.name}' (a draft)"), "success")
    for other in same_year(db.session, draft):
        flash(
            tr(
                f"注意:{draft.year} 年已有评选活动「{other.name}」,请确认年度无误",
                f"Note: {draft.year} has the campaign '{other.name}' already; check the year",
            ),
            "warning",
        )
    return redirect(url_for(".campaign", campaign_id=draft.id))


@bp.route("/<int:campaign_id>/status", methods=["POST"])
@login_required
def status(campaign_id: int) -> ResponseReturnValue:
    """Open, close, reopen or archive a campaign."""
    current = _load(campaign_id)
    action = request.form.get("action", "")
    if action not in MOVES:
        abort(400)
    with operation_errors() as outcome:
        move_campaign(
            current, actor=current_user, action=action, expected=request.form.get("expected")
        )
    if outcome.refused:
        return _render_settings(
            _fill(settings_form(formdata=None), current),
            current,
            alerts=["; ".join(outcome.messages)],
            status=409,
        )
    flash(
        tr(
            f"评选活动现为「{status_label(current.status)}」",
            f"The campaign is now {status_label(current.status).lower()}",
        ),
        "success",
    )
    return redirect(url_for(".campaign", campaign_id=current.id))


# --- quotas ----------------------------------------------------------------------------------


def _quota_orgs(campaign: Campaign) -> list[Organisation]:
    """Return the committees, then every unit that has a quota in ``campaign``."""
    committees = [
        o for o in tree(db.session, campaign.federation, kinds=("committee",)) if o.active
    ]
    with_quota = set(
        db.session.scalars(select(Quota.committee_id).where(Quota.campaign_id == campaign.id))
    )
    units = [
        o for o in tree(db.session, campaign.federation, kinds=("unit",)) if o.id in with_quota
    ]
    return committees + units


def _places(campaign: Campaign) -> dict[tuple[int, str], int]:
    return {(q.committee_id, q.kind): q.places for q in campaign.quotas}


def _render_quotas(
    campaign: Campaign,
    *,
    errors: dict[str, list[str]] | None = None,
    typed: dict[str, str] | None = None,
    alerts: list[str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    orgs = _quota_orgs(campaign)
    used = {
        (o.id, a.kind): quota_used(db.session, campaign, o, a.kind)
        for o in orgs
        for a in campaign.awards
    }
    units = [o for o in tree(db.session, campaign.federation, kinds=("unit",)) if o.active]
    return (
        render_template(
            "administration/quotas.html",
            campaign=campaign,
            orgs=orgs,
            units=units,
            places=_places(campaign),
            used=used,
            errors=errors or {},
            typed=typed or {},
            alerts=alerts or [],
        ),
        status,
    )


def _apply_quotas(
    campaign: Campaign, wanted: list[tuple[Organisation, str, int]], errors: dict[str, list[str]]
) -> int:
    """Set each wanted quota; gather every refusal by its cell. Return how many changed."""
    places = _places(campaign)
    changed = 0
    for org, kind, value in wanted:
        if places.get((org.id, kind)) == value:
            continue
        with operation_errors() as outcome:
            set_quota(
                db.session,
                actor=current_user,
                campaign=campaign,
                committee=org,
                kind=kind,
                places=value,
            )
        if outcome.refused:
            errors[f"q-{org.id}-{kind}"] = outcome.messages
        else:
            changed += 1
    return changed


@bp.route("/<int:campaign_id>/quotas", methods=["GET", "POST"])
@login_required
def quotas(campaign_id: int) -> ResponseReturnValue:
    """Show and set the places per committee and unit, for each award."""
    current = _load(campaign_id)
    if request.method == "GET":
        return _render_quotas(current)
    errors: dict[str, list[str]] = {}
    wanted: list[tuple[Organisation, str, int]] = []
    typed = {k: v for k, v in request.form.items() if k.startswith("q-")}
    extra = request.form.get("add_org", type=int)
    orgs = {o.id: o for o in _quota_orgs(current)}
    if extra:
        unit = db.session.get(Organisation, extra)
        if unit is not None and can_administer_org(current_user, unit):
            orgs[unit.id] = unit
            for award in current.awards:
                typed.setdefault(
                    f"q-{unit.id}-{award.kind}", request.form.get(f"add_{award.kind}", "")
                )
    for key, raw in typed.items():
        _, org_id, kind = key.split("-", 2)
        org = orgs.get(int(org_id)) if org_id.isdigit() else None
        if org is None or raw.strip() == "":
            continue
        if not raw.strip().isdigit():
            errors[key] = [tr("须为不小于 0 的整数", "A whole number, 0 or more")]
            continue
        wanted.append((org, kind, int(raw)))
    changed = _apply_quotas(current, wanted, errors)
    if errors:
        # Nothing is kept: the request rolls back, the page shows what was typed.
        return _render_quotas(
            current,
            errors=errors,
            typed=typed,
            status=422,
            alerts=[
                tr(
                    "有名额未能保存,请按提示修改;全部未保存。",
                    "Some quotas were refused; nothing was saved.",
                )
            ],
        )
    flash(tr(f"已保存 {changed} 项名额", f"{changed} quota(s) saved"), "success")
    return redirect(url_for(".quotas", campaign_id=current.id))


@bp.route("/<int:campaign_id>/quotas.xlsx")
@login_required
def quota_sheet(campaign_id: int) -> ResponseReturnValue:
    """Download the quotas as a sheet: codes down, award kinds across."""
    current = _load(campaign_id)
    kinds = [a.kind for a in current.awards]
    wb = openpyxl.Workbook()
    ws = wb.worksheets[0]  # a new workbook has one sheet
    ws.title = "名额"
    ws.append(["组织代码", "组织名称", *[f"{a.title}" for a in current.awards]])
    ws.append(["code", "name", *kinds])
    places = _places(current)
    for org in _quota_orgs(current):
        ws.append([org.code, org.name, *[places.get((org.id, k), "") for k in kinds]])
    out = io.BytesIO()
    wb.save(out)
    return Response(
        out.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": "attachment; filename=quotas.xlsx"},
    )


@bp.route("/<int:campaign_id>/quotas/sheet", methods=["GET", "POST"])
@login_required
def upload_quota_sheet(campaign_id: int) -> ResponseReturnValue:
    """Set the quotas from a sheet in the downloaded layout (all or nothing)."""
    current = _load(campaign_id)
    if request.method == "GET":
        # Reloaded after a refused upload: the quota page is where the form lives.
        return redirect(url_for(".quotas", campaign_id=current.id))
    kinds = [a.kind for a in current.awards]
    upload = request.files.get("sheet")
    data = upload.read() if upload else b""
    try:
        check_workbook(data)
    except SheetRejected as exc:
        return _render_quotas(current, alerts=[exc.message], status=422)
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()
    header = [str(c or "").strip() for c in (rows[1] if len(rows) > 1 else ())]
    problems: list[str] = []
    wanted: list[tuple[Organisation, str, int]] = []
    for number, row in enumerate(rows[2:], start=3):
        cells = dict(zip(header, row, strict=False))
        code = str(cells.get("code") or "").strip()
        if not code:
            continue
        org = db.session.scalar(select(Organisation).where(Organisation.code == code))
        if org is None or not can_administer_org(current_user, org):
            problems.append(
                tr(
                    f"第 {number} 行:没有代码为 {code} 的组织",
                    f"Row {number}: no organisation has the code {code}",
                )
            )
            continue
        for kind in kinds:
            value = cells.get(kind)
            if value in (None, ""):
                continue
            if not str(value).strip().isdigit():
                title = award_title(current, kind)
                problems.append(
                    tr(
                        f"第 {number} 行「{title}」:须为不小于 0 的整数",
                        f"Row {number}, '{title}': a whole number, 0 or more",
                    )
                )
                continue
            wanted.append((org, kind, int(str(value).strip())))
    errors: dict[str, list[str]] = {}
    if not problems:
        changed = _apply_quotas(current, wanted, errors)
    by_id = {o.id: o for o, _, _ in wanted}
    for key, messages in errors.items():
        _, org_id, kind = key.split("-", 2)
        problems.append(
            f"{by_id[int(org_id)].code}「{award_title(current, kind)}」: {' '.join(messages)}"
        )
    if problems:
        return _render_quotas(current, alerts=problems, status=422)
    flash(tr(f"已从表格保存 {changed} 项名额", f"{changed} quota(s) set from the sheet"), "success")
    return redirect(url_for(".quotas", campaign_id=current.id))


# --- judges and bars -------------------------------------------------------------------------


@bp.route("/<int:campaign_id>/judges", methods=["GET", "POST"])
@login_required
def judges(campaign_id: int) -> ResponseReturnValue:
    """Name the selection committee and its chair."""
    current = _load(campaign_id)
    candidates = list(
        db.session.scalars(
            select(User)
            .join(RoleAssignment)
            .where(
                RoleAssignment.role == "judge",
                User.active,
                RoleAssignment.organisation_id == current.federation_id,
            )
            .order_by(User.display_name)
        ).unique()
    )
    alerts: list[str] = []
    status_code = 200
    if request.method == "POST":
        chosen = {int(v) for v in request.form.getlist("member") if v.isdigit()}
        members = [u for u in candidates if u.id in chosen]
        chair_id = request.form.get("chair", type=int)
        chair = next((u for u in members if u.id == chair_id), None)
        with operation_errors() as outcome:
            set_judges(
                current,
                actor=current_user,
                members=members,
                chair=chair,
                expected=request.form.get("expected"),
            )
        if outcome.refused:
            alerts, status_code = outcome.messages, outcome.status
        else:
            flash(tr("评审委员会已保存", "The selection committee is saved"), "success")
            return redirect(url_for(".judges", campaign_id=current.id))
    return render_template(
        "administration/judges.html",
        campaign=current,
        candidates=candidates,
        members={j.user_id: j.chair for j in current.judges},
        alerts=alerts,
        expected=fingerprint(current),
    ), status_code


@bp.route("/<int:campaign_id>/bars", methods=["GET", "POST"])
@login_required
def bars(campaign_id: int) -> ResponseReturnValue:
    """Show the units barred in the campaign's year; bar one, or lift a bar."""
    current = _load(campaign_id)
    form = BarForm()
    form.unit.choices = [
        SelectChoice(o.id, with_code(o))
        for o in tree(db.session, current.federation, kinds=("committee", "unit"))
        if o.active
    ]
    status_code = 200
    if request.method == "POST":
        with operation_errors(form, catch=(InvalidData,)) as outcome:
            if request.form.get("lift"):
                bar = db.session.get(UnitBar, request.form.get("lift", type=int))
                if bar is None or not can_administer_org(
                    current_user, db.session.get_one(Organisation, bar.organisation_id)
                ):
                    abort(404)
                lift_bar(
                    bar,
                    actor=current_user,
                    reason=request.form.get("lift_reason", ""),
                    campaign=current,
                )
                flash(tr("已撤销限制", "The bar is lifted"), "success")
                return redirect(url_for(".bars", campaign_id=current.id))
            form.validate()
            unit = db.session.get(Organisation, form.unit.data or 0)
            if unit is None or not can_administer_org(current_user, unit):
                raise InvalidData("unit", fields={"unit": [tr("请选择单位", "Choose a unit")]})
            bar_unit(
                db.session,
                actor=current_user,
                unit=unit,
                year=current.year,
                reason=form.reason.data or "",
                campaign=current,
            )
            flash(
                tr(
                    f"已取消「{unit.name}」{current.year} 年推荐资格",
                    f"'{unit.name}' is barred in {current.year}",
                ),
                "success",
            )
            return redirect(url_for(".bars", campaign_id=current.id))
        status_code = outcome.status  # refused: the messages are beside the fields
    found = db.session.execute(
        select(UnitBar, Organisation)
        .join(Organisation, Organisation.id == UnitBar.organisation_id)
        .where(UnitBar.year == current.year, Organisation.path.startswith(current.federation.path))
        .order_by(Organisation.path)
    ).all()
    return render_template(
        "administration/bars.html", campaign=current, form=form, bars=found
    ), status_code
