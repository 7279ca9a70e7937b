"""Department consultation (征求意见) pages: a department's requests and its opinions.

URL table (department users, ``can_answer_consultation``; another department's request
answers 404 like a missing one):

    /consultations/?status=open|answered|all       the department's requests, open ones
                                                    first, overdue ones flagged, with counts
    /consultations/<id>                             GET the request: only the fields a
                                                    department is shown, and the opinion form;
                                                    POST the opinion (optimistic locking)
    /consultations/<id>/files/<attachment_id>       download a file given with the opinion

The federation's side reads the requests in the nomination's page: the template global
``consultation_panel(nomination)`` gives the panel ``nominations/_consultation.html`` shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import FileField, RadioField, TextAreaField, ValidationError, validators

# types-WTForms 3.2 lacks SelectChoice, which WTForms 3.3 has: the stub is behind the library.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]

from nomination import db, engine
from nomination.consultations.operations import (
    LIST_FILTERS,
    OPINIONS,
    consult_data,
    department_counts,
    department_requests,
    give_opinion,
    load_request,
    opinion_files,
    requests_of,
)
from nomination.db import utcnow
from nomination.i18n import lazy, pick
from nomination.models import Attachment, ConsultationRequest, Nomination
from nomination.permissions import (
    can_download_attachment,
    can_give_opinions,
    can_read_consultation,
)
from nomination.uploads import StoredFileCorrupt, UploadRejected, download_response, store_upload
from nomination.web.forms import VersionedForm, with_version
from nomination.web.outcomes import operation_errors
from nomination.web.setup import signed_in_user, tr

bp = Blueprint("consultations", __name__, url_prefix="/consultations")

#: How each status of a request is named, and the badge it wears.
STATUS_LABELS: dict[str, dict[str, str]] = {
    "open": {"zh": "待回复", "en": "Awaiting the answer"},
    "clear": {"zh": "无异议", "en": "No objection"},
    "adverse": {"zh": "有否决意见", "en": "Adverse (veto)"},
    "closed": {"zh": "无需回复", "en": "No longer needed"},
}
STATUS_BADGES = {"open": "warning", "clear": "success", "adverse": "danger", "closed": "secondary"}

_ADVERSE_NEEDS_REASON = lazy(
    {"zh": "提出否决意见须说明理由", "en": "An adverse opinion needs its reason"}
)


class OpinionForm(VersionedForm):
    """A department's opinion: no objection, or adverse with its reason; a file if need be."""

    opinion = RadioField(
        lazy({"zh": "部门意见", "en": "The department's opinion"}),
        choices=[
            SelectChoice("clear", lazy({"zh": "无异议", "en": "No objection"})),
            SelectChoice(
                "adverse", lazy({"zh": "有异议(一票否决)", "en": "Adverse (vetoes the nomination)"})
            ),
        ],
        validators=[
            validators.InputRequired(
                message=lazy({"zh": "请选择部门意见", "en": "Choose the department's opinion"})
            )
        ],
    )
    reason = TextAreaField(
        lazy({"zh": "理由", "en": "Reason"}),
        description=lazy(
            {
                "zh": "提出否决意见时必填,将作为不予推荐的理由记录。",
                "en": "Required with an adverse opinion; recorded as the reason for rejection.",
            }
        ),
        validators=[validators.Length(max=1000)],
    )
    file = FileField(
        lazy(
            {"zh": "附件(可选:PDF、JPEG、PNG、DOCX)", "en": "File (optional: PDF, JPEG, PNG, DOCX)"}
        ),
        description=lazy(
            {
                "zh": "例如部门的书面意见。文件按内容检查,仅区总工会和本部门可以下载。",
                "en": "E.g. the department's written opinion. Checked by its content; only the "
                "federation and your department can download it.",
            }
        ),
    )

    def validate_reason(self, field: TextAreaField) -> None:
        """Require the reason of an adverse opinion."""
        if self.opinion.data == "adverse" and not (field.data or "").strip():
            raise ValidationError(str(_ADVERSE_NEEDS_REASON))


