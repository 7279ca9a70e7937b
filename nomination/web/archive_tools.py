"""The archive's search page, statistics, import, export and printable record card.

URL table (the list itself keeps its address, ``archive.index`` at /archive/, and is drawn
here by :func:`render_archive_list`):

    /archive/statistics                    GET: honoured workers by title, level, year,
                                           status, unit and sector; tables and bar charts
    /archive/export?format=csv|xlsx&…      GET: the people the list's filters find, one
                                           honour per row, formulas neutralised
    /archive/import/template               GET: the .xlsx template
    /archive/import                        GET: the upload form; POST: the dry run (every
                                           row with its problems; writes nothing)
    /archive/import/commit                 POST: write the dry run's file into the archive
    /archive/people/<id>/card              GET: the printable record card (HTML)
    /archive/people/<id>/card.pdf          GET: the same as a PDF

Who may: whoever may open the archive searches, counts and exports their own scope (the
rule of ``archive_search.person_scope``); only the federation's reviewers and administrators
import (``permissions.can_manage_archive``) and take ID numbers and phones out in clear; the
card is shown to whoever may see the person, with the ID number in clear to those who report
on them (``permissions.can_see_id_number``). No personal data goes into a URL: the filters
hold names at most (as the public notices do), the card's address the record's number.

Between the dry run and the commit the file is kept on the server by its SHA-256 and the page
carries a token signed with the secret key binding it to the user, the federation and the
rows found invalid, as the import of nominations does (``web/imports.py``): the user uploads
once, and what is written is what the dry run showed, or the dry run is shown again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
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
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from nomination import db
from nomination.archive import spreadsheets as archive_io
from nomination.archive.people import mask_id_number, mask_phone
from nomination.archive.search import (
    DEFAULT_LIMIT,
    LEVEL_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
    Filters,
    SearchResult,
    UnitResult,
    check_filters,
    label,
    search,
    search_units,
    statistics,
    visible_units,
)
from nomination.audit.chain import append_event
from nomination.errors import InvalidData
from nomination.i18n import current_language, pick
from nomination.labels import HONOUR_STATUS_LABELS, phone_as_written
from nomination.models import Organisation, User
from nomination.models.archive import HONOUR_LEVELS, HONOUR_TYPES, PERSON_STATUSES
from nomination.nominations.printform import render_pdf
from nomination.nominations.queries import load_person
from nomination.permissions import (
    ARCHIVE_MANAGERS,
    can_manage_archive,
    can_see_id_number,
    can_view_archive,
    role_paths,
)
from nomination.uploads import StoredFileCorrupt, UploadRejected
from nomination.web.charts import Bar, horizontal_bars
from nomination.web.outcomes import operation_errors
from nomination.web.setup import org_name, signed_in_user, tr

bp = Blueprint("archive_tools", __name__, url_prefix="/archive")

#: The filters of the list, the export and the statistics, as the query string names them.
FILTER_NAMES = ("q", "title", "year", "level", "status", "unit_id", "honour_type")
#: How the services are named on the record card.
SERVICE_LABELS: dict[str, dict[str, str]] = {
    "health_check": {"zh": "健康体检", "en": "Health check"},
    "recuperation": {"zh": "疗休养", "en": "Recuperation leave"},
    "hardship_aid": {"zh": "困难帮扶", "en": "Hardship aid"},
    "visit": {"zh": "走访慰问", "en": "Visit"},
}
#: Page links shown on each side of the current page.
PAGE_WINDOW = 3


def _require_archive(user: User) -> None:
    if not can_view_archive(user):
        abort(403)


def _raw_filters() -> dict[str, str]:
    """Return the filters as typed (kept on the page whatever their errors)."""
    return {name: request.args.get(name, "").strip() for name in FILTER_NAMES}


def _checked(raw: dict[str, str]) -> tuple[Filters, dict[str, list[str]]]:
    """Return the filters checked, and the message of each one that is not valid."""
    with operation_errors(catch=(InvalidData,)) as outcome:
        return check_filters(**raw), {}
    good = {k: v for k, v in raw.items() if k not in outcome.fields}
    return check_filters(**good), outcome.fields


def _options(user: User) -> dict[str, Any]:
    """Return what the filter form offers: levels, types, statuses, the user's units."""
    return {
        "levels": [(v, label(LEVEL_LABELS, v)) for v in HONOUR_LEVELS],
        "types": [(v, label(TYPE_LABELS, v)) for v in HONOUR_TYPES],
        "statuses": [(v, label(STATUS_LABELS, v)) for v in PERSON_STATUSES],
        "unit_choices": [(u.id, org_name(u), u.kind) for u in visible_units(db.session, user)],
    }


