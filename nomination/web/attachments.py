"""Files attached to a nomination: uploading (checked by content) and downloading.

URL table:

    /nominations/<id>/attachments                  POST: upload one file for a purpose
    /nominations/<id>/attachments/<attachment_id>  GET: download it (always as an attachment)

Who may attach what, and who may download which file, are the predicates ``can_attach`` and
``can_download_attachment``; files sent with an objection go to the objection handlers only.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import FileField, SelectField

from nomination import db, engine
from nomination.i18n import pick
from nomination.models import Attachment, Nomination
from nomination.nominations.operations import attach_file
from nomination.nominations.queries import load_nomination
from nomination.permissions import (
    ANSWER_FILE_PURPOSE,
    UNIT_FILE_PURPOSES,
    can_attach,
    can_download_attachment,
)
from nomination.uploads import StoredFileCorrupt, UploadRejected, download_response, store_upload
from nomination.web.setup import signed_in_user, tr

bp = Blueprint("attachments", __name__)

#: What each purpose is called.
PURPOSES = {
    "deeds": {"zh": "事迹材料", "en": "Deeds materials"},
    "congress_minutes": {"zh": "职代会(联席会)会议纪要", "en": "Workers' congress minutes"},
    "unit_notice": {"zh": "单位公示材料(盖章)", "en": "The unit's stamped notice"},
    "photo": {"zh": "照片", "en": "Photo"},
    ANSWER_FILE_PURPOSE: {"zh": "异议核实证明材料", "en": "Evidence for the verification"},
    "objection_evidence": {"zh": "异议证明材料", "en": "Objection evidence"},
    "sealed_letter": {"zh": "单位异议函(盖章)", "en": "Unit's sealed objection letter"},
    "consultation_opinion": {"zh": "部门意见材料", "en": "Department's opinion file"},
}


class UploadForm(FlaskForm):
    """One file, and what it is for (the choices are those the user may attach now)."""

    purpose = SelectField(choices=[])
    file = FileField()


def allowed_purposes(user: Any, nomination: Nomination) -> list[str]:
    """Return the purposes ``user`` may attach files for to ``nomination`` now."""
    editable = engine.workflow_for(nomination).state(nomination.state).editable
    return [
        p
        for p in (*UNIT_FILE_PURPOSES, ANSWER_FILE_PURPOSE)
        if can_attach(user, nomination, p, editable)
    ]


def upload_form(user: Any, nomination: Nomination) -> UploadForm | None:
    """Return the upload form for the nomination page, or None when nothing may be attached."""
    purposes = allowed_purposes(user, nomination)
    if not purposes:
        return None
    form = UploadForm(formdata=None)
    form.purpose.choices = [(p, pick(PURPOSES[p])) for p in purposes]
    return form


def listed(user: Any, nomination: Nomination) -> list[dict[str, Any]]:
    """Return the nomination's files ``user`` may download, as the page lists them."""
    return [
        {
            "id": a.id,
            "filename": a.filename,
            "size": a.size,
            "sha256": a.sha256,
            "purpose": pick(PURPOSES.get(a.purpose, {"zh": a.purpose, "en": a.purpose})),
            "uploaded_at": a.uploaded_at,
            "objection_id": a.objection_id,
            "url": url_for("attachments.download", nomination_id=nomination.id, attachment_id=a.id),
        }
        for a in nomination.attachments
        if can_download_attachment(user, a)
    ]


@bp.route("/nominations/<int:nomination_id>/attachments", methods=["POST"])
@login_required
def upload(nomination_id: int) -> ResponseReturnValue:
    """Attach one uploaded file; a refused file is named, and nothing else is lost."""
    user = signed_in_user()
    nomination = load_nomination(db.session, nomination_id, user)
    purposes = allowed_purposes(user, nomination)
    if not purposes:
        abort(403, tr("您现在不能为此推荐上传附件", "You cannot attach files to this now"))
    form = UploadForm()
    form.purpose.choices = [(p, pick(PURPOSES[p])) for p in purposes]
    target = url_for("nominations.view", nomination_id=nomination.id) + "#attachments"
    if not form.validate():
        flash(tr("请选择附件用途", "Choose what the file is for"), "danger")
        return redirect(target)
    upload_file = request.files.get("file")
    if upload_file is None or not upload_file.filename:
        flash(tr("请选择要上传的文件", "Choose a file to upload"), "danger")
        return redirect(target)
    try:
        stored = store_upload(upload_file)
        attach_file(nomination, actor=user, stored=stored, purpose=form.purpose.data)
    except UploadRejected as exc:
        flash(f"{upload_file.filename}: {exc.message}", "danger")
        return redirect(target)
    flash(
        tr(f"已上传:{stored.filename}", f"Uploaded: {stored.filename}"),
        "success",
    )
    return redirect(target)


@bp.route("/nominations/<int:nomination_id>/attachments/<int:attachment_id>")
@login_required
def download(nomination_id: int, attachment_id: int) -> ResponseReturnValue:
    """Send one file, to those who may have it."""
    user = signed_in_user()
    nomination = load_nomination(db.session, nomination_id, user)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.nomination_id != nomination.id:
        abort(404)
    if not can_download_attachment(user, attachment):
        abort(403, tr("您不能下载此文件", "You may not download this file"))
    try:
        return download_response(attachment)
    except (StoredFileCorrupt, FileNotFoundError):
        abort(410, tr("文件已损坏或丢失,请联系管理员", "The file is damaged or missing"))
