"""What every administrative action shares: who may act, how it is recorded, stale forms."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, Unpack

from sqlalchemy.orm import Session, object_session

from nomination.actors import SystemActor
from nomination.audit.chain import Change, Entity, record_event
from nomination.errors import Conflict, PermissionDenied
from nomination.i18n import pick
from nomination.permissions import can_administer


def require_admin(actor: Any) -> None:
    """Refuse administration to anyone but administrators and the command line (SYSTEM)."""
    if not (isinstance(actor, SystemActor) or can_administer(actor)):
        raise PermissionDenied("only administrators may do this")


def digest(*parts: Any) -> str:
    """Return a short digest of what a form shows, sent back to detect a change meanwhile."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def check_fresh(
    row: Any, expected: str | None, fingerprint: Callable[[Any], str], changed: dict[str, str]
) -> None:
    """Refuse with ``changed`` (zh/en) when ``row`` no longer matches what the editor saw.

    The row is read again under a lock, so two editors of one form are checked one after the
    other and the second sees the first's change (SQLite's transactions are serial already).
    """
    if expected is None:
        return
    session = object_session(row)
    assert session is not None
    session.refresh(row, with_for_update=True)
    if expected != fingerprint(row):
        raise Conflict(pick(changed))


def record(
    session: Session, actor: Any, action: str, entity: Entity, **change: Unpack[Change]
) -> None:
    """Audit an administrative change of ``entity``."""
    record_event(session, actor, action, entity, role="admin", **change)
