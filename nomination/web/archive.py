"""The archive of honoured workers, units and teams (劳模档案): records managed over decades.

URL table (each view is load → check → act → respond; :mod:`nomination.archive.people` decides):

    /archive/                                  the honours the user may see (by year)
    /archive/people/<id>                       a person's record; ?as_of=YYYY-MM-DD shows it as
                                               it stood then, ?from=…&to=… what changed between
    /archive/people/<id>/status          POST  the unit or the federation reports a status
    /archive/people/<id>/services        POST  the federation records a service
    /archive/people/<id>/edit            GET/POST  correct personal data and contact
    /archive/people/<id>/merge           POST  the federation merges this duplicate into another
    /archive/studios                     GET/POST  innovation studios; the federation registers one
    /archive/studios/<id>                      a studio: leader, members, inspections
    /archive/studios/<id>/members        POST  the federation adds a member
    /archive/studios/<id>/inspections    POST  the federation records an inspection
    /archive/units/<org id>                    a unit's certificates and its teams' pioneer titles
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    validators,
)

# types-WTForms 3.2 lacks SelectChoice, which WTForms 3.3 has: the stub is behind the library.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.widgets import HiddenInput

from nomination import db
from nomination.archive import people as archive
from nomination.definitions.forms import Phone
from nomination.errors import InvalidData, NotFound, OutOfScope
from nomination.i18n import lazy, pick
from nomination.labels import ID_NUMBER_LABEL, RECORD_NUMBER_LABEL, phone_as_written
from nomination.models import ArchivePerson, Organisation, Studio, User
from nomination.models.archive import HONOUR_LEVELS, PERSON_STATUSES, SERVICE_KINDS
from nomination.nominations.queries import (
    load_person,
    load_studio,
    managed_federations,
    person_scope,
    submitter_unit_choices,
    units_below,
    visible_studios,
)
from nomination.permissions import (
    can_manage_archive,
    can_report_on,
    can_see_id_number,
    can_view_archive,
    can_view_nomination,
    can_view_person,
    can_view_unit_honours,
)
from nomination.web.forms import validated
from nomination.web.outcomes import operation_errors
from nomination.web.setup import org_name, signed_in_user, tr

bp = Blueprint("archive", __name__, url_prefix="/archive")

# --- how codes are named on the pages ----------------------------------------------------------

STATUS_LABELS = {
    "in_service": {"zh": "在职", "en": "In service"},
    "retired": {"zh": "退休", "en": "Retired"},
    "transferred": {"zh": "调动", "en": "Transferred"},
    "abroad": {"zh": "出国/境", "en": "Abroad"},
    "deceased": {"zh": "去世", "en": "Deceased"},
    "unemployed": {"zh": "失业", "en": "Unemployed"},
}
SERVICE_LABELS = {
    "health_check": {"zh": "健康体检", "en": "Health check"},
    "recuperation": {"zh": "疗休养", "en": "Recuperation leave"},
    "hardship_aid": {"zh": "困难帮扶", "en": "Hardship aid"},
    "visit": {"zh": "走访慰问", "en": "Visit"},
}
LEVEL_LABELS = {
    "national": {"zh": "全国级", "en": "National"},
    "capital": {"zh": "省市级(首都)", "en": "Capital"},
    "district": {"zh": "区级", "en": "District"},
}
TYPE_LABELS = {
    "medal": {"zh": "劳动奖章", "en": "Labour medal"},
    "model_worker": {"zh": "劳动模范", "en": "Model worker"},
    "certificate": {"zh": "劳动奖状", "en": "Labour award"},
    "pioneer": {"zh": "工人先锋号", "en": "Workers' pioneer"},
}
RESULT_LABELS = {
    "passed": {"zh": "合格", "en": "Passed"},
    "rectify": {"zh": "限期整改", "en": "To be rectified"},
    "failed": {"zh": "不合格", "en": "Failed"},
}
GENDER_LABELS = {"male": {"zh": "男", "en": "Male"}, "female": {"zh": "女", "en": "Female"}}
FIELD_LABELS = {
    "id_number": ID_NUMBER_LABEL,
    "name": {"zh": "姓名", "en": "Name"},
    "gender": {"zh": "性别", "en": "Gender"},
    "birth_date": {"zh": "出生日期", "en": "Date of birth"},
    "ethnicity": {"zh": "民族", "en": "Ethnicity"},
    "phone": {"zh": "联系电话", "en": "Phone"},
    "address": {"zh": "住址", "en": "Address"},
    "unit_id": {"zh": "所在单位(系统内)", "en": "Unit (in the system)"},
    "unit_name": {"zh": "所在单位", "en": "Unit"},
    "post": {"zh": "职务/岗位", "en": "Post"},
    "sector": {"zh": "所属行业", "en": "Sector"},
    "status": {"zh": "状态", "en": "Status"},
    "honours": {"zh": "荣誉", "en": "Honours"},
}
#: Fields shown masked to those who may not see the person's personal data in clear.
CONTACT_FIELDS = ("phone", "address")

_REQUIRED = validators.InputRequired(message=lazy({"zh": "此项必填", "en": "Required"}))
_DATE_MESSAGE = {"zh": "请输入日期(年-月-日)", "en": "Enter a date (YYYY-MM-DD)"}
_NO_RECORD = {"zh": "没有该档案", "en": "No such record"}


class _DateField(DateField):
    """A date field whose complaint about what was typed is in the page's language."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse the date; say so in the current language when it is not one."""
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(pick(_DATE_MESSAGE)) from None


