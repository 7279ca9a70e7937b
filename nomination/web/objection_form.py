"""The public objection form's extras: files, files kept across a failed submission, abuse checks.

Automated abuse is kept out without an external captcha service, by three checks that cost a
person nothing:

- a **rate limit** per sender: at most ``OBJECTION_MAX_PER_CLIENT`` objections per
  ``OBJECTION_WINDOW_SECONDS`` from one address, counted under a keyed pseudonym of the address
  (the address itself is never stored);
- a **honeypot**: a field people do not see (hidden by CSS and from assistive technology) that
  form-filling robots fill in;
- a **signed issue time**: the form carries the moment it was shown, signed with the secret
  key; it must be sent back at least ``OBJECTION_MIN_SECONDS`` later (a person reads and types)
  and within ``OBJECTION_FORM_MAX_AGE_SECONDS``.

Files that passed the upload checks are stored at once (by content) and listed in a signed
hidden field, so that a submission refused for another reason never makes the objector upload
them again.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from flask import current_app, request
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeSerializer
from wtforms import FileField, HiddenField, MultipleFileField, StringField
from wtforms.widgets import HiddenInput

from nomination import db
from nomination.db import utcnow
from nomination.errors import Conflict, NotFound
from nomination.i18n import pick
from nomination.models import Objection
from nomination.nominations import queries
from nomination.objections.operations import file_objection
from nomination.uploads import StoredFile, UploadRejected, store_upload
from nomination.web.auth import client_key
from nomination.web.outcomes import operation_errors

#: The form's file fields and what their files are for.
FILE_FIELDS = {"evidence": "objection_evidence", "sealed_letter": "sealed_letter"}
#: At most this many files with one objection.
MAX_FILES = 10

_TOO_FAST = {
    "zh": "提交过快,请核对填写的内容后再提交",
    "en": "Sent too quickly: check what you wrote, then send it again",
}
_EXPIRED = {
    "zh": "表单已过期,请核对内容后重新提交(已填写的内容均已保留)",
    "en": "The form expired: check it and send it again (everything you wrote is kept)",
}
_NOT_SHOWN = {"zh": "无法受理此次提交", "en": "This submission cannot be taken"}
_LIMITED = {
    "zh": "提交次数过多,请稍后再试;也可通过公示中的电话、邮箱或信函提出异议",
    "en": "Too many objections sent; try again later, or object by the phone, e-mail or "
    "post given on the notice",
}
_TOO_MANY_FILES = {"zh": "附件最多 %d 个", "en": "At most %d files"}


class ObjectionForm(FlaskForm):
    """The base of the objection form: the definition's fields are added to it."""

    evidence = MultipleFileField()
    sealed_letter = FileField()
    #: The honeypot: people never see it, so it must come back empty.
    homepage = StringField()
    #: When the form was shown, signed.
    issued = HiddenField()
    #: The files already received, signed.
    kept = HiddenField(widget=HiddenInput())


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt="objection-form-issued")


def _kept_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="objection-form-files")


def issue(form: ObjectionForm) -> None:
    """Stamp the form with the time it is shown."""
    form.issued.data = _signer().sign(b"objection").decode()


def abuse_problem(form: ObjectionForm) -> str | None:
    """Return why a submission looks automated (shown to the sender), or None."""
    if (form.homepage.data or "").strip():
        return pick(_NOT_SHOWN)
    minimum = float(current_app.config["OBJECTION_MIN_SECONDS"])
    if minimum <= 0:
        return None
    try:
        _, issued_at = _signer().unsign(
            (form.issued.data or "").encode(),
            max_age=int(current_app.config["OBJECTION_FORM_MAX_AGE_SECONDS"]),
            return_timestamp=True,
        )
    except SignatureExpired:
        return pick(_EXPIRED)
    except BadSignature:
        return pick(_NOT_SHOWN)
    if time.time() - issued_at.timestamp() < minimum:
        return pick(_TOO_FAST)
    return None


def rate_limited() -> bool:
    """Return whether this sender has sent as many objections as the window allows."""
    client = client_key(request.remote_addr)
    if client is None:
        return False
    window = timedelta(seconds=int(current_app.config["OBJECTION_WINDOW_SECONDS"]))
    sent = queries.objections_from(db.session, client, utcnow() - window)
    return sent >= int(current_app.config["OBJECTION_MAX_PER_CLIENT"])


def limited_message() -> str:
    """Return what a rate-limited sender is told."""
    return pick(_LIMITED)


def kept_files(form: ObjectionForm) -> list[tuple[StoredFile, str]]:
    """Return the files received with an earlier, refused submission of this form."""
    if not form.kept.data:
        return []
    try:
        items = _kept_serializer().loads(form.kept.data)
    except BadSignature:
        return []
    return [(StoredFile(**item["file"]), item["purpose"]) for item in items]


def keep(form: ObjectionForm, files: list[tuple[StoredFile, str]]) -> None:
    """Carry ``files`` in the form, signed, to the next submission."""
    items = [{"file": asdict(f), "purpose": purpose} for f, purpose in files]
    form.kept.data = _kept_serializer().dumps(items) if items else ""


def receive_files(
    form: ObjectionForm, already: list[tuple[StoredFile, str]]
) -> tuple[list[tuple[StoredFile, str]], bool]:
    """Check and store the files sent now; return all the files and whether all were fine.

    A refused file gets its reason next to its field; the others are kept all the same.
    """
    files = list(already)
    ok = True
    for name, purpose in FILE_FIELDS.items():
        field = form[name]
        sent = request.files.getlist(name)
        for upload in sent:
            if not upload or not upload.filename:
                continue
            if len(files) >= MAX_FILES:
                field.errors = [*field.errors, pick(_TOO_MANY_FILES) % MAX_FILES]
                ok = False
                break
            try:
                stored = store_upload(upload)
            except UploadRejected as exc:
                field.errors = [*field.errors, f"{upload.filename}: {exc.message}"]
                ok = False
            else:
                if purpose == "sealed_letter":
                    files = [(f, p) for f, p in files if p != "sealed_letter"]
                files.append((stored, purpose))
    return files, ok


def file_errors(form: ObjectionForm, errors: dict[str, list[str]]) -> None:
    """Put the operation's errors about files next to the file fields."""
    for name in FILE_FIELDS:
        if name in errors:
            form[name].errors = [*form[name].errors, *errors[name]]


def file_with_retry(nomination_id: int, **kwargs: Any) -> Objection:
    """File an objection; once more if the nomination moved on meanwhile (a conflict).

    Two objections sent at once are both kept: the one that finds the review the other opened
    joins it. Raises NotFound when the nomination is not (or no longer) open to objections.
    """
    for retry in (True, False):
        found = queries.load_objectable(db.session, nomination_id)
        if found is None:
            raise NotFound("no nomination with this number is or was on public notice")
        # A conflict undoes the first attempt only; the second reads the nomination as it is
        # now, and its own conflict goes on to the caller.
        with operation_errors(catch=(Conflict,) if retry else ()):
            return file_objection(found[0], **kwargs)
    raise AssertionError("unreachable")


def described(files: list[tuple[StoredFile, str]]) -> list[dict[str, Any]]:
    """Return the kept files as the form lists them."""
    return [
        {"filename": f.filename, "size": f.size, "purpose": purpose, "sha256": f.sha256}
        for f, purpose in files
    ]
