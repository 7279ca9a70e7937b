"""What revocation and verification cases share: reading one of a kind, firing its transitions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from nomination import engine
from nomination.errors import require_visible
from nomination.models import ArchiveCase


def load_case(
    session: Session,
    case_id: int,
    user: Any,
    *,
    kind: str,
    can_view: Callable[[Any, ArchiveCase], bool],
    what: str,
) -> ArchiveCase:
    """Return the ``kind`` case if ``user`` may read it: else "no such ``what``" (404 alike)."""
    case = session.get(ArchiveCase, case_id)
    return require_visible(case if case and case.kind == kind else None, user, can_view, what)


def transition_case(
    case: ArchiveCase,
    *,
    actor: Any,
    trigger: str,
    version: int | None,
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> ArchiveCase:
    """Fire ``trigger`` on ``case`` as ``actor`` (the engine checks, changes and audits)."""
    return engine.fire(case, trigger, actor, version=version, data=data, now=now)