def _choices(labels: dict[str, dict[str, str]], codes: Sequence[str]) -> list[SelectChoice]:
    return [SelectChoice(code, lazy(labels[code])) for code in codes]


def _optional_int(value: Any) -> int | None:
    if value in (None, ""):
        return None
    return int(value)


def _note(required: bool = False) -> TextAreaField:
    checks = [_REQUIRED if required else validators.Optional(), validators.Length(max=1000)]
    return TextAreaField(lazy({"zh": "说明", "en": "Note"}), validators=checks)


# --- forms -------------------------------------------------------------------------------------


class StatusReportForm(FlaskForm):
    """A dated status report (在职, 退休, 去世, …) by the unit or the federation."""

    status = SelectField(
        lazy({"zh": "状态", "en": "Status"}),
        choices=_choices(STATUS_LABELS, PERSON_STATUSES),
        validators=[_REQUIRED],
    )
    effective_date = _DateField(
        lazy({"zh": "发生日期", "en": "Effective date"}),
        validators=[_REQUIRED],
        description=lazy({"zh": "退休、调动、去世等发生之日", "en": "When it began"}),
    )
    known_date = _DateField(
        lazy({"zh": "知悉日期", "en": "Date known"}),
        validators=[validators.Optional()],
        description=lazy(
            {
                "zh": "单位得知之日;去世须在知悉后2日内报告,逾期将被标记",
                "en": "When the unit learned of it; a death is due within 2 days of this, "
                "later reports are flagged",
            }
        ),
    )
    note = _note(required=True)


class ServiceForm(FlaskForm):
    """A service given to the person: a health check, recuperation leave, aid, a visit."""

    kind = SelectField(
        lazy({"zh": "服务类别", "en": "Service"}),
        choices=_choices(SERVICE_LABELS, SERVICE_KINDS),
        validators=[_REQUIRED],
    )
    service_date = _DateField(lazy({"zh": "日期", "en": "Date"}), validators=[_REQUIRED])
    amount = DecimalField(
        lazy({"zh": "金额(元)", "en": "Amount (yuan)"}),
        places=2,
        validators=[validators.Optional(), validators.NumberRange(min=0, max=10_000_000)],
        description=lazy({"zh": "困难帮扶时填写", "en": "For hardship aid"}),
    )
    note = _note()