def _pages(total: int, limit: int, page: int) -> list[int | None]:
    """Return the page numbers to link (None for a gap), around ``page``."""
    last = max(1, -(-total // limit))
    shown = {1, last, *range(max(1, page - PAGE_WINDOW), min(last, page + PAGE_WINDOW) + 1)}
    out: list[int | None] = []
    for p in sorted(shown):
        if out and p - (out[-1] or 0) > 1:
            out.append(None)
        out.append(p)
    return out


def _importable(user: User) -> list[Organisation]:
    """Return the federations whose archive ``user`` may import into."""
    paths = [p for role in ARCHIVE_MANAGERS for p in role_paths(user, role)]
    if not paths:
        return []
    federations = db.session.scalars(
        select(Organisation).where(Organisation.kind == "federation").order_by(Organisation.path)
    )
    return [f for f in federations if can_manage_archive(user, f)]


# --- the list --------------------------------------------------------------------------------


def render_archive_list() -> ResponseReturnValue:
    """Draw the archive's list: the people found by name and filters, and units' honours."""
    user = signed_in_user()
    _require_archive(user)
    raw = _raw_filters()
    filters, errors = _checked(raw)
    holder = "units" if request.args.get("holder") == "units" else "people"
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    offset = (page - 1) * DEFAULT_LIMIT
    args = {k: getattr(filters, k) for k in ("q", "title", "year", "level", "unit_id")}
    people = units = None
    found: SearchResult | UnitResult
    if holder == "people":
        people = search(
            db.session,
            user,
            **args,
            status=filters.status,
            honour_type=filters.honour_type,
            offset=offset,
        )
        found = people
    else:
        units = search_units(
            db.session, user, **args, honour_type=filters.honour_type, offset=offset
        )
        found = units
    active = {k: v for k, v in raw.items() if v and k not in errors}
    page_html = render_template(
        "archive/index.html",
        raw=raw,
        errors=errors,
        holder=holder,
        people=people,
        units=units,
        found=found,
        page=page,
        pages=_pages(found.total, DEFAULT_LIMIT, page),
        active=active,
        can_import=bool(_importable(user)),
        mask_id=mask_id_number,
        status_label=lambda v: label(STATUS_LABELS, v),
        level_label=lambda v: label(LEVEL_LABELS, v),
        type_label=lambda v: label(TYPE_LABELS, v),
        honour_status_label=lambda v: label(HONOUR_STATUS_LABELS, v),
        **_options(user),
    )
    # A filter that is not valid is shown beside its field; the others still apply.
    return page_html, 422 if errors else 200


# --- statistics ------------------------------------------------------------------------------


@dataclass
class Dimension:
    """One table and chart of the statistics page."""

    key: str
    title: str
    heading: str
    rows: list[tuple[str, int]]
    chart: Any


#: Bars drawn at most per chart (the table lists every row).
CHART_BARS = 20


def _dimension(key: str, title: str, heading: str, rows: list[tuple[str, int]]) -> Dimension:
    bars = [Bar(name, count, "primary") for name, count in rows[:CHART_BARS]]
    chart = horizontal_bars(bars, title=title, chart_id=f"chart-{key}") if rows else None
    return Dimension(key, title, heading, rows, chart)


@bp.route("/statistics")
@login_required
def statistics_page() -> ResponseReturnValue:
    """Show how many honoured workers the user may see, by title, level, year, status, …."""
    user = signed_in_user()
    _require_archive(user)
    raw = {**_raw_filters(), "q": ""}
    filters, errors = _checked(raw)
    stats = statistics(db.session, user, filters)
    unknown = tr("(未填写)", "(not given)")
    dimensions = [
        _dimension("title", tr("按称号", "By title"), tr("称号", "Title"), stats.by_title),
        _dimension(
            "level",
            tr("按级别", "By level"),
            tr("级别", "Level"),
            [(label(LEVEL_LABELS, k), n) for k, n in stats.by_level],
        ),
        _dimension(
            "year",
            tr("按年度", "By year"),
            tr("年度", "Year"),
            [(str(y), n) for y, n in stats.by_year],
        ),
        _dimension(
            "status",
            tr("按状态", "By status"),
            tr("状态", "Status"),
            [(label(STATUS_LABELS, k), n) for k, n in stats.by_status],
        ),
        _dimension(
            "unit",
            tr("按单位", "By unit"),
            tr("单位", "Unit"),
            [(name or unknown, n) for name, n in stats.by_unit],
        ),
        _dimension(
            "sector",
            tr("按行业", "By sector"),
            tr("行业", "Sector"),
            [(name or unknown, n) for name, n in stats.by_sector],
        ),
        _dimension(
            "units",
            tr("单位和集体荣誉(按称号)", "Honours of units and teams, by title"),
            tr("称号", "Title"),
            stats.units_by_title,
        ),
    ]
    page_html = render_template(
        "archive/statistics.html",
        stats=stats,
        dimensions=dimensions,
        raw=raw,
        errors=errors,
        active={k: v for k, v in raw.items() if v and k not in errors},
        **_options(user),
    )
    return page_html, 422 if errors else 200


# --- export ----------------------------------------------------------------------------------


@bp.route("/export")
@login_required
def export() -> ResponseReturnValue:
    """Send the people the list's filters find as CSV or Excel, one honour per row."""
    user = signed_in_user()
    _require_archive(user)
    fmt = request.args.get("format", "xlsx")
    if fmt not in ("csv", "xlsx"):
        abort(404)
    filters = check_filters(**_raw_filters())  # InvalidData: a page naming the filter
    language = current_language()
    allowed: dict[int, bool] = {}

    def clear(person: Any) -> bool:
        # A file leaves the system: ID numbers and phones in clear only for the managers.
        if person.federation_id not in allowed:
            federation = db.session.get(Organisation, person.federation_id)
            allowed[person.federation_id] = can_manage_archive(user, federation)
        return allowed[person.federation_id]

    rows = list(archive_io.export_rows(db.session, user, filters, language=language, clear=clear))
    if fmt == "csv":
        data, mimetype = archive_io.csv_bytes(rows), "text/csv; charset=utf-8"
    else:
        data, mimetype = archive_io.xlsx_bytes(rows, language), archive_io.XLSX_TYPE
    # Personal data leaves the system: who took what out is recorded (the filters, not names).
    append_event(
        db.session,
        action="archive.export",
        actor_id=user.id,
        actor_name=user.name,
        entity_type="archive_export",
        after={
            "format": fmt,
            "rows": len(rows) - 1,
            "clear": any(allowed.values()),
            "filters": {k: v for k, v in vars(filters).items() if v is not None and k != "q"},
            "by_name": filters.q is not None,
        },
    )
    name = tr("劳模档案", "archive") + f".{fmt}"
    # The full Content-Type, charset included: given as a mimetype, Werkzeug adds another.
    response = Response(data, content_type=mimetype)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"archive.{fmt}\"; filename*=UTF-8''{quote(name, safe='')}"
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- import ----------------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="archive-import-file")


def _federations_or_abort(user: User) -> list[Organisation]:
    federations = _importable(user)
    if not federations:
        abort(
            403,
            tr(
                "只有总工会的审核人员和管理员可以导入档案",
                "Only the federation's reviewers and administrators import into the archive",
            ),
        )
    return federations


@bp.route("/import/template")
@login_required
def import_template() -> ResponseReturnValue:
    """Send the import template, with the titles the federation's archive knows."""
    federations = _federations_or_abort(signed_in_user())
    federation = _chosen(federations, request.args.get("federation_id", type=int))
    titles = archive_io.known_titles(db.session, federation)
    data = archive_io.template(sorted(titles), current_language())
    name = tr("劳模档案导入模板.xlsx", "archive import template.xlsx")
    response = Response(data, mimetype=archive_io.XLSX_TYPE)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"archive-template.xlsx\"; filename*=UTF-8''{quote(name, safe='')}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _chosen(federations: list[Organisation], federation_id: int | None) -> Organisation:
    if federation_id is None:
        return federations[0]
    found = next((f for f in federations if f.id == federation_id), None)
    if found is None:
        abort(403, tr("您不能导入此总工会的档案", "You may not import into this archive"))
    return found


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_new() -> ResponseReturnValue:
    """Show the upload form; on upload, check every row and show the dry run (writing nothing)."""
    user = signed_in_user()
    federations = _federations_or_abort(user)
    if request.method == "GET":
        return _render_upload(federations)
    federation = _chosen(federations, request.form.get("federation_id", type=int))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        error = tr("请选择要上传的文件", "Choose the file to upload")
        return _render_upload(federations, federation, error=error, status=422)
    limit = min(int(current_app.config["UPLOAD_MAX_BYTES"]), archive_io.MAX_BYTES)
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        error = tr(f"文件超过了 {limit // 2**20} MiB", f"The file is over {limit // 2**20} MiB")
        return _render_upload(federations, federation, error=error, status=422)
    try:
        parsed = archive_io.read(data)
    except UploadRejected as exc:
        return _render_upload(federations, federation, error=exc.message, status=422)
    rows = archive_io.check(db.session, federation, parsed)
    sha256 = archive_io.keep_file(data) if any(r.valid for r in rows) else ""
    token = _serializer().dumps(
        {
            "sha256": sha256,
            "user": user.id,
            "federation": federation.id,
            "filename": upload.filename,
            "invalid": [r.row for r in rows if not r.valid],
        }
    )
    return _render_dry_run(federation, parsed, token, upload.filename)


def _render_upload(
    federations: list[Organisation],
    federation: Organisation | None = None,
    *,
    error: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return (
        render_template(
            "archive/import.html",
            federations=federations,
            chosen=federation or federations[0],
            error=error,
            max_rows=archive_io.MAX_ROWS,
            max_mib=archive_io.MAX_BYTES // 2**20,
        ),
        status,
    )


def _shown_rows(rows: list[archive_io.ArchiveRow]) -> list[dict[str, Any]]:
    headings = {c.key: pick({"zh": c.zh, "en": c.en}) for c in archive_io.COLUMNS}
    return [
        {
            "row": r.row,
            "valid": r.valid,
            "name": r.cells.get("name", ""),
            # The dry run does not need the ID number in full: enough to recognise the row.
            "id_number": mask_id_number(r.cells.get("id_number", "")),
            "title": r.cells.get("title", ""),
            "year": r.cells.get("year", ""),
            "errors": [
                (key, headings.get(key, key), messages) for key, messages in r.errors.items()
            ],
            "notes": r.notes,
        }
        for r in rows
    ]


def _render_dry_run(
    federation: Organisation,
    parsed: archive_io.ParsedFile,
    token: str,
    filename: str,
    *,
    accept_error: str | None = None,
    alerts: list[str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    rows = parsed.rows
    valid = sum(1 for r in rows if r.valid)
    return (
        render_template(
            "archive/import_dry_run.html",
            federation=federation,
            rows=_shown_rows(rows),
            total=len(rows),
            valid=valid,
            invalid=len(rows) - valid,
            ignored=parsed.ignored,
            file_format=parsed.format,
            filename=filename,
            token=token,
            accept_error=accept_error,
            alerts=alerts or [],
        ),
        status,
    )


@bp.route("/import/commit", methods=["POST"])
@login_required
def import_commit() -> ResponseReturnValue:
    """Write the dry run's file into the archive: every row, or the valid ones if so accepted."""
    user = signed_in_user()
    federations = _federations_or_abort(user)
    accept_valid_only = request.form.get("accept_valid_only") in ("y", "on", "1", "true")
    try:
        kept = _serializer().loads(request.form.get("token", ""), max_age=archive_io.KEEP_SECONDS)
    except SignatureExpired:
        return _start_again(tr("预检结果已过期,请重新上传", "The dry run expired; upload again"))
    except BadSignature:
        abort(400, tr("导入请求无效,请重新上传", "Invalid import request; upload again"))
    if kept["user"] != user.id:
        abort(403, tr("这不是您上传的文件", "This is not your upload"))
    federation = _chosen(federations, kept["federation"])
    try:
        data = archive_io.kept_file(kept["sha256"])
    except (FileNotFoundError, StoredFileCorrupt, ValueError):
        return _start_again(
            tr(
                "找不到预检的文件(可能已经导入或已过期),请重新上传",
                "The checked file is gone (imported already, or expired); upload it again",
            )
        )
    try:
        parsed = archive_io.read(data)
    except UploadRejected as exc:
        return _start_again(exc.message)
    rows = archive_io.check(db.session, federation, parsed)
    invalid = [r.row for r in rows if not r.valid]

    def again(alert: str | None, accept_error: str | None, status: int) -> ResponseReturnValue:
        token = _serializer().dumps({**kept, "invalid": invalid})
        return _render_dry_run(
            federation,
            parsed,
            token,
            kept["filename"],
            accept_error=accept_error,
            alerts=[alert] if alert else [],
            status=status,
        )

    if invalid != kept["invalid"]:
        # Someone added one of these honours meanwhile: the user decides on the new result.
        changed = tr(
            "检查结果与预检时不同(档案已有变化),请重新核对后再确认导入",
            "The check found something new since the dry run (the archive changed); review it "
            "and confirm again",
        )
        return again(changed, None, 409)
    if invalid and not accept_valid_only:
        refused = tr(
            "有错误的行不会导入,全部导入被拒绝;请勾选此项以只导入无误的行,或修改文件后重新上传",
            "Rows with errors cannot be imported, so nothing was: tick this to import only the "
            "valid rows, or correct the file and upload it again",
        )
        return again(None, refused, 422)
    result = archive_io.commit(
        db.session,
        actor=user,
        federation=federation,
        rows=rows,
        accept_valid_only=accept_valid_only,
        file_sha256=kept["sha256"],
    )
    # The file holds ID numbers and phones: once imported it is of no more use.
    archive_io.discard_file(kept["sha256"])
    left_out = len(result.left_out)
    flash(
        tr(
            f"已导入 {len(result.honours)} 项荣誉:新建 {len(result.created)} 人,"
            f"补充 {len(result.extended)} 人" + (f";未导入 {left_out} 行" if left_out else ""),
            f"Imported {len(result.honours)} honours: {len(result.created)} new people, "
            f"{len(result.extended)} records extended"
            + (f"; {left_out} rows left out" if left_out else ""),
        ),
        "success",
    )
    return redirect(url_for("archive.index"))


def _start_again(message: str) -> ResponseReturnValue:
    flash(message, "warning")
    return redirect(url_for(".import_new"))


# --- the record card -------------------------------------------------------------------------


def _card_context(person_id: int) -> dict[str, Any]:
    user = signed_in_user()
    person = load_person(db.session, person_id, user)
    clear = can_see_id_number(user, person)
    return {
        "person": person,
        "id_number": person.id_number if clear else mask_id_number(person.id_number),
        "phone": phone_as_written(person.phone)
        if clear
        else mask_phone(phone_as_written(person.phone)),
        "unit": org_name(person.unit) if person.unit is not None else person.unit_name,
        "status_label": lambda v: label(STATUS_LABELS, v),
        "level_label": lambda v: label(LEVEL_LABELS, v),
        "type_label": lambda v: label(TYPE_LABELS, v),
        "honour_status_label": lambda v: label(HONOUR_STATUS_LABELS, v),
        "gender": label(archive_io.GENDER_LABELS, person.gender) if person.gender else "",
        "service_label": lambda v: label(SERVICE_LABELS, v),
    }


@bp.route("/people/<int:person_id>/card")
@login_required
def card(person_id: int) -> ResponseReturnValue:
    """Show the person's record card, ready to print."""
    return render_template("archive/card.html", pdf=False, **_card_context(person_id))


@bp.route("/people/<int:person_id>/card.pdf")
@login_required
def card_pdf(person_id: int) -> ResponseReturnValue:
    """Send the person's record card as a PDF."""
    context = _card_context(person_id)
    pdf = render_pdf(render_template("archive/card.html", pdf=True, **context))
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="archive-card-{person_id}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
