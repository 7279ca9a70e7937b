"""Actors that are not logged-in users: the timers (system) and the public."""

from __future__ import annotations

from dataclasses import dataclass


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
