"""Accounts: logins and their failures, passwords, API tokens; each audited."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session
from werkzeug.security import check_password_hash, generate_password_hash

from nomination.audit.chain import Entity, append_event, record_event
from nomination.db import utcnow
from nomination.models import (
    ApiToken,
    User,
)


@cache
def _dummy_hash() -> str:
    """Return a hash of no one's password, made like users' (scrypt), once per process."""
    return generate_password_hash(secrets.token_hex(16), method="scrypt")


def password_matches(user: User | None, password: str) -> bool:
    """Return whether ``user`` exists, is active and has ``password``.

    A name that is no user's, or an inactive account, costs one password check too (against a
    dummy hash), so that how long a failed login takes does not tell which names exist.
    """
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return False
    return user.check_password(password) and user.active


def record_login(session: Session, user: User, *, address: str | None) -> None:
    """Audit a successful login; the client's address is kept as erasable personal data.

    The event names the user's role when the account holds one; an account with several
    signs in as none of them in particular (the workspace then shows the roles it holds).
    """
    held = {r.role for r in user.roles}
    record_event(
        session,
        user,
        "auth.login",
        Entity("user", user.id),
        role=held.pop() if len(held) == 1 else None,
        after={"client": {"address": address}},
    )


def login_key(session: Session, username: str) -> str:
    """Return how a login attempt for ``username`` is recorded and counted.

    A name that is no user's is often a password typed into the wrong field: it is kept only
    as a hash, so the audit trail never holds it, yet repeated attempts still count together.
    """
    name = username[:64]
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        return name
    return "unknown:" + hashlib.sha256(name.encode()).hexdigest()[:24]


def record_failed_login(
    session: Session, username: str, *, address: str | None, client: str | None
) -> None:
    """Audit a failed login attempt; these also drive the rate limits (per name, per client).

    ``client`` is a keyed pseudonym of the address: the per-address limit counts it, while the
    address itself is kept only as erasable personal data.
    """
    append_event(
        session,
        action="auth.login_failed",
        actor_name="anonymous",
        entity_type="user",
        entity_id=login_key(session, username),
        after={"client": {"address": address}},
        comment=client,
    )


def record_logout(session: Session, user: User) -> None:
    """Audit a logout and end every session of the user (the token rotates)."""
    user.rotate_session()
    record_event(session, user, "auth.logout", Entity("user", user.id))


def record_access_denied(session: Session, actor: Any, *, path: str, reason: str) -> None:
    """Audit a refused authorisation."""
    append_event(
        session,
        action="auth.denied",
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "name", "anonymous"),
        entity_type="path",
        entity_id=path[:64],
        comment=reason[:500],
    )


def change_password(user: User, *, actor: Any, password: str) -> None:
    """Set a new password; every existing session and API token of the user ends."""
    session = object_session(user)
    assert session is not None
    user.set_password(password)
    user.must_change_password = False
    record_event(session, actor, "user.password_changed", Entity("user", user.id))
    # A new password ends every way in that the old one may have handed out.
    revoke_api_tokens(session, user, actor=actor)


def hash_token(token: str) -> str:
    """Return the stored form of an API token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(session: Session, user: User, *, name: str, actor: Any) -> str:
    """Create an API token for ``user`` and return it; only its hash is kept."""
    token = "nom_" + secrets.token_urlsafe(32)
    row = ApiToken(user=user, name=name, token_hash=hash_token(token))
    session.add(row)
    session.flush()
    record_event(
        session,
        actor,
        "token.create",
        Entity("api_token", row.id),
        after={"user": user.username, "name": name},
    )
    return token


def revoke_api_tokens(session: Session, user: User, *, actor: Any, name: str | None = None) -> int:
    """Revoke the user's live tokens (only those called ``name`` if given); return how many."""
    query = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if name:
        query = query.where(ApiToken.name == name)
    rows = session.scalars(query).all()
    for row in rows:
        row.revoked_at = utcnow()
        record_event(session, actor, "token.revoke", Entity("api_token", row.id))
    return len(rows)
