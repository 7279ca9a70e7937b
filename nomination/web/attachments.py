"""Files attached to a nomination: uploading (checked by content) and downloading.

URL table:

    /nominations/<id>/attachments                          POST: upload one file for a purpose
    /nominations/<id>/attachments/<attachment_id>          GET: download it (as an attachment)
    /nominations/<id>/attachments/<attachment_id>/remove   POST: remove it (while editable)
    /nominations/<id>/attachments/<attachment_id>/replace  POST: put another file in its place

Who may attach what, change which file and download which are the predicates ``can_attach``,
``can_change_attachment`` and ``can_download_attachment``; files sent with an objection go to
the objection handlers only. The unit's purposes and their labels are the definition's
``[[files]]``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import FileField, SelectField

from nomination import db, engine
from nomination.engine.registry import FILE_GUARDS
from nomination.i18n import pick
from nomination.models import Attachment, Nomination
from nomination.nominations.operations import attach_file, remove_attachment, replace_attachment
from nomination.nominations.queries import load_nomination
from nomination.permissions import (
    ANSWER_FILE_PURPOSE,
    can_attach,
    can_change_attachment,
    can_download_attachment,
    unit_file_purposes,
)
from nomination.uploads import StoredFileCorrupt, UploadRejected, download_response, store_upload
from nomination.web.setup import signed_in_user, tr

bp = Blueprint("attachments", __name__)

#: What each purpose outside the definitions' ``[[files]]`` is called.
PURPOSES = {
    ANSWER_FILE_PURPOSE: {"zh": "异议核实证明材料", "en": "Evidence for the verification"},
    "objection_evidence": {"zh": "异议证明材料", "en": "Objection evidence"},
    "sealed_letter": {"zh": "单位异议函(盖章)", "en": "Unit's sealed objection letter"},
    "consultation_opinion": {"zh": "部门意见材料", "en": "Department's opinion file"},
}


class UploadForm(FlaskForm):
    """One file, and what it is for (the choices are those the user may attach now)."""

    purpose = SelectField(choices=[])
    file = FileField()


class RemoveForm(FlaskForm):
    """Removing a file: nothing but the CSRF token."""


class ReplaceForm(FlaskForm):
    """The file to put in another's place, for the same purpose."""

    file = FileField()


def purpose_label(nomination: Nomination, purpose: str) -> dict[str, str]:
    """Return what a purpose is called: the definition's label, else the application's."""
    found = engine.workflow_for(nomination).files.get(purpose)
    if found is not None:
        return found.label
    return PURPOSES.get(purpose, {"zh": purpose, "en": purpose})


def _editable(nomination: Nomination) -> bool:
    return engine.workflow_for(nomination).state(nomination.state).editable


def allowed_purposes(user: Any, nomination: Nomination) -> list[str]:
    """Return the purposes ``user`` may attach files for to ``nomination`` now."""
    editable = _editable(nomination)
    return [
        p
        for p in (*unit_file_purposes(nomination), ANSWER_FILE_PURPOSE)
        if can_attach(user, nomination, p, editable)
    ]


def upload_form(user: Any, nomination: Nomination) -> UploadForm | None:
    """Return the upload form for the nomination page, or None when nothing may be attached."""
    purposes = allowed_purposes(user, nomination)
    if not purposes:
        return None
    form = UploadForm(formdata=None)
    form.purpose.choices = [(p, pick(purpose_label(nomination, p))) for p in purposes]
    return form


def listed(user: Any, nomination: Nomination) -> list[dict[str, Any]]:
    """Return the nomination's files ``user`` may download, as the page lists them.

    Each says whether ``user`` may remove or replace it now (``changeable``).
    """
    editable = _editable(nomination)
    return [
        {
            "id": a.id,
            "filename": a.filename,
            "size": a.size,
            "sha256": a.sha256,
            "purpose": pick(purpose_label(nomination, a.purpose)),
            "uploaded_at": a.uploaded_at,
            "objection_id": a.objection_id,
            "url": url_for("attachments.download", nomination_id=nomination.id, attachment_id=a.id),
            "changeable": can_change_attachment(user, a, editable),
        }
        for a in nomination.attachments
        if can_download_attachment(user, a)
    ]


