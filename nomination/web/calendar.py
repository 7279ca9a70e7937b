"""The calendar's administration: each year's grade, entering the arrangement, confirming a year.

URL table:

    /admin/calendar                    the years around today with their grades (administrators)
    /admin/calendar/<year>             one year: its days off; enter or correct its arrangement,
                                       with a preview of the open periods whose end would move
    /admin/calendar/<year>/confirm     accept the year's provisional calendar (POST, a reason)
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField, validators

from nomination import db
from nomination.calendar import store
from nomination.calendar.operations import (
    PERIOD_LABELS,
    confirm_year,
    parse_arrangement,
    preview_arrangement,
    set_arrangement,
)
from nomination.calendar.queries import listed_years, missing_years, year_view
from nomination.calendar.workdays import FIRST_YEAR, LAST_YEAR, Grade
from nomination.db import utcnow
from nomination.i18n import lazy
from nomination.permissions import can_manage_calendar
from nomination.web.outcomes import Outcome, operation_errors
from nomination.web.setup import tr

bp = Blueprint("calendar", __name__, url_prefix="/admin/calendar")


class ArrangementForm(FlaskForm):
    """A year's official arrangement, as the State Council's notice gives it."""

    holidays = TextAreaField(
        lazy({"zh": "放假的工作日", "en": "Weekdays off"}),
        render_kw={"rows": 8},
    )
    workdays = TextAreaField(
        lazy({"zh": "调休上班的周末", "en": "Weekend days worked"}),
        render_kw={"rows": 4},
    )
    source = StringField(
        lazy({"zh": "通知文号", "en": "The State Council's notice"}),
        # Required: the operation says so beside the field, with the dates' errors.
        validators=[validators.Length(max=300)],
    )
    version = HiddenField()


class ConfirmForm(FlaskForm):
    """Accept a year's provisional calendar for the periods that run into it."""

    reason = TextAreaField(
        lazy({"zh": "确认理由", "en": "Reason"}),
        validators=[validators.InputRequired(), validators.Length(max=1000)],
        render_kw={"rows": 3},
    )
    version = HiddenField()


def _require_manager() -> None:
    if not can_manage_calendar(current_user):
        abort(403, tr("仅系统管理员可以管理日历", "Only administrators manage the calendar"))


def _year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        abort(404)


def _lines(text: str | None) -> list[str]:
    return [line for line in (text or "").replace(",", "\n").splitlines() if line.strip()]


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    """List the years around today with their grades."""
    _require_manager()
    wanted = request.args.get("year", type=int)
    if wanted is not None and FIRST_YEAR <= wanted <= LAST_YEAR:
        return redirect(url_for(".year_page", year=wanted))
    cal = store.current()
    today = cal.local(utcnow()).date()
    years = [year_view(db.session, cal, y) for y in listed_years(db.session, cal, today)]
    return render_template(
        "calendar/index.html",
        years=years,
        missing=missing_years(cal, utcnow()),
        Grade=Grade,
        first_year=FIRST_YEAR,
        last_year=LAST_YEAR,
        asked=request.args.get("year"),
    )


def _describe(form: ArrangementForm, year: int) -> None:
    """Give the fields' hints with dates of the year shown."""
    form.holidays.description = tr(
        f"每行一个日期({year}-01-01),或一段日期({year}-10-01/{year}-10-07,取其中的工作日)",
        f"One date a line ({year}-01-01), or a range ({year}-10-01/{year}-10-07: its weekdays)",
    )
    form.workdays.description = tr(
        "每行一个周六或周日,或一段日期(取其中的周末)",
        "One Saturday or Sunday a line, or a range (its weekend days)",
    )
    form.source.description = tr(
        f"例如:国办发明电〔{year - 1}〕X号", f"e.g. 国办发明电〔{year - 1}〕X号"
    )


