"""The auditor's workspace: the global log, timelines, verification, exports; and receipts.

URL table (auditors and administrators, ``can_audit``, unless said otherwise):

    /audit/?from=&to=&actor=&role=&org=&campaign=&nomination=&action=&before=
                                    the global log, newest first, filtered, a page at a time
                                    (``before``: keyset, the sequence number to continue below)
    /audit/nominations/<id>         a nomination's timeline from creation to archive, each
                                    decision with the version (and data) its reviewer saw
    /audit/people                   GET the form, POST an ID number or name: that person's
                                    nominations and honour records (never in a URL)
    /audit/verify                   GET the chain, tree and checkpoint status and the last full
                                    verification; POST run it again (bounded in time)
    /audit/export                   GET the form; POST download JSON Lines, CSV or Excel for a
                                    date range or campaign (personal data only with permission)

Template globals for other pages: ``published_checkpoint()`` (the notice board),
``nomination_receipt(nomination)`` (the nominating unit) and ``objection_receipt(reference)``
(the objector's confirmation).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField

# types-WTForms 3.2 lacks SelectChoice, which WTForms 3.3 has: the stub is behind the library.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import Length, Optional

from nomination import db, engine
from nomination.audit import reading as audit_views
from nomination.audit.checkpoints import latest_checkpoint, trusted_keys
from nomination.audit.export import export_lines
from nomination.errors import NotFound
from nomination.i18n import pick
from nomination.labels import ROLE_LABELS, checkpoint_reason
from nomination.models import Campaign, Nomination, User
from nomination.nominations.queries import audit_head, honour_of
from nomination.objections.operations import objection_status
from nomination.permissions import (
    can_audit,
    can_export_personal_data,
    can_get_receipt,
    can_handle_objections,
)
from nomination.web.outcomes import operation_errors
from nomination.web.public import OBJECTION_STATUS
from nomination.web.setup import signed_in_user, tr

bp = Blueprint("audit", __name__, url_prefix="/audit")

#: Events per page of the global log.
PAGE_SIZE = 50
#: How much of each hash the list shows; enough to compare with ``nomination audit verify``.
HASH_PREFIX = 12


def _require_auditor() -> User:
    user = signed_in_user()
    if not can_audit(user):
        abort(403, tr("只有审计人员和管理员可以查看审计记录", "Only auditors may read the trail"))
    return user


def _date_arg(name: str, errors: list[str]) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(tr(f"日期格式应为 YYYY-MM-DD:{raw}", f"Dates are YYYY-MM-DD: {raw}"))
        return None


def _text_arg(name: str) -> str | None:
    return (request.args.get(name) or "").strip()[:100] or None


# --- the global log --------------------------------------------------------------------------


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    """List the events newest first, filtered, a page at a time; each with its changes."""
    user = _require_auditor()
    errors: list[str] = []
    filters = audit_views.EventFilter(
        start=_date_arg("from", errors),
        end=_date_arg("to", errors),
        actor=_text_arg("actor"),
        role=_text_arg("role"),
        organisation=_text_arg("org"),
        campaign_id=request.args.get("campaign", type=int),
        nomination_id=request.args.get("nomination", type=int)
        or request.args.get("entity", type=int),
        action=_text_arg("action"),
    )
    before = request.args.get("before", type=int)
    page = audit_views.page_of_events(
        db.session, filters, current_app.config["TZ"], before=before, limit=PAGE_SIZE
    )
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.year.desc())).all()
    return render_template(
        "audit/index.html",
        head=audit_head(db.session),
        last=audit_views.last_verification(),
        rows=audit_views.rows_for(db.session, page.events, user),
        next_url=url_for(".index", before=page.next_before, **filters.as_args())
        if page.next_before
        else None,
        first_url=url_for(".index", **filters.as_args()) if before else None,
        filters=filters,
        errors=errors,
        campaigns=campaigns,
        roles=ROLE_LABELS,
        hash_prefix=HASH_PREFIX,
        page_size=PAGE_SIZE,
    )


# --- timelines -------------------------------------------------------------------------------


def _objections(nomination: Nomination, in_full: bool) -> list[dict[str, Any]]:
    rows = []
    for o in nomination.objections:
        row: dict[str, Any] = {
            "status": o.status,
            "status_label": pick(OBJECTION_STATUS.get(o.status, o.status)),
            "received_at": o.received_at,
        }
        if in_full:
            row.update(objector_name=o.objector_name, facts=o.facts, conclusion=o.conclusion)
        rows.append(row)
    return rows


@bp.route("/nominations/<int:nomination_id>")
@login_required
def nomination_timeline(nomination_id: int) -> ResponseReturnValue:
    """Show every event of a nomination, the versions its reviewers saw, and its outcome."""
    user = _require_auditor()
    nomination = db.session.get(Nomination, nomination_id)
    if nomination is None:
        abort(404, tr("没有这个推荐", "No such nomination"))
    wf = engine.workflow_for(nomination)
    in_full = can_handle_objections(user, nomination)
    return render_template(
        "audit/nomination.html",
        nomination=nomination,
        state=wf.state(nomination.state),
        rows=audit_views.timeline_rows(db.session, nomination, user),
        honour=honour_of(db.session, nomination),
        objections=_objections(nomination, in_full),
        objections_in_full=in_full,
        hash_prefix=HASH_PREFIX,
    )


class PersonForm(FlaskForm):
    """Whom to look up: an ID number or a name, sent in the body, never in a URL."""

    id_number = StringField(validators=[Optional(), Length(max=18)])
    name = StringField(validators=[Optional(), Length(max=100)])


@bp.route("/people", methods=["GET", "POST"])
@login_required
def people() -> ResponseReturnValue:
    """Look a person up by ID number or name: their nominations and honour records."""
    _require_auditor()
    form = PersonForm()
    result = None
    status = 200
    if form.validate_on_submit():
        id_number = (form.id_number.data or "").strip() or None
        name = (form.name.data or "").strip() or None
        if id_number or name:
            found = audit_views.nominations_of_person(db.session, id_number=id_number, name=name)
            result = {
                "nominations": [(n, engine.workflow_for(n).state(n.state)) for n in found],
                "honours": audit_views.honours_of(db.session, found),
            }
        else:
            status = 422
            form.id_number.errors = [tr("请填写身份证号或姓名", "Give an ID number or a name")]
    elif form.is_submitted():
        status = 422
    return render_template("audit/people.html", form=form, result=result), status


# --- verification ----------------------------------------------------------------------------


class RunForm(FlaskForm):
    """The verification button (a CSRF token and nothing else)."""


def _checkpoint_info(cp: Any) -> dict[str, Any] | None:
    if cp is None:
        return None
    return {
        "id": cp.id,
        "tree_size": cp.tree_size,
        "root_hash": cp.root_hash,
        "signed_at": cp.signed_at,
        "key_id": cp.key_id,
        "reason": checkpoint_reason(cp.reason),
    }


def _as_read(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return a stored verification result with its start as a time (shown in local time)."""
    if not result or not isinstance(result.get("started_at"), str):
        return result
    try:
        return {**result, "started_at": datetime.fromisoformat(result["started_at"])}
    except ValueError:
        return result


