"""A nomination's files in the JSON API: attach, remove, replace (multipart uploads).

Routes on the API blueprint (``/api/v1``):

    /nominations/<id>/attachments                  POST: attach one file (``purpose``, ``file``)
    /nominations/<id>/attachments/<attachment_id>  PUT: replace its file; DELETE: remove it

The predicates are those of the pages (``can_attach``, ``can_change_attachment``): the unit's
materials may be changed while the nomination is editable, and are frozen after.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from nomination import db, engine
from nomination.api import openapi
from nomination.api.openapi import _json, _op, _ref
from nomination.api.views import _detail, _load, bp
from nomination.errors import InvalidData, NotFound, PermissionDenied
from nomination.models import Attachment, Nomination
from nomination.nominations.operations import attach_file, remove_attachment, replace_attachment
from nomination.permissions import (
    ANSWER_FILE_PURPOSE,
    can_attach,
    can_change_attachment,
    can_download_attachment,
    unit_file_purposes,
)
from nomination.uploads import StoredFile, UploadRejected, store_upload
from nomination.web.setup import signed_in_user


def _attachment(nomination: Nomination, attachment_id: int) -> Attachment:
    """Return the nomination's file the caller may see; 404 alike whether absent or hidden."""
    attachment = db.session.get(Attachment, attachment_id)
    if (
        attachment is None
        or attachment.nomination_id != nomination.id
        or not can_download_attachment(signed_in_user(), attachment)
    ):
        raise NotFound("no such file")
    return attachment


def _uploaded() -> StoredFile:
    """Store the request's ``file`` part, or refuse naming the field (422)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidData("a file is required", fields={"file": ["a file is required"]})
    try:
        return store_upload(upload)
    except UploadRejected as exc:
        raise InvalidData(exc.message_en, fields={"file": [exc.message]}) from None


def _frozen(attachment: Attachment) -> None:
    """Refuse to change a file the caller may not change now (403, saying why)."""
    nomination = attachment.nomination
    editable = engine.workflow_for(nomination).state(nomination.state).editable
    if not can_change_attachment(signed_in_user(), attachment, editable):
        raise PermissionDenied(
            "this file cannot be removed or replaced now: the unit's files are fixed once the "
            "nomination is submitted"
        )


@bp.post("/nominations/<int:nomination_id>/attachments")
def attach(nomination_id: int) -> ResponseReturnValue:
    """Attach one file for a purpose (multipart: ``purpose`` and ``file``); the nomination."""
    nomination = _load(nomination_id)
    user = signed_in_user()
    editable = engine.workflow_for(nomination).state(nomination.state).editable
    known = (*unit_file_purposes(nomination), ANSWER_FILE_PURPOSE)
    if not any(can_attach(user, nomination, p, editable) for p in known):
        raise PermissionDenied("you cannot attach files to this nomination now")
    purpose = request.form.get("purpose", "")
    if purpose not in known:
        raise InvalidData(
            "unknown purpose", fields={"purpose": [f"must be one of: {', '.join(known)}"]}
        )
    attach_file(nomination, actor=user, stored=_uploaded(), purpose=purpose)
    return jsonify(_detail(nomination)), 201


@bp.put("/nominations/<int:nomination_id>/attachments/<int:attachment_id>")
def replace(nomination_id: int, attachment_id: int) -> ResponseReturnValue:
    """Put another file in the place of one (multipart: ``file``); the nomination."""
    nomination = _load(nomination_id)
    attachment = _attachment(nomination, attachment_id)
    _frozen(attachment)
    replace_attachment(attachment, actor=signed_in_user(), stored=_uploaded())
    return jsonify(_detail(nomination))


@bp.delete("/nominations/<int:nomination_id>/attachments/<int:attachment_id>")
def remove(nomination_id: int, attachment_id: int) -> ResponseReturnValue:
    """Remove one of the unit's files while the nomination is editable; the nomination."""
    nomination = _load(nomination_id)
    attachment = _attachment(nomination, attachment_id)
    _frozen(attachment)
    remove_attachment(attachment, actor=signed_in_user())
    return jsonify(_detail(nomination))


_MULTIPART_FILE = {
    "type": "string",
    "contentMediaType": "application/octet-stream",
    "description": "The file: PDF, JPEG, PNG or Word (.docx), judged by its content.",
}


def _multipart(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


@openapi.extend
def _paths() -> dict[str, Any]:
    attachment_id = {
        "name": "attachment_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
    }
    nomination = _json(_ref("Nomination"), "The nomination with its files")
    return {
        "/nominations/{nomination_id}/attachments": {
            "parameters": [{"$ref": "#/components/parameters/NominationId"}],
            "post": _op(
                "attachFile",
                "Attach a file for a purpose (the definition's files, or an objection answer's)",
                {"201": nomination},
                "BadRequest",
                "Forbidden",
                "NotFound",
                "Invalid",
                requestBody=_multipart(
                    {"purpose": {"type": "string"}, "file": _MULTIPART_FILE}, ["purpose", "file"]
                ),
            ),
        },
        "/nominations/{nomination_id}/attachments/{attachment_id}": {
            "parameters": [{"$ref": "#/components/parameters/NominationId"}, attachment_id],
            "put": _op(
                "replaceFile",
                "Replace a file, for the same purpose, while the nomination is editable",
                {"200": nomination},
                "BadRequest",
                "Forbidden",
                "NotFound",
                "Invalid",
                requestBody=_multipart({"file": _MULTIPART_FILE}, ["file"]),
            ),
            "delete": _op(
                "removeFile",
                "Remove a file while the nomination is editable (the audit keeps its hash)",
                {"200": nomination},
                "BadRequest",
                "Forbidden",
                "NotFound",
            ),
        },
    }