def required_files(options: list[engine.Available]) -> list[dict[str, Any]]:
    """Return the files the steps open to the user require, as their guards judged them."""
    found: dict[str, dict[str, Any]] = {}
    for option in options:
        for check in option.checks:
            if check.guard not in FILE_GUARDS:
                continue
            for condition in check.conditions:
                found.setdefault(
                    condition.key,
                    {"purpose": condition.key, "label": condition.label, "met": condition.met},
                )
    return list(found.values())


def _attachment_or_404(nomination: Nomination, attachment_id: int) -> Attachment:
    """Return the nomination's own file ``attachment_id``; another's or none is 404."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.nomination_id != nomination.id:
        abort(404)
    return attachment


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
    form.purpose.choices = [(p, pick(purpose_label(nomination, p))) for p in purposes]
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
    attachment = _attachment_or_404(nomination, attachment_id)
    if not can_download_attachment(user, attachment):
        abort(403, tr("您不能下载此文件", "You may not download this file"))
    try:
        return download_response(attachment)
    except (StoredFileCorrupt, FileNotFoundError):
        abort(410, tr("文件已损坏或丢失,请联系管理员", "The file is damaged or missing"))


def _may_change(user: Any, nomination: Nomination, attachment_id: int) -> Attachment:
    """Return the file ``user`` may remove or replace now; else 404 or 403 (and why)."""
    attachment = _attachment_or_404(nomination, attachment_id)
    if not can_download_attachment(user, attachment):
        abort(404)
    if not can_change_attachment(user, attachment, _editable(nomination)):
        abort(
            403,
            tr(
                "此附件现在不能删除或替换(推荐已上报后附件即固定)",
                "This file cannot be removed or replaced now (files are fixed once submitted)",
            ),
        )
    return attachment


@bp.route(
    "/nominations/<int:nomination_id>/attachments/<int:attachment_id>/remove", methods=["POST"]
)
@login_required
def remove(nomination_id: int, attachment_id: int) -> ResponseReturnValue:
    """Remove one of the unit's files while the nomination may still be changed."""
    user = signed_in_user()
    nomination = load_nomination(db.session, nomination_id, user)
    attachment = _may_change(user, nomination, attachment_id)
    target = url_for("nominations.view", nomination_id=nomination.id) + "#attachments"
    if not RemoveForm().validate():
        flash(tr("请重新提交", "Please submit again"), "danger")
        return redirect(target)
    name = attachment.filename
    remove_attachment(attachment, actor=user)
    flash(tr(f"已删除:{name}", f"Removed: {name}"), "success")
    return redirect(target)


@bp.route(
    "/nominations/<int:nomination_id>/attachments/<int:attachment_id>/replace", methods=["POST"]
)
@login_required
def replace(nomination_id: int, attachment_id: int) -> ResponseReturnValue:
    """Put another file in the place of one of the unit's, for the same purpose."""
    user = signed_in_user()
    nomination = load_nomination(db.session, nomination_id, user)
    attachment = _may_change(user, nomination, attachment_id)
    target = url_for("nominations.view", nomination_id=nomination.id) + "#attachments"
    if not ReplaceForm().validate():
        flash(tr("请重新提交", "Please submit again"), "danger")
        return redirect(target)
    upload_file = request.files.get("file")
    if upload_file is None or not upload_file.filename:
        flash(tr("请选择要上传的文件", "Choose a file to upload"), "danger")
        return redirect(target)
    old = attachment.filename
    try:
        stored = store_upload(upload_file)
    except UploadRejected as exc:
        # The file in place stays; the refusal names the one that was sent.
        flash(f"{upload_file.filename}: {exc.message}", "danger")
        return redirect(target)
    replace_attachment(attachment, actor=user, stored=stored)
    flash(
        tr(f"已替换:{old} → {stored.filename}", f"Replaced: {old} → {stored.filename}"), "success"
    )
    return redirect(target)
