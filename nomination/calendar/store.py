"""The application's calendar: the packaged years plus those entered in the database.

Every host reads the same rows, so several hosts agree. A process keeps one calendar per
version of those rows (each row names the audit event that recorded it) and asks the database
for the versions once per request or command, so that a year entered on one host is used by
the others from their next request on.
"""

from __future__ import annotations

from datetime import date

from flask import current_app, g, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from nomination import db
from nomination.calendar.workdays import Arrangement, WorkCalendar
from nomination.models import CalendarYear

_CALENDARS: dict[tuple, WorkCalendar] = {}
_G_KEY = "_nomination_calendar"


def build(rows: list[CalendarYear], timezone: str, closing_hour: int) -> WorkCalendar:
    """Return the calendar with the entered years of ``rows``."""
    arrangements = {
        r.year: Arrangement(
            frozenset(date.fromisoformat(d) for d in r.holidays),
            frozenset(date.fromisoformat(d) for d in r.workdays),
        )
        for r in rows
        if r.grade == "official"
    }
    confirmed = {r.year for r in rows if r.grade == "confirmed"}
    return WorkCalendar(arrangements, confirmed, timezone=timezone, closing_hour=closing_hour)


def versions(session: Session) -> tuple[tuple[int, str], ...]:
    """Return each entered year with the hash of the event that recorded its version."""
    rows = session.execute(
        select(CalendarYear.year, CalendarYear.event_hash).order_by(CalendarYear.year)
    )
    return tuple((year, event_hash) for year, event_hash in rows)


def current(session: Session | None = None) -> WorkCalendar:
    """Return the calendar in force for this request or command."""
    if not has_app_context():
        return _CALENDARS.setdefault(("default",), WorkCalendar())
    memo = g.get(_G_KEY)
    if memo is not None:
        return memo
    session = session or db.session()
    cfg = current_app.config
    key = (versions(session), cfg["TIMEZONE"], int(cfg["CLOSING_HOUR"]))
    cal = _CALENDARS.get(key)
    if cal is None:
        rows = list(session.scalars(select(CalendarYear)))
        cal = _CALENDARS[key] = build(rows, cfg["TIMEZONE"], int(cfg["CLOSING_HOUR"]))
    setattr(g, _G_KEY, cal)
    return cal


def use(cal: WorkCalendar) -> None:
    """Use ``cal`` for the rest of this request or command."""
    if has_app_context():
        setattr(g, _G_KEY, cal)


def uncached(session: Session) -> WorkCalendar:
    """Return the calendar from the rows this transaction sees, without keeping it.

    A transaction that entered a year reads it here: its version is not committed yet and
    may still be rolled back, so no other request may take it from the cache.
    """
    cfg = current_app.config
    rows = list(session.scalars(select(CalendarYear)))
    return build(rows, cfg["TIMEZONE"], int(cfg["CLOSING_HOUR"]))
