"""How pages and the API say that a date was counted on a provisional year."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from nomination.calendar import store
from nomination.calendar.workdays import Grade, provisional_reason
from nomination.i18n import pick


def provisional_years_until(at: datetime) -> list[int]:
    """Return the provisional years up to ``at``'s year (the ones a period ending then used)."""
    cal = store.current()
    last = cal.local(at).year
    years = [y for y in range(last - 1, last + 1) if cal.grade(y) is Grade.PROVISIONAL]
    return years or [last]


def provisional_note(
    at: datetime | None, language: str | None = None, *, closed: bool = False
) -> str:
    """Return the one-line reason for a provisional end at ``at``, in the current language.

    ``closed``: the period ended (or was interrupted) while its end was still provisional.
    """
    if at is None:
        return ""
    return pick(provisional_reason(provisional_years_until(at), closed=closed), language)


def provisional_fields(flag: bool, at: datetime | None, *, closed: bool = False) -> dict[str, Any]:
    """Return the API's ``provisional`` and ``provisional_reason`` for one date."""
    if not flag or at is None:
        return {"provisional": False, "provisional_reason": None}
    return {
        "provisional": True,
        "provisional_reason": provisional_reason(provisional_years_until(at), closed=closed),
    }
