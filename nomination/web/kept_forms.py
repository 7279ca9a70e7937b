"""Forms posted after the login expired: kept, and given back on the same page after login.

A unit filling in a long form may find, when it presses "save", that its login has ended (it
signed out in another tab, or the session was ended on a password change). Instead of losing
what was typed, the posted fields are kept in the database under a random token that only the
sender's session holds, and the page gives them back, once, after the sender logs in again.
Kept forms are deleted when given back, and after ``KEEP_HOURS`` by ``nomination tick``.

Only forms whose CSRF token was valid are kept (the check runs before login is required), so a
request from another site cannot plant data in someone's form; and only for a browser that was
logged in (its session names the user, ``USER_KEY``), to give back to that user alone: someone
else logging in next on a shared computer gets nothing.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from flask import request, session
from flask_login import current_user
from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from nomination import db
from nomination.db import utcnow
from nomination.models import PendingForm

#: The pages whose posted form is kept: creating and editing a nomination.
KEPT_ENDPOINTS = ("nominations.new", "nominations.edit")
#: How long a kept form waits for its sender.
KEEP_HOURS = 24
_SESSION_KEY = "kept_form"
#: The session's note of who logged in, set at login; it outlives the login's expiry.
USER_KEY = "uid"
#: Never kept: the session's own token, and the form's version (the page reads it afresh).
_NOT_KEPT = ("csrf_token",)


def keep_posted_form() -> bool:
    """Keep the form being posted to a kept page, if any; return whether one was kept."""
    if request.method != "POST" or request.endpoint not in KEPT_ENDPOINTS or not request.form:
        return False
    user_id = session.get(USER_KEY)
    if not isinstance(user_id, int):
        return False
    fields = [
        [name, value] for name, value in request.form.items(multi=True) if name not in _NOT_KEPT
    ]
    token = secrets.token_urlsafe(32)
    db.session.add(PendingForm(token=token, user_id=user_id, path=request.full_path, fields=fields))
    db.session.commit()
    session[_SESSION_KEY] = token
    return True


def carried_over() -> dict[str, object]:
    """Return what a fresh session at login keeps of the old one: the kept form's token."""
    token = session.get(_SESSION_KEY)
    return {_SESSION_KEY: token} if token else {}


def restore() -> MultiDict | None:
    """Return the form kept for this page, this session and this user (once), or None."""
    token = session.get(_SESSION_KEY)
    if not token:
        return None
    kept = db.session.scalar(select(PendingForm).where(PendingForm.token == token))
    if kept is None or kept.path != request.full_path:
        return None
    if kept.user_id != getattr(current_user, "id", None):
        return None
    session.pop(_SESSION_KEY, None)
    fields = MultiDict([(name, value) for name, value in kept.fields])
    db.session.delete(kept)
    db.session.commit()
    return fields


def forget_old(session_: Session, now: datetime | None = None) -> int:
    """Delete kept forms older than ``KEEP_HOURS``; return how many."""
    limit = (now or utcnow()) - timedelta(hours=KEEP_HOURS)
    # A DELETE's result is a CursorResult, which counts the rows.
    result = cast(
        "CursorResult[Any]",
        session_.execute(delete(PendingForm).where(PendingForm.created_at < limit)),
    )
    return result.rowcount or 0
