"""Batch import of nominations from an Excel sheet, for a nominating unit's submitters.

URL table (the dry run creates nothing; only the commit does):

    /imports/template?campaign_id=&kind=   GET: the award's .xlsx template
    /imports/new?campaign_id=&kind=        GET: choose the award and unit, upload the sheet
                                           POST: the dry run: every row with its errors
    /imports/commit                        POST: create the nominations of the dry run's sheet

Between the dry run and the commit the sheet is kept on the server by its SHA-256
(``imports.keep_sheet``), and the dry-run page carries a form field signed with the secret key
that binds the hash to the user, the campaign, the award, the unit and the rows found invalid.
The commit reads and validates the kept bytes again and trusts nothing else from the client:
the user does not pick the file a second time (and cannot pick another one by mistake), and
what is created is what the dry run showed, or the dry run is shown again.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import login_required
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from wtforms import BooleanField, FileField, HiddenField, SelectField, validators

from nomination import db, engine
from nomination.definitions.forms import FormDef
from nomination.i18n import current_language, lazy, pick
from nomination.models import Campaign, Organisation, User
from nomination.nominations.imports import (
    KEEP_SECONDS,
    MAX_ROWS,
    XLSX_TYPE,
    RowResult,
    SheetRejected,
    check_existing,
    commit,
    discard_sheet,
    identity_field,
    keep_sheet,
    kept_sheet,
    read,
    template,
)
from nomination.nominations.queries import open_campaigns, submitter_unit_choices
from nomination.uploads import StoredFileCorrupt
from nomination.web.setup import award_title, campaign_name, org_name, signed_in_user, tr

bp = Blueprint("imports", __name__, url_prefix="/imports")


class ImportForm(FlaskForm):
    """The award, the nominating unit and the sheet."""

    award = SelectField(
        lazy({"zh": "评选活动和奖项", "en": "Campaign and award"}),
        validators=[validators.InputRequired()],
    )
    unit_id = SelectField(
        lazy({"zh": "推荐单位", "en": "Nominating unit"}),
        coerce=int,
        validators=[validators.InputRequired()],
    )
    sheet = FileField(
        lazy({"zh": "Excel 文件(.xlsx)", "en": "Excel file (.xlsx)"}),
        description=lazy(
            {
                "zh": f"用本奖项的导入模板填写,每行一位,最多 {MAX_ROWS} 行。",
                "en": f"Fill in this award's template, one nominee per row, at most {MAX_ROWS}.",
            }
        ),
        render_kw={"accept": f".xlsx,{XLSX_TYPE}"},
    )


class CommitForm(FlaskForm):
    """The dry run's signed sheet, and whether the rows with errors are to be left out."""

    token = HiddenField(validators=[validators.InputRequired()])
    accept_valid_only = BooleanField()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="nomination-import-sheet")


def _units_or_abort(user: User) -> list[Organisation]:
    units = submitter_unit_choices(db.session, user)
    if not units:
        abort(403, tr("您不能为任何单位推荐", "You may not nominate for any unit"))
    return units


def _open_award(campaign_id: int | None, kind: str) -> tuple[Campaign, FormDef]:
    """Return the open campaign and the nominee form of its award ``kind``, or abort with 404."""
    campaign = db.session.get(Campaign, campaign_id) if campaign_id else None
    award = campaign.award(kind) if campaign is not None else None
    if campaign is None or award is None or campaign.status != "open":
        abort(
            404, tr("该评选活动未开放此奖项的推荐", "This campaign takes no such nominations now")
        )
    return campaign, engine.workflow_by_hash(db.session, award.definition_hash).nominee_form


def _awards() -> list[tuple[Campaign, str]]:
    return [(c, a.kind) for c in open_campaigns(db.session) for a in c.awards]


def _award_choices() -> list[tuple[str, str]]:
    """Return the awards open to imports: "campaign id:kind", and the award's name."""
    return [
        (f"{c.id}:{kind}", f"{campaign_name(c)} · {award_title(c, kind)}") for c, kind in _awards()
    ]


def _import_form(units: list[Organisation], awards: list[tuple[str, str]]) -> ImportForm:
    form = ImportForm()
    form.award.choices = awards
    form.unit_id.choices = [(u.id, org_name(u)) for u in units]
    return form