class PersonForm(FlaskForm):
    """A correction of the person's own data and contact; the version guards against overwrites."""

    version = IntegerField(widget=HiddenInput(), validators=[_REQUIRED])
    name = StringField(
        lazy(FIELD_LABELS["name"]), validators=[_REQUIRED, validators.Length(max=100)]
    )
    gender = SelectField(
        lazy(FIELD_LABELS["gender"]),
        coerce=lambda v: v or None,
        choices=[SelectChoice("", "—"), *_choices(GENDER_LABELS, ("male", "female"))],
    )
    birth_date = _DateField(lazy(FIELD_LABELS["birth_date"]), validators=[validators.Optional()])
    ethnicity = StringField(
        lazy(FIELD_LABELS["ethnicity"]),
        validators=[validators.Optional(), validators.Length(max=32)],
    )
    phone = StringField(
        lazy(FIELD_LABELS["phone"]),
        validators=[validators.Optional(), validators.Length(max=32), Phone()],
    )
    address = StringField(
        lazy(FIELD_LABELS["address"]),
        validators=[validators.Optional(), validators.Length(max=300)],
    )
    unit_id = SelectField(lazy(FIELD_LABELS["unit_id"]), coerce=_optional_int)
    unit_name = StringField(
        lazy(FIELD_LABELS["unit_name"]),
        validators=[validators.Optional(), validators.Length(max=200)],
        description=lazy(
            {
                "zh": "单位不在系统内时填写;选择了系统内单位时使用该单位的名称",
                "en": "For a unit outside the system; a unit chosen above gives its own name",
            }
        ),
    )
    post = StringField(
        lazy(FIELD_LABELS["post"]), validators=[validators.Optional(), validators.Length(max=200)]
    )
    sector = StringField(
        lazy(FIELD_LABELS["sector"]),
        validators=[validators.Optional(), validators.Length(max=100)],
    )
    note = StringField(
        lazy({"zh": "更正原因", "en": "Reason for the correction"}),
        validators=[_REQUIRED, validators.Length(max=300)],
    )

    def split_data(self) -> dict[str, Any]:
        """Return the person's fields as the record keeps them (empty text as None or "")."""
        data = {name: self[name].data for name in archive.PERSON_FIELDS}
        for name in ("ethnicity", "phone", "address"):
            data[name] = data[name] or None
        for name in ("unit_name", "post", "sector"):
            data[name] = data[name] or ""
        if data["unit_id"]:
            # A unit in the system is named by the system; the free name is for units outside.
            data["unit_name"] = db.session.get_one(Organisation, data["unit_id"]).name
        return data


class MergeForm(FlaskForm):
    """Merge this duplicate record into another (the federation only)."""

    version = IntegerField(widget=HiddenInput(), validators=[_REQUIRED])
    into_id = IntegerField(
        lazy({"zh": "并入档案号", "en": "Merge into record no."}),
        validators=[_REQUIRED, validators.NumberRange(min=1)],
        description=lazy(
            {
                "zh": "保留的那份档案的档案号;本档案的荣誉、状态、服务和工作室将移入该档案",
                "en": "The record that stays; this record's honours, statuses, services and "
                "studios move to it",
            }
        ),
    )
    note = StringField(
        lazy({"zh": "合并原因", "en": "Reason"}), validators=[_REQUIRED, validators.Length(max=300)]
    )
    confirm = BooleanField(
        lazy({"zh": "确认这两份档案是同一人", "en": "These two records are the same person"}),
        validators=[_REQUIRED],
    )


class StudioForm(FlaskForm):
    """Register an innovation studio (劳模创新工作室)."""

    name = StringField(
        lazy({"zh": "工作室名称", "en": "Name"}), validators=[_REQUIRED, validators.Length(max=200)]
    )
    unit_id = SelectField(lazy({"zh": "所在单位", "en": "Unit"}), coerce=_optional_int)
    leader_id = IntegerField(
        lazy({"zh": "领衔人档案号", "en": "Leader's record no."}),
        validators=[validators.Optional(), validators.NumberRange(min=1)],
    )
    founded_on = _DateField(
        lazy({"zh": "命名日期", "en": "Named on"}), validators=[validators.Optional()]
    )
    level = SelectField(
        lazy({"zh": "级别", "en": "Level"}),
        coerce=lambda v: v or None,
        choices=[SelectChoice("", "—"), *_choices(LEVEL_LABELS, HONOUR_LEVELS)],
    )