@bp.route("/verify", methods=["GET", "POST"])
@login_required
def verify() -> ResponseReturnValue:
    """Show the chain, tree and checkpoint status; POST runs the full verification again.

    Each POST is bounded in time; a run cut short is continued by the next POST with
    ``continue`` (the page sends it by itself while a run is under way, showing progress).
    """
    user = _require_auditor()
    form = RunForm()
    ran = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, tr("请求已过期,请重试", "The form expired; try again"))
        seconds = float(current_app.config["AUDIT_VERIFY_SECONDS"])
        ran = audit_views.run_verification(
            db.session, seconds=seconds, by=user.username, resume="continue" in request.form
        )
    return render_template(
        "audit/verify.html",
        form=form,
        head=audit_head(db.session),
        checkpoint=_checkpoint_info(latest_checkpoint(db.session)),
        last=_as_read(ran or audit_views.last_verification()),
        ran=ran is not None,
    )


# --- exports ---------------------------------------------------------------------------------

FORMATS = {"jsonl": "JSON Lines", "csv": "CSV", "xlsx": "Excel"}


class ExportForm(FlaskForm):
    """What to export: a date range (local days) or a campaign, the format, personal data."""

    start = DateField(validators=[Optional()])
    end = DateField(validators=[Optional()])
    campaign = IntegerField(validators=[Optional()])
    format = SelectField(choices=[SelectChoice(k, v) for k, v in FORMATS.items()], default="jsonl")
    personal = BooleanField()


