"""Errors raised by operations; views and the API turn each into one HTTP status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class OperationError(Exception):
    """Base class: ``status`` and ``code`` say how the API reports it."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None, **extra: Any):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = extra


class NotFound(OperationError):
    """The thing does not exist, or the caller may not know that it does."""

    status = 404
    code = "not_found"


class OutOfScope(NotFound):
    """The thing exists but lies outside the caller's scope.

    Answered exactly like a missing thing (404), so that nobody learns what exists elsewhere,
    and audited as a refused authorisation.
    """


def require_visible(row: T | None, user: Any, can_view: Callable[[Any, T], bool], what: str) -> T:
    """Return ``row`` if ``user`` may see it: absent or not theirs, "no such ``what``" (404)."""
    if row is None:
        raise NotFound(f"no such {what}")
    if not can_view(user, row):
        raise OutOfScope(f"no such {what}")
    return row


class PermissionDenied(OperationError):
    """The caller may not do this."""

    status = 403
    code = "forbidden"


class Conflict(OperationError):
    """The thing changed since the caller read it, or is in a state that does not allow this."""

    status = 409
    code = "conflict"


class InvalidData(OperationError):
    """Submitted fields are invalid; ``fields`` maps each field to its messages."""

    status = 422
    code = "invalid"


def require_valid(fields: dict[str, list[str]], message: str = "some fields are invalid") -> None:
    """Refuse with InvalidData (``message``) when ``fields`` names any field with its messages."""
    if fields:
        raise InvalidData(message, fields=fields)


class GuardBlocked(OperationError):
    """A guard of the transition refuses it; the message gives its reasons."""

    status = 422
    code = "guard_blocked"


class NotConfigured(OperationError):
    """Something the administrator must configure is missing (e.g. next year's holidays)."""

    status = 503
    code = "not_configured"
