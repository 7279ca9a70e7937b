"""Who an administrative action is recorded as, and the check every such action makes first."""

from __future__ import annotations

from typing import Any

from nomination.actors import SystemActor
from nomination.errors import PermissionDenied
from nomination.permissions import can_administer


def actor_fields(actor: Any) -> dict[str, Any]:
    """Return the audit event's actor id and name for ``actor``."""
    return {"actor_id": getattr(actor, "id", None), "actor_name": actor.name}


def require_admin(actor: Any) -> None:
    """Refuse administration to anyone but administrators and the command line (SYSTEM)."""
    if not (isinstance(actor, SystemActor) or can_administer(actor)):
        raise PermissionDenied("only administrators may do this")