class MemberForm(FlaskForm):
    """Add a member to a studio: an archived person (by record no.) or someone named only."""

    person_id = IntegerField(
        lazy(RECORD_NUMBER_LABEL),
        validators=[validators.Optional(), validators.NumberRange(min=1)],
        description=lazy({"zh": "成员有劳模档案时填写", "en": "When the member has a record"}),
    )
    name = StringField(
        lazy({"zh": "姓名", "en": "Name"}),
        validators=[validators.Optional(), validators.Length(max=100)],
        description=lazy({"zh": "无档案号时必填", "en": "Required without a record no."}),
    )
    role = StringField(
        lazy({"zh": "分工", "en": "Role"}),
        validators=[validators.Optional(), validators.Length(max=100)],
    )
    joined_on = _DateField(
        lazy({"zh": "加入日期", "en": "Joined on"}), validators=[validators.Optional()]
    )


class InspectionForm(FlaskForm):
    """An inspection of a studio (考核, 复查) and its result."""

    inspected_on = _DateField(
        lazy({"zh": "考核日期", "en": "Inspected on"}), validators=[_REQUIRED]
    )
    result = SelectField(
        lazy({"zh": "结果", "en": "Result"}),
        choices=_choices(RESULT_LABELS, archive.INSPECTION_RESULTS),
        validators=[_REQUIRED],
    )
    note = _note()


def _labels() -> dict[str, Any]:
    """Return the label tables every archive template uses."""
    return {
        "status_labels": STATUS_LABELS,
        "service_labels": SERVICE_LABELS,
        "level_labels": LEVEL_LABELS,
        "type_labels": TYPE_LABELS,
        "result_labels": RESULT_LABELS,
        "gender_labels": GENDER_LABELS,
        "field_labels": FIELD_LABELS,
        "record_number_label": RECORD_NUMBER_LABEL,
    }


# --- the list ----------------------------------------------------------------------------------


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    """List the people (or units' honours) the user may see, searched by name and filters."""
    # The list is drawn with the archive's search tools; this route keeps its address.
    from nomination.web.archive_tools import render_archive_list

    return render_archive_list()


# --- a person's record -------------------------------------------------------------------------


def _date_arg(name: str, errors: dict[str, str]) -> date | None:
    """Return the date query parameter ``name``; note an error when it is not a date."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = pick(_DATE_MESSAGE)
        return None


def _masked(name: str, value: Any) -> Any:
    """Return a field's value masked when it is contact data (the phone keeps its ends)."""
    if name not in CONTACT_FIELDS or not value:
        return value
    return archive.mask_phone(phone_as_written(value)) if name == "phone" else "***"


def _readable(name: str, value: Any, clear: bool) -> Any:
    """Return a changed value as the page shows it: units by name, contact masked."""
    if name == "unit_id" and value:
        return org_name(db.session.get(Organisation, value))
    if name == "phone" and clear:
        return phone_as_written(value)
    return value if clear else _masked(name, value)


def _shown(fields: dict[str, Any], clear: bool) -> dict[str, Any]:
    """Return the person's fields as the user may see them (contact masked unless ``clear``)."""
    shown = dict(fields)
    if clear:
        shown["phone"] = phone_as_written(shown.get("phone"))
    else:
        for name in CONTACT_FIELDS:
            shown[name] = _masked(name, shown.get(name))
    unit_id = shown.get("unit_id")
    shown["unit"] = db.session.get(Organisation, unit_id) if unit_id else None
    return shown


def _current_fields(person: ArchivePerson) -> dict[str, Any]:
    """Return the person's own fields as they stand now."""
    return {name: getattr(person, name) for name in archive.PERSON_FIELDS}