# --- the template ----------------------------------------------------------------------------


@bp.route("/template")
@login_required
def download_template() -> ResponseReturnValue:
    """Send the award's import template, in the page's language."""
    _units_or_abort(signed_in_user())
    kind = request.args.get("kind", "")
    campaign, defn = _open_award(request.args.get("campaign_id", type=int), kind)
    award = award_title(campaign, kind)
    data = template(defn, current_language(), title=f"{campaign_name(campaign)} · {award}")
    name = tr(f"{award}批量导入模板.xlsx", f"{award} import template.xlsx")
    response = Response(data, mimetype=XLSX_TYPE)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="import-template-{kind}.xlsx"; '
        f"filename*=UTF-8''{quote(name, safe='')}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# --- the upload and the dry run --------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    """Show the upload form; on upload, check every row and show the dry run (creating nothing)."""
    user = signed_in_user()
    units = _units_or_abort(user)
    awards = _award_choices()
    form = _import_form(units, awards)
    if request.method == "GET":
        # Preselect the award the link named, or the campaign's first award.
        campaign_id, kind = request.args.get("campaign_id", ""), request.args.get("kind", "")
        values = [value for value, _ in awards]
        form.award.data = next(
            (v for v in values if v == f"{campaign_id}:{kind}"),
            next((v for v in values if v.startswith(f"{campaign_id}:")), None),
        )
        return _render_new(form)
    if not form.validate():
        return _render_new(form, status=422)
    campaign_id, _, kind = form.award.data.partition(":")
    campaign, defn = _open_award(int(campaign_id), kind)
    unit = next(u for u in units if u.id == form.unit_id.data)
    upload = request.files.get("sheet")
    if upload is None or not upload.filename:
        form.sheet.errors = [tr("请选择要上传的 Excel 文件", "Choose the Excel file to upload")]
        return _render_new(form, status=422)
    limit = int(current_app.config["UPLOAD_MAX_BYTES"])
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        form.sheet.errors = [
            tr(f"文件超过了 {limit // 2**20} MiB", f"The file is over {limit // 2**20} MiB")
        ]
        return _render_new(form, status=422)
    try:
        rows = read(data, defn)
        check_existing(db.session, rows, campaign=campaign, kind=kind, unit=unit)
        sha256 = keep_sheet(data) if any(r.valid for r in rows) else ""
    except SheetRejected as exc:
        form.sheet.errors = [exc.message]
        return _render_new(form, status=422)
    token = _serializer().dumps(
        {
            "sha256": sha256,
            "user": user.id,
            "campaign": campaign.id,
            "kind": kind,
            "unit": unit.id,
            "filename": upload.filename,
            "invalid": [r.row for r in rows if not r.valid],
        }
    )
    return _render_dry_run(campaign, kind, unit, defn, rows, token, upload.filename)


def _render_new(form: ImportForm, *, status: int = 200) -> ResponseReturnValue:
    templates = [
        (c, kind, url_for(".download_template", campaign_id=c.id, kind=kind))
        for c, kind in _awards()
    ]
    return render_template("imports/new.html", form=form, templates=templates), status


def _render_dry_run(
    campaign: Campaign,
    kind: str,
    unit: Organisation,
    defn: FormDef,
    rows: list[RowResult],
    token: str,
    filename: str,
    *,
    form: CommitForm | None = None,
    alerts: list[str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """Show every row with its errors beside the fields they concern, and the commit form."""
    labels = {f.name: pick(f.label) for f in defn.fields}
    name_field = defn.title_field or (identity_field(defn) or defn.fields[0]).name
    shown = [
        {
            "row": r.row,
            "valid": r.valid,
            "name": r.cells.get(name_field, ""),
            "errors": [(name, labels.get(name, name), msgs) for name, msgs in r.errors.items()],
            "cells": [
                (f.name, labels[f.name], r.cells.get(f.name, ""), r.errors.get(f.name, []))
                for f in defn.fields
                if f.name in r.cells or f.name in r.errors
            ],
        }
        for r in rows
    ]
    valid = sum(1 for r in rows if r.valid)
    if form is None:
        form = CommitForm(formdata=None)
    form.token.data = token
    form.accept_valid_only.label.text = tr(
        f"只导入 {valid} 条无误的记录,略去 {len(rows) - valid} 行有错误的记录",
        f"Import only the {valid} valid rows and leave out the {len(rows) - valid} with errors",
    )
    return (
        render_template(
            "imports/dry_run.html",
            campaign=campaign,
            kind=kind,
            unit=unit,
            rows=shown,
            total=len(rows),
            valid=valid,
            invalid=len(rows) - valid,
            filename=filename,
            form=form,
            alerts=alerts or [],
        ),
        status,
    )


# --- the commit ------------------------------------------------------------------------------


@bp.route("/commit", methods=["POST"])
@login_required
def commit_import() -> ResponseReturnValue:
    """Create the nominations of the dry run's sheet: all, or the valid ones if so accepted."""
    user = signed_in_user()
    units = _units_or_abort(user)
    form = CommitForm()
    if not form.validate():
        abort(400, tr("导入请求无效,请重新上传", "Invalid import request; upload again"))
    try:
        sheet = _serializer().loads(form.token.data or "", max_age=KEEP_SECONDS)
    except SignatureExpired:
        return _start_again(tr("预检结果已过期,请重新上传", "The dry run expired; upload again"))
    except BadSignature:
        abort(400, tr("导入请求无效,请重新上传", "Invalid import request; upload again"))
    if sheet["user"] != user.id:
        abort(403, tr("这不是您上传的文件", "This is not your upload"))
    campaign, defn = _open_award(sheet["campaign"], sheet["kind"])
    unit = next((u for u in units if u.id == sheet["unit"]), None)
    if unit is None:
        abort(403, tr("您不能为此单位推荐", "You may not nominate for this unit"))
    try:
        data = kept_sheet(sheet["sha256"])
    except (FileNotFoundError, StoredFileCorrupt, ValueError):
        return _start_again(
            tr(
                "找不到预检的文件(可能已经导入或已过期),请重新上传",
                "The checked file is gone (imported already, or expired); upload it again",
            )
        )
    kind = sheet["kind"]
    try:
        rows = read(data, defn)
    except SheetRejected as exc:
        return _start_again(exc.message)
    check_existing(db.session, rows, campaign=campaign, kind=kind, unit=unit)
    invalid = [r.row for r in rows if not r.valid]

    def again(alert: str | None, status: int) -> ResponseReturnValue:
        token = _serializer().dumps({**sheet, "invalid": invalid})
        return _render_dry_run(
            campaign,
            kind,
            unit,
            defn,
            rows,
            token,
            sheet["filename"],
            form=form,
            alerts=[alert] if alert else [],
            status=status,
        )

    if invalid != sheet["invalid"]:
        # Someone nominated one of these people meanwhile: the user decides on the new result.
        changed = tr(
            "检查结果与预检时不同,请重新核对后再确认导入",
            "The check found something new since the dry run; review it and confirm again",
        )
        return again(changed, 409)
    if invalid and not form.accept_valid_only.data:
        form.accept_valid_only.errors = [
            tr(
                "有错误的行不会导入;请勾选此项以只导入无误的行,或修改表格后重新上传",
                "Rows with errors cannot be imported: tick this to import only the valid "
                "rows, or correct the sheet and upload it again",
            )
        ]
        return again(None, 422)
    created = commit(
        db.session,
        actor=user,
        campaign=campaign,
        kind=kind,
        unit=unit,
        rows=rows,
        accept_valid_only=bool(form.accept_valid_only.data),
        sheet_sha256=sheet["sha256"],
    )
    # The sheet holds ID numbers and phones: once imported it is of no more use.
    discard_sheet(sheet["sha256"])
    left_out = len(rows) - len(created)
    flash(
        tr(
            f"已导入 {len(created)} 条推荐(草稿)" + (f",未导入 {left_out} 行" if left_out else ""),
            f"Imported {len(created)} nominations (drafts)"
            + (f"; {left_out} rows left out" if left_out else ""),
        ),
        "success",
    )
    return redirect(url_for("nominations.dashboard", campaign_id=campaign.id, kind=kind))


def _start_again(message: str) -> ResponseReturnValue:
    """Send the user back to the upload form with ``message``."""
    flash(message, "warning")
    return redirect(url_for(".new"))
