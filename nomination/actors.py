"""Actors that are not logged-in users: the timers (system) and the public."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SystemActor:
    """The application itself, firing timers."""

    id: None = None
    name: str = "system"
    is_authenticated: bool = False


@dataclass(frozen=True)
class PublicActor:
    """A member of the public, who files objections without logging in."""

    id: None = None
    name: str = "public"
    is_authenticated: bool = False


SYSTEM = SystemActor()
PUBLIC = PublicActor()


def actor_fields(actor: Any) -> dict[str, Any]:
    """Return the audit event's actor id and name for ``actor`` (a user, SYSTEM or PUBLIC)."""
    return {"actor_id": getattr(actor, "id", None), "actor_name": actor.name}