def _render_person(
    person: ArchivePerson,
    *,
    status: int = 200,
    alerts: Sequence[str] = (),
    status_form: StatusReportForm | None = None,
    service_form: ServiceForm | None = None,
    merge_form: MergeForm | None = None,
) -> ResponseReturnValue:
    """Render the record as the user may see it, now or as of a date; forms posted come back."""
    user = signed_in_user()
    federation = db.session.get(Organisation, person.federation_id)
    clear = can_see_id_number(user, person)
    may_report = can_report_on(user, person) and person.merged_into_id is None
    may_manage = can_manage_archive(user, federation) and person.merged_into_id is None
    arg_errors: dict[str, str] = {}
    day = _date_arg("as_of", arg_errors)
    compare_from, compare_to = _date_arg("from", arg_errors), _date_arg("to", arg_errors)
    as_of = None
    if day is not None:
        view = as_of = archive.as_of(db.session, person, day)
        fields = view.fields
        current_status = view.status.status if view.status else None
        honours = view.honours
        timeline = archive.statuses_as_of(person, day)
        services = view.services
    else:
        fields = _current_fields(person)
        current_status = person.status
        honours = [(h, h.status == "revoked") for h in person.honours]
        timeline = list(person.statuses)
        services = list(person.services)
    changes = None
    if compare_from and compare_to:
        changes = archive.difference(
            archive.as_of(db.session, person, compare_from),
            archive.as_of(db.session, person, compare_to),
        )
        changes = {
            k: (_readable(k, a, clear), _readable(k, b, clear)) for k, (a, b) in changes.items()
        }
    if arg_errors and status == 200:
        status = 422
    return (
        render_template(
            "archive/person.html",
            person=person,
            id_number=person.id_number if clear else archive.mask_id_number(person.id_number),
            clear=clear,
            fields=_shown(fields, clear),
            current_status=current_status,
            honours=honours,
            timeline=sorted(timeline, key=lambda s: (s.effective_date, s.reported_at)),
            services=services,
            studios=archive.studios_of(db.session, person),
            day=day,
            as_of=as_of,
            compare_from=compare_from,
            compare_to=compare_to,
            changes=changes,
            arg_errors=arg_errors,
            raw_args={k: request.args.get(k, "") for k in ("as_of", "from", "to")},
            late=archive.death_report_late,
            can_link_nomination=lambda h: (
                h.nomination is not None and can_view_nomination(user, h.nomination)
            ),
            can_view_unit=lambda org: org is not None and can_view_unit_honours(user, org),
            may_report=may_report,
            may_manage=may_manage,
            status_form=status_form or (StatusReportForm(formdata=None) if may_report else None),
            service_form=service_form or (ServiceForm(formdata=None) if may_manage else None),
            merge_form=merge_form
            or (MergeForm(formdata=None, version=person.version) if may_manage else None),
            alerts=alerts,
            **_labels(),
        ),
        status,
    )


@bp.route("/people/<int:person_id>")
@login_required
def person(person_id: int) -> ResponseReturnValue:
    """Show a person's record: now, as of a date, or what changed between two dates."""
    return _render_person(load_person(db.session, person_id, signed_in_user()))


@bp.route("/people/<int:person_id>/status", methods=["POST"])
@login_required
def report_status(person_id: int) -> ResponseReturnValue:
    """Record a dated status report: a new entry, never a change to an earlier one."""
    user = signed_in_user()
    person = load_person(db.session, person_id, user)
    if not can_report_on(user, person):
        abort(
            403, tr("只有所在单位和区总工会可以报告状态", "Only the unit and the federation report")
        )
    form = StatusReportForm()
    if not form.validate_on_submit():
        return _render_person(person, status=422, status_form=form)
    with operation_errors(form) as outcome:
        archive.require_current(person)
        entry = archive.report_status(
            db.session,
            person,
            user,
            status=form.status.data,
            effective_date=validated(form.effective_date.data),
            known_date=form.known_date.data,
            note=form.note.data,
        )
    if outcome.refused:
        return _render_person(
            person, status=outcome.status, alerts=outcome.alerts, status_form=form
        )
    if archive.death_report_late(entry):
        flash(
            tr(
                "已记录。该去世报告超过知悉后2日,已标记为逾期报告。",
                "Recorded. The death was reported more than 2 days after it was known and is "
                "flagged as late.",
            ),
            "warning",
        )
    else:
        flash(tr("状态已记录", "The status is recorded"), "success")
    return redirect(url_for(".person", person_id=person.id))


