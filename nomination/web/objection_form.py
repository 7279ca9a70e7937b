"""The public objection form's extras: files, files kept across a failed submission, abuse checks.

Automated abuse is kept out without an external captcha service, by three checks that cost a
person nothing:

- a **rate limit** per sender: at most ``OBJECTION_MAX_PER_CLIENT`` objections per
  ``OBJECTION_WINDOW_SECONDS`` from one address, counted under a keyed pseudonym of the address
  (the address itself is never stored);
- a **honeypot**: a field people do not see (hidden by CSS and from assistive technology) that
  form-filling robots fill in;
- a **signed, one-use form instance**: each form shown carries a random nonce signed with the
  moment it was shown; it must be sent back at least ``OBJECTION_MIN_SECONDS`` later (a person
  reads and types) and within ``OBJECTION_FORM_MAX_AGE_SECONDS``, and it files one objection
  only. The objection filed with it takes a reference derived from the nonce (a keyed hash),
  so the reference column's uniqueness records the used nonces: in the filing's own
  transaction, on every host, with no table of its own.

Files that passed the upload checks are stored at once (by content) and listed in a hidden
field signed together with the form instance's nonce, so that a submission refused for another
reason (too fast, expired, a field to correct) never makes the objector upload them again. A
submission refused as automated (the honeypot, no valid form instance, the rate limit) is not
stored, and the file fields say that the files must be chosen again: nothing is lost silently.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import asdict, dataclass
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
from nomination.objections.operations import file_objection, file_problems
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
_REPEATED = {
    "zh": "此表单已经提交过一次,异议已受理。如需再提出一项异议,请核对下面的内容后再次提交",
    "en": "This form was already sent and its objection received. To send another objection, "
    "check what is below and send it again",
}
_NOT_RECEIVED = {
    "zh": "未收到文件 %s,请重新选择后再提交",
    "en": "%s was not received: choose it again before sending",
}
_KEPT_LOST = {
    "zh": "此前上传的文件未能保留,请重新选择",
    "en": "The files sent before could not be kept: choose them again",
}


class ObjectionForm(FlaskForm):
    """The base of the objection form: the definition's fields are added to it."""

    evidence = MultipleFileField()
    sealed_letter = FileField()
    #: The honeypot: people never see it, so it must come back empty.
    homepage = StringField()
    #: This form instance: a random nonce and when it was shown, signed.
    issued = HiddenField()
    #: The files already received, signed with the form instance's nonce.
    kept = HiddenField(widget=HiddenInput())


@dataclass
class Sender:
    """What the abuse checks found about a submission."""

    #: The form instance's nonce, when its signature is good (even if too fast or expired).
    nonce: str | None = None
    #: Why the submission cannot be filed now (shown to the sender), or None.
    problem: str | None = None
    #: The submission looks automated: nothing of it is stored.
    robot: bool = False


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt="objection-form-issued")


def _kept_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="objection-form-files")


def issue(form: ObjectionForm) -> str:
    """Stamp the form with a new instance: a nonce and the time it is shown; return the nonce."""
    nonce = secrets.token_urlsafe(18)
    form.issued.data = _signer().sign(nonce.encode()).decode()
    return nonce


def check_sender(form: ObjectionForm) -> Sender:
    """Return what the abuse checks find about the submission of ``form``."""
    if (form.homepage.data or "").strip():
        return Sender(problem=pick(_NOT_SHOWN), robot=True)
    signer, token = _signer(), (form.issued.data or "").encode()
    try:
        value, issued_at = signer.unsign(token, return_timestamp=True)
    except BadSignature:
        value, issued_at = None, None
    nonce = value.decode() if value else None
    minimum = float(current_app.config["OBJECTION_MIN_SECONDS"])
    if minimum <= 0:  # the time checks are off (tests, a closed network)
        return Sender(nonce=nonce)
    if nonce is None or issued_at is None:
        return Sender(problem=pick(_NOT_SHOWN), robot=True)
    try:
        signer.unsign(token, max_age=int(current_app.config["OBJECTION_FORM_MAX_AGE_SECONDS"]))
    except SignatureExpired:
        return Sender(nonce=nonce, problem=pick(_EXPIRED))
    if time.time() - issued_at.timestamp() < minimum:
        return Sender(nonce=nonce, problem=pick(_TOO_FAST))
    return Sender(nonce=nonce)


def reference_for(nonce: str) -> str:
    """Return the reference of the objection filed with the form instance ``nonce``.

    A keyed hash, as unguessable as a random reference: without the secret key, knowing the
    nonce does not give the reference, and the reference does not give the nonce.
    """
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    digest = hmac.new(key, b"objection-form-nonce:" + nonce.encode(), hashlib.sha256)
    return "YY-" + digest.hexdigest()[:12].upper()


def repeated_message() -> str:
    """Return what the sender of a form instance already used is told."""
    return pick(_REPEATED)


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


def kept_files(form: ObjectionForm, nonce: str | None) -> tuple[list[tuple[StoredFile, str]], bool]:
    """Return the files received with an earlier, refused submission of this form instance.

    Also return whether all of them could be taken: kept files signed for another form
    instance (or tampered with) are said to be lost next to the evidence field, so that the
    submission is refused rather than filed without them.
    """
    if not form.kept.data:
        return [], True
    try:
        kept = _kept_serializer().loads(form.kept.data)
    except BadSignature:
        kept = None
    if not isinstance(kept, dict) or nonce is None or kept.get("nonce") != nonce:
        form.evidence.errors = [*form.evidence.errors, pick(_KEPT_LOST)]
        return [], False
    return [(StoredFile(**item["file"]), item["purpose"]) for item in kept["files"]], True


def keep(form: ObjectionForm, files: list[tuple[StoredFile, str]], nonce: str) -> None:
    """Carry ``files`` in the form, signed with the form instance ``nonce``, to its submission."""
    items = [{"file": asdict(f), "purpose": purpose} for f, purpose in files]
    form.kept.data = _kept_serializer().dumps({"nonce": nonce, "files": items}) if items else ""


def not_received(form: ObjectionForm) -> None:
    """Say next to each file field that the files just sent were not received."""
    for name in FILE_FIELDS:
        names = [u.filename for u in request.files.getlist(name) if u and u.filename]
        if names:
            message = pick(_NOT_RECEIVED) % "、".join(names)
            form[name].errors = [*form[name].errors, message]


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


def missing_files(form: ObjectionForm, files: list[tuple[StoredFile, str]]) -> dict[str, list[str]]:
    """Return what the objection would still lack among its files (a unit's sealed letter)."""
    kind = form["objector_kind"].data if "objector_kind" in form else None
    return file_problems(kind, {purpose for _, purpose in files})


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
