"""The workflow engine. The rest of the application reaches it through these names only."""

# Importing these registers the named guards and effects the definitions refer to.
from nomination.engine import (  # noqa: F401
    effects,
    guards,
    revocation_rules,
    verification_rules,
)
from nomination.engine.core import (
    Available,
    apply_due_timers,
    available,
    calendar,
    current_definitions,
    fire,
    pin_definition,
    stale_is_conflict,
    workflow_by_hash,
    workflow_for,
)

__all__ = [
    "Available",
    "apply_due_timers",
    "available",
    "calendar",
    "current_definitions",
    "fire",
    "pin_definition",
    "stale_is_conflict",
    "workflow_by_hash",
    "workflow_for",
]