@bp.route("/people/<int:person_id>/services", methods=["POST"])
@login_required
def record_service(person_id: int) -> ResponseReturnValue:
    """Record a service given to the person (the federation)."""
    user = signed_in_user()
    person = load_person(db.session, person_id, user)
    if not can_manage_archive(user, db.session.get(Organisation, person.federation_id)):
        abort(403, tr("只有区总工会可以登记服务", "Only the federation records services"))
    form = ServiceForm()
    if not form.validate_on_submit():
        return _render_person(person, status=422, service_form=form)
    with operation_errors(form) as outcome:
        archive.require_current(person)
        archive.record_service(
            db.session,
            person,
            user,
            kind=form.kind.data,
            service_date=validated(form.service_date.data),
            amount=form.amount.data,
            note=form.note.data or None,
        )
    if outcome.refused:
        return _render_person(
            person, status=outcome.status, alerts=outcome.alerts, service_form=form
        )
    flash(tr("服务已登记", "The service is recorded"), "success")
    return redirect(url_for(".person", person_id=person.id))


def _unit_choices(user: User, person: ArchivePerson) -> list[SelectChoice]:
    """Return the units the person may be placed in: the user's, and where they are now."""
    federation = db.session.get_one(Organisation, person.federation_id)
    if can_manage_archive(user, federation):
        units = units_below(db.session, [federation])
    else:
        units = submitter_unit_choices(db.session, user)
    if person.unit is not None and person.unit not in units:
        units = [person.unit, *units]
    outside = tr("(系统外单位,填写下方名称)", "(outside the system: name it below)")
    return [SelectChoice("", outside), *(SelectChoice(u.id, org_name(u)) for u in units)]


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@login_required
def edit_person(person_id: int) -> ResponseReturnValue:
    """Correct the person's own data and contact, keeping the earlier version."""
    user = signed_in_user()
    person = load_person(db.session, person_id, user)
    if not can_report_on(user, person):
        abort(403, tr("只有所在单位和区总工会可以更正", "Only the unit and the federation correct"))
    if request.method == "GET":
        fields = _current_fields(person)
        # The phone is offered as people write it; its validator stores E.164 again.
        fields["phone"] = phone_as_written(fields.get("phone")) or None
        form = PersonForm(formdata=None, data={**fields, "version": person.version})
    else:
        form = PersonForm()
    form.unit_id.choices = _unit_choices(user, person)
    status, alerts = 200, []
    if form.validate_on_submit():
        changes = {k: v for k, v in form.split_data().items() if v != getattr(person, k)}
        with operation_errors(form) as outcome:
            archive.require_current(person)
            archive.update_person(
                db.session, person, user, changes, note=form.note.data, version=form.version.data
            )
        if outcome.refused:
            status, alerts = outcome.status, outcome.alerts
            if outcome.conflict:
                # The user has now seen that someone else changed it: what they typed stays,
                # and sending it again is a deliberate decision on the current record.
                form.version.data = person.version
                form.version.raw_data = [str(person.version)]
        else:
            flash(tr("已更正,原记录已保留", "Corrected; the earlier version is kept"), "success")
            return redirect(url_for(".person", person_id=person.id))
    elif request.method == "POST":
        status = 422
    return (
        render_template(
            "archive/person_edit.html",
            person=person,
            form=form,
            alerts=alerts,
            clear=can_see_id_number(user, person),
            **_labels(),
        ),
        status,
    )