def _status(status: str) -> dict[str, str]:
    return {
        "name": status,
        "label": pick(STATUS_LABELS.get(status, status)),
        "badge": STATUS_BADGES.get(status, "secondary"),
    }


def _nominee(req: ConsultationRequest) -> str:
    """Return the nominee's name when the department is shown it, else the request's number."""
    for field, value in consult_data(req):
        if field.name == _title_field(req.nomination) and value:
            return field.display(value)
    return tr(f"征求意见 {req.id}", f"Request {req.id}")


def _title_field(nomination: Nomination) -> str | None:
    return engine.workflow_for(nomination).nominee_form.title_field


@bp.app_context_processor
def _navigation() -> dict[str, Any]:
    """Give the navigation its link to the opinion requests (departments only)."""
    user = current_user
    signed_in = bool(user and user.is_authenticated)
    return {"nav_can_consult": signed_in and can_give_opinions(user)}


# --- a department's list ---------------------------------------------------------------------


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    """List the requests addressed to the user's departments, open ones first."""
    user = signed_in_user()
    status = request.args.get("status") or "open"
    if status not in LIST_FILTERS:
        status = "open"
    now = utcnow()
    rows = [
        {
            "request": r,
            "nominee": _nominee(r),
            "status": _status(r.status),
            "overdue": r.overdue(now),
        }
        for r in department_requests(db.session, user, status=status)
    ]
    return render_template(
        "consultations/index.html",
        rows=rows,
        status=status,
        counts=department_counts(db.session, user, now=now),
        filters=[
            ("open", tr("待回复", "Open")),
            ("answered", tr("已回复", "Answered")),
            ("all", tr("全部", "All")),
        ],
    )


# --- one request and its opinion -------------------------------------------------------------


def _render(
    req: ConsultationRequest,
    form: OpinionForm | None,
    *,
    posted: OpinionForm | None = None,
    alerts: Sequence[str] = (),
    status: int = 200,
) -> ResponseReturnValue:
    """Render a request; ``posted`` is an opinion that was not applied, shown as typed."""
    answerable = req.status == "open" and req.nomination.state == "consultation"
    files = [
        {
            "filename": a.filename,
            "size": a.size,
            "sha256": a.sha256,
            "url": url_for(".download", request_id=req.id, attachment_id=a.id),
        }
        for a in opinion_files(db.session, req)
    ]
    return (
        render_template(
            "consultations/request.html",
            req=req,
            nomination=req.nomination,
            nominee=_nominee(req),
            rows=[(pick(f.label), f.display(value)) for f, value in consult_data(req)],
            state=_status(req.status),
            overdue=req.overdue(utcnow()),
            files=files,
            form=form if answerable else None,
            posted=posted,
            posted_opinion=pick(STATUS_LABELS.get(posted.opinion.data or "", ""))
            if posted is not None
            else "",
            alerts=alerts,
        ),
        status,
    )


def _conflict_message() -> str:
    return tr(
        "此征求意见已由他人回复或已无需回复,您的意见未提交。请查看下方的当前情况;"
        "您填写的内容保留在下方。",
        "This request was answered by someone else, or no longer needs an answer: your opinion "
        "was not recorded. The request as it is now is shown below, with what you typed.",
    )