def _download(body: Any, content_type: str, filename: str) -> Response:
    # The full Content-Type, charset included: given as a mimetype, Werkzeug adds another.
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/export", methods=["GET", "POST"])
@login_required
def export() -> ResponseReturnValue:
    """Offer the export form; POST downloads the export."""
    user = _require_auditor()
    form = ExportForm()
    may_personal = can_export_personal_data(user)
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.year.desc())).all()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template(
            "audit/export.html",
            form=form,
            may_personal=may_personal,
            campaigns=campaigns,
            formats=FORMATS,
        ), status
    if form.personal.data and not may_personal:
        abort(403, tr("您不能导出个人信息", "You may not export personal data"))
    tz = current_app.config["TZ"]
    start, end = audit_views.time_range(form.start.data, form.end.data, tz)
    campaign_id = form.campaign.data
    name = "audit"
    if form.start.data or form.end.data:
        name += f"-{form.start.data or ''}_{form.end.data or ''}"
    if campaign_id:
        name += f"-campaign{campaign_id}"
    kind = form.format.data
    if kind == "jsonl":
        lines = export_lines(
            db.session,
            start=start,
            end=end,
            campaign_id=campaign_id,
            personal=bool(form.personal.data),
        )
        return _download(
            stream_with_context(lines), "application/jsonl; charset=utf-8", f"{name}.jsonl"
        )
    rows = audit_views.export_rows(
        db.session,
        tz=tz,
        personal=bool(form.personal.data),
        start=start,
        end=end,
        campaign_id=campaign_id,
    )
    if kind == "csv":
        return _download(
            stream_with_context(audit_views.csv_chunks(rows)),
            "text/csv; charset=utf-8",
            f"{name}.csv",
        )
    return _download(
        audit_views.xlsx_bytes(rows),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{name}.xlsx",
    )


# --- for other pages: the published checkpoint and receipts ----------------------------------


@bp.app_template_global()
def published_checkpoint() -> dict[str, Any] | None:
    """Return the latest checkpoint as the public sees it, or None when none was signed."""
    return _checkpoint_info(latest_checkpoint(db.session))


@bp.app_template_global()
def nomination_receipt(nomination: Nomination) -> audit_views.ReceiptStatus | None:
    """Return the receipt status of the unit's submission, for those who get it, else None."""
    if not current_user.is_authenticated or not can_get_receipt(signed_in_user(), nomination):
        return None
    return audit_views.receipt_status(
        db.session, audit_views.submission_event(db.session, nomination)
    )


@bp.app_template_global()
def objection_receipt(reference: str) -> audit_views.ReceiptStatus | None:
    """Return the receipt status of the objection with ``reference`` (its holder's)."""
    with operation_errors(catch=(NotFound,)) as outcome:
        objection = objection_status(db.session, reference)
    if outcome.refused:
        return None
    return audit_views.receipt_status(
        db.session, audit_views.objection_event(db.session, objection)
    )


@bp.app_template_global()
def public_key_url(key_id: str) -> str | None:
    """Return where the public key ``key_id`` can be downloaded, if it is known."""
    return url_for("api.public_key", key_id=key_id) if key_id in trusted_keys() else None