@bp.route("/people/<int:person_id>/merge", methods=["POST"])
@login_required
def merge(person_id: int) -> ResponseReturnValue:
    """Merge this duplicate record into another one of the same archive (the federation)."""
    user = signed_in_user()
    duplicate = load_person(db.session, person_id, user)
    if not can_manage_archive(user, db.session.get(Organisation, duplicate.federation_id)):
        abort(403, tr("只有区总工会可以合并档案", "Only the federation merges records"))
    form = MergeForm()
    if not form.validate_on_submit():
        return _render_person(duplicate, status=422, merge_form=form)
    into = db.session.get(ArchivePerson, form.into_id.data)
    with operation_errors(form) as outcome:
        if into is None or not can_view_person(user, into):
            raise InvalidData("no such record", fields={"into_id": [pick(_NO_RECORD)]})
        archive.merge_people(
            db.session, duplicate, into, user, note=form.note.data, version=form.version.data
        )
    if outcome.refused:
        return _render_person(
            duplicate, status=outcome.status, alerts=outcome.alerts, merge_form=form
        )
    flash(tr("档案已合并", "The records are merged"), "success")
    return redirect(url_for(".person", person_id=into.id))


# --- innovation studios ------------------------------------------------------------------------


def _studio_form(user: User, form: StudioForm | None = None) -> StudioForm | None:
    """Return the registration form with the units of the federations the user manages."""
    federations = managed_federations(db.session, user)
    if not federations:
        return None
    form = form or StudioForm(formdata=None)
    none = tr("(不指定)", "(none)")
    units = units_below(db.session, federations)
    form.unit_id.choices = [
        SelectChoice("", none),
        *(SelectChoice(u.id, org_name(u)) for u in units),
    ]
    return form


def _render_studios(
    *, status: int = 200, form: StudioForm | None = None, alerts: Sequence[str] = ()
) -> ResponseReturnValue:
    user = signed_in_user()
    return (
        render_template(
            "archive/studios.html",
            studios=visible_studios(db.session, user),
            form=_studio_form(user, form),
            alerts=alerts,
            **_labels(),
        ),
        status,
    )


@bp.route("/studios", methods=["GET", "POST"])
@login_required
def studios() -> ResponseReturnValue:
    """List the studios the user may see; the federation registers a new one."""
    user = signed_in_user()
    if not can_view_archive(user):
        abort(403)
    if request.method == "GET":
        return _render_studios()
    form = _studio_form(user, StudioForm())
    if form is None:
        abort(403, tr("只有区总工会可以登记工作室", "Only the federation registers studios"))
    if not form.validate_on_submit():
        return _render_studios(status=422, form=form)
    federations = managed_federations(db.session, user)
    unit = db.session.get(Organisation, form.unit_id.data) if form.unit_id.data else None
    federation = archive.federation_of(unit) if unit is not None else federations[0]
    assert federation is not None, "the units offered lie below the user's federations"
    leader = db.session.get(ArchivePerson, form.leader_id.data) if form.leader_id.data else None
    with operation_errors(form) as outcome:
        if form.leader_id.data and leader is None:
            raise InvalidData("no such record", fields={"leader_id": [pick(_NO_RECORD)]})
        studio = archive.create_studio(
            db.session,
            federation,
            user,
            name=form.name.data or "",
            unit=unit,
            leader=leader,
            founded_on=form.founded_on.data,
            level=form.level.data,
        )
    if outcome.refused:
        return _render_studios(status=outcome.status, form=form, alerts=outcome.alerts)
    flash(tr("工作室已登记", "The studio is registered"), "success")
    return redirect(url_for(".studio", studio_id=studio.id))