def _render_year(
    year: int,
    form: ArrangementForm | None = None,
    confirm: ConfirmForm | None = None,
    preview: list[Any] | None = None,
    alerts: list[str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    cal = store.current()
    view = year_view(db.session, cal, year)
    if form is None:
        form = ArrangementForm(formdata=None)
        if view.grade is Grade.OFFICIAL:
            # A correction starts from the days in force.
            form.holidays.data = "\n".join(d.isoformat() for d in view.holidays)
            form.workdays.data = "\n".join(d.isoformat() for d in view.workdays)
            form.source.data = view.row.source if view.row is not None else ""
        form.version.data = view.version
    _describe(form, year)
    if confirm is None:
        confirm = ConfirmForm(formdata=None)
        confirm.version.data = view.version
    return (
        render_template(
            "calendar/year.html",
            view=view,
            form=form,
            confirm=confirm,
            preview=preview,
            alerts=alerts or [],
            labels=PERIOD_LABELS,
            cal=cal,
            Grade=Grade,
        ),
        status,
    )


def _refused(year: int, outcome: Outcome, **forms: FlaskForm) -> ResponseReturnValue:
    """Show the year again with the refused form as typed: errors beside fields, or a conflict."""
    if not outcome.conflict:
        return _render_year(year, alerts=outcome.alerts, status=outcome.status, **forms)
    (form,) = forms.values()
    # What was typed stays; the hidden version becomes the current one, so that a second
    # submission, made knowingly, goes through.
    form.version.data = year_view(db.session, store.current(), year).version
    message = tr(
        f"{year} 年的日历刚被他人修改或确认:请核对当前内容后再提交。",
        f"{year}'s calendar was just changed or confirmed by someone else: check it, submit again.",
    )
    return _render_year(year, alerts=[message], status=409, **forms)


@bp.route("/<int:year>", methods=["GET", "POST"])
@login_required
def year_page(year: int) -> ResponseReturnValue:
    """Show a year; preview or save its arrangement."""
    _require_manager()
    _year(year)
    if request.method == "GET":
        return _render_year(year)
    form = ArrangementForm()
    form.validate()
    holidays, workdays = _lines(form.holidays.data), _lines(form.workdays.data)
    with operation_errors(form) as outcome:
        # Every field is checked at once: the dates as well as the form's own rules.
        arrangement = parse_arrangement(year, holidays, workdays, form.source.data or "")
        if form.errors:
            return _render_year(year, form=form, status=422)
        if request.form.get("action") != "save":
            preview = preview_arrangement(db.session, year, arrangement)
            return _render_year(year, form=form, preview=preview)
        moved = set_arrangement(
            db.session,
            actor=current_user,
            year=year,
            holidays=holidays,
            workdays=workdays,
            source=form.source.data or "",
            expected_version=form.version.data or "",
        )
    if outcome.refused:
        return _refused(year, outcome, form=form)
    flash(
        tr(
            f"{year} 年放假安排已录入;{len(moved)} 个进行中的期限已重新计算。",
            f"The {year} arrangement is entered; {len(moved)} open period(s) recounted.",
        ),
        "success",
    )
    return redirect(url_for(".year_page", year=year))


@bp.route("/<int:year>/confirm", methods=["POST"])
@login_required
def confirm(year: int) -> ResponseReturnValue:
    """Accept the year's provisional calendar: its periods may close at their provisional end."""
    _require_manager()
    _year(year)
    form = ConfirmForm()
    if not form.validate():
        return _render_year(year, confirm=form, status=422)
    with operation_errors(form) as outcome:
        moved = confirm_year(
            db.session,
            actor=current_user,
            year=year,
            reason=form.reason.data or "",
            expected_version=form.version.data or "",
        )
    if outcome.refused:
        return _refused(year, outcome, confirm=form)
    flash(
        tr(
            f"已确认 {year} 年暂定日历;{len(moved)} 个期限可按暂定日期结束。",
            f"{year}'s provisional calendar is confirmed; {len(moved)} period(s) may now close.",
        ),
        "success",
    )
    return redirect(url_for(".year_page", year=year))
