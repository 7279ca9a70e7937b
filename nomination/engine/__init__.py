"""The workflow engine. The rest of the application reaches it through these names only."""

from nomination.engine.core import (
    Available,
    Check,
    apply_due_timers,
    available,
    award_kinds,
    calendar,
    current_definitions,
    fire,
    pin_definition,
    stale_is_conflict,
    states_tagged,
    workflow_by_hash,
    workflow_for,
)

__all__ = [
    "Available",
    "Check",
    "apply_due_timers",
    "available",
    "award_kinds",
    "calendar",
    "current_definitions",
    "fire",
    "pin_definition",
    "stale_is_conflict",
    "states_tagged",
    "workflow_by_hash",
    "workflow_for",
]