@bp.route("/<int:request_id>", methods=["GET", "POST"])
@login_required
def answer(request_id: int) -> ResponseReturnValue:
    """Show a request with the fields the department needs; record its opinion."""
    user = signed_in_user()
    req = load_request(db.session, request_id, user)
    if request.method == "GET":
        return _render(req, OpinionForm(formdata=None, version=req.version))

    form = OpinionForm()
    if req.status != "open" or req.nomination.state != "consultation":
        return _render(req, None, posted=form, alerts=[_conflict_message()], status=409)
    if not form.validate():
        return _render(req, form, status=422)
    stored = None
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        try:
            stored = store_upload(upload)
        except UploadRejected as exc:
            form.file.errors = [*form.file.errors, f"{upload.filename}: {exc.message}"]
            return _render(req, form, status=422)
    with operation_errors(form) as outcome:
        give_opinion(
            db.session,
            req,
            user,
            opinion=form.opinion.data,
            reason=form.reason.data,
            version=form.version.data,
            attachment=stored,
        )
    if outcome.conflict:
        # Show the request as it is now; what was typed stays on the page.
        form = with_version(form, req.version)
        if req.status == "open" and req.nomination.state == "consultation":
            return _render(req, form, alerts=[_conflict_message()], status=409)
        return _render(req, None, posted=form, alerts=[_conflict_message()], status=409)
    if outcome.invalid:
        return _render(req, form, alerts=outcome.alerts, status=outcome.status)
    if req.status == "adverse":
        flash(
            tr(
                "已提交否决意见,该推荐不予推荐。",
                "Your adverse opinion is recorded: the nomination is rejected.",
            ),
            "success",
        )
    else:
        flash(tr("已提交:无异议。", "Recorded: no objection."), "success")
    return redirect(url_for(".index"))


@bp.route("/<int:request_id>/files/<int:attachment_id>")
@login_required
def download(request_id: int, attachment_id: int) -> ResponseReturnValue:
    """Send a file given with the department's opinion, to that department."""
    user = signed_in_user()
    req = load_request(db.session, request_id, user)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.consultation_request_id != req.id:
        abort(404)
    if not can_download_attachment(user, attachment):
        abort(403, tr("您不能下载此文件", "You may not download this file"))
    try:
        return download_response(attachment)
    except (StoredFileCorrupt, FileNotFoundError):
        abort(410, tr("文件已损坏或丢失,请联系管理员", "The file is damaged or missing"))


# --- the federation's panel on the nomination page -------------------------------------------


@bp.app_template_global()
def consultation_panel(nomination: Nomination) -> dict[str, Any] | None:
    """Return what the nomination page shows of its consultation to the current user.

    The consultation's readers get every request in full; the unit and its committee only
    that a consultation is under way (after a veto its reason is in the opinions). None when
    there is nothing to show.
    """
    if not current_user.is_authenticated:
        return None
    user = signed_in_user()
    under_way = nomination.state == "consultation"
    if not can_read_consultation(user, nomination):
        return {"in_full": False, "under_way": True} if under_way else None
    requests = requests_of(db.session, nomination)
    if not requests and not under_way:
        return None
    files: dict[int | None, list[dict[str, Any]]] = {}
    for a in db.session.scalars(
        select(Attachment)
        .where(
            Attachment.nomination_id == nomination.id,
            Attachment.consultation_request_id.is_not(None),
        )
        .order_by(Attachment.id)
    ):
        if can_download_attachment(user, a):
            files.setdefault(a.consultation_request_id, []).append(
                {
                    "filename": a.filename,
                    "sha256": a.sha256,
                    "url": url_for(
                        "attachments.download", nomination_id=nomination.id, attachment_id=a.id
                    ),
                }
            )
    now = utcnow()
    rows = [
        {
            "id": r.id,
            "department": r.department,
            "status": _status(r.status),
            "due_at": r.due_at,
            "provisional": r.due_provisional,
            "overdue": r.overdue(now),
            "answered_by": r.answered_by.name if r.answered_by else "",
            "answered_at": r.answered_at,
            "reason": r.reason or "",
            "files": files.get(r.id, []),
        }
        for r in requests
    ]
    return {
        "in_full": True,
        "under_way": under_way,
        "rows": rows,
        "waiting": sum(1 for r in requests if r.status == "open"),
        "answered": sum(1 for r in requests if r.status in OPINIONS),
    }