def _render_studio(
    studio: Studio,
    *,
    status: int = 200,
    alerts: Sequence[str] = (),
    member_form: MemberForm | None = None,
    inspection_form: InspectionForm | None = None,
) -> ResponseReturnValue:
    user = signed_in_user()
    may_manage = can_manage_archive(user, db.session.get(Organisation, studio.federation_id))
    active = [m for m in studio.members if m.left_on is None]
    return (
        render_template(
            "archive/studio.html",
            studio=studio,
            active_members=len(active),
            min_team=archive.STUDIO_MIN_TEAM,
            may_manage=may_manage,
            can_open_person=lambda p: p is not None and can_view_person(user, p),
            member_form=member_form or (MemberForm(formdata=None) if may_manage else None),
            inspection_form=inspection_form
            or (InspectionForm(formdata=None) if may_manage else None),
            alerts=alerts,
            person_of=lambda pid: db.session.get(ArchivePerson, pid) if pid else None,
            **_labels(),
        ),
        status,
    )


@bp.route("/studios/<int:studio_id>")
@login_required
def studio(studio_id: int) -> ResponseReturnValue:
    """Show a studio: its unit, leader, members and inspections."""
    return _render_studio(load_studio(db.session, studio_id, signed_in_user()))


def _managed_studio(studio_id: int) -> Studio:
    user = signed_in_user()
    studio = load_studio(db.session, studio_id, user)
    if not can_manage_archive(user, db.session.get(Organisation, studio.federation_id)):
        abort(403, tr("只有区总工会可以管理工作室", "Only the federation manages studios"))
    return studio


@bp.route("/studios/<int:studio_id>/members", methods=["POST"])
@login_required
def add_member(studio_id: int) -> ResponseReturnValue:
    """Add a member to a studio (the federation)."""
    studio = _managed_studio(studio_id)
    form = MemberForm()
    if not form.validate_on_submit():
        return _render_studio(studio, status=422, member_form=form)
    person = db.session.get(ArchivePerson, form.person_id.data) if form.person_id.data else None
    with operation_errors(form) as outcome:
        if form.person_id.data and person is None:
            raise InvalidData("no such record", fields={"person_id": [pick(_NO_RECORD)]})
        archive.add_studio_member(
            db.session,
            studio,
            signed_in_user(),
            name=form.name.data,
            person=person,
            role=form.role.data or "",
            joined_on=form.joined_on.data,
        )
    if outcome.refused:
        return _render_studio(
            studio, status=outcome.status, alerts=outcome.alerts, member_form=form
        )
    flash(tr("成员已加入", "The member is added"), "success")
    return redirect(url_for(".studio", studio_id=studio.id))


@bp.route("/studios/<int:studio_id>/inspections", methods=["POST"])
@login_required
def record_inspection(studio_id: int) -> ResponseReturnValue:
    """Record an inspection of a studio (the federation)."""
    studio = _managed_studio(studio_id)
    form = InspectionForm()
    if not form.validate_on_submit():
        return _render_studio(studio, status=422, inspection_form=form)
    with operation_errors(form) as outcome:
        archive.record_inspection(
            db.session,
            studio,
            signed_in_user(),
            inspected_on=validated(form.inspected_on.data),
            result=form.result.data,
            note=form.note.data or None,
        )
    if outcome.refused:
        return _render_studio(
            studio, status=outcome.status, alerts=outcome.alerts, inspection_form=form
        )
    flash(tr("考核已记录", "The inspection is recorded"), "success")
    return redirect(url_for(".studio", studio_id=studio.id))


# --- a unit's own honours ----------------------------------------------------------------------


@bp.route("/units/<int:org_id>")
@login_required
def unit(org_id: int) -> ResponseReturnValue:
    """Show a unit's certificates (奖状), its teams' pioneer titles and its honoured people."""
    user = signed_in_user()
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise NotFound("no such organisation")
    if not can_view_unit_honours(user, org):
        raise OutOfScope("no such organisation")
    people = db.session.scalars(
        select(ArchivePerson)
        .where(ArchivePerson.unit_id == org.id, ArchivePerson.merged_into_id.is_(None))
        .where(person_scope(user))
        .order_by(ArchivePerson.name_pinyin)
    ).all()
    return render_template(
        "archive/unit.html",
        org=org,
        honours=archive.unit_honours(db.session, org),
        people=people,
        can_link_nomination=lambda h: (
            h.nomination is not None and can_view_nomination(user, h.nomination)
        ),
        **_labels(),
    )
