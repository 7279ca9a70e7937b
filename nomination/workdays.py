"""Working days on the official Chinese calendar, with 调休 and a closing hour.

The chinese-calendar package knows the years the State Council had published when it was
released. Later years come from an administrator's file (``NOMINATION_HOLIDAYS_FILE``, TOML)::

    [2027]
    holidays = ["2027-01-01", ...]      # weekdays that are days off
    workdays = ["2027-02-07", ...]      # weekend days that are worked (调休)

A date in a year known to neither raises ``UnknownCalendarYear`` rather than guessing.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar


class UnknownCalendarYear(Exception):
    """A date falls in a year whose official holiday calendar nobody has configured."""

    def __init__(self, year: int):
        super().__init__(
            f"The official holiday calendar for {year} is not configured: add the year to the "
            "holidays file (NOMINATION_HOLIDAYS_FILE) once the State Council has published it."
        )
        self.year = year


class WorkCalendar:
    """Answers which days are working days and when periods of working days close."""

    def __init__(
        self,
        overrides: dict[int, tuple[set[date], set[date]]] | None = None,
        timezone: str = "Asia/Shanghai",
        closing_hour: int = 17,
    ):
        self.overrides = overrides or {}
        self.tz = ZoneInfo(timezone)
        self.closing_hour = closing_hour
        self._known: dict[date, bool] = {}

    @classmethod
    def from_file(cls, path: str | Path | None, **kwargs: object) -> WorkCalendar:
        """Build a calendar with the overrides in ``path`` (if the file exists)."""
        overrides: dict[int, tuple[set[date], set[date]]] = {}
        if path and Path(path).is_file():
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
            for year, entry in raw.items():
                overrides[int(year)] = (
                    {date.fromisoformat(d) for d in entry.get("holidays", [])},
                    {date.fromisoformat(d) for d in entry.get("workdays", [])},
                )
        return cls(overrides, **kwargs)  # type: ignore[arg-type]

    def is_workday(self, day: date) -> bool:
        """Return whether ``day`` is an official working day."""
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._is_workday(day)
        return known

    def _is_workday(self, day: date) -> bool:
        if day.year in self.overrides:
            holidays, workdays = self.overrides[day.year]
            if day in workdays:
                return True
            if day in holidays:
                return False
            return day.weekday() < 5
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            raise UnknownCalendarYear(day.year) from None

    def next_workday(self, day: date) -> date:
        """Return ``day`` if it is a working day, else the first working day after it."""
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def local(self, moment: datetime) -> datetime:
        """Return ``moment`` in the calendar's time zone."""
        return moment.astimezone(self.tz)

    def closing(self, day: date) -> datetime:
        """Return the closing moment of ``day`` (e.g. 17:00 Asia/Shanghai) as an aware datetime."""
        return datetime.combine(day, time(self.closing_hour), tzinfo=self.tz)

    def period_end(self, opened_at: datetime, working_days: int) -> datetime:
        """Return when a period of ``working_days`` opened at ``opened_at`` closes.

        The opening day counts when it is a working day and the period opens before the
        closing hour; otherwise counting starts on the next working day. The period closes at
        the closing hour of its last working day.
        """
        if working_days < 1:
            raise ValueError("a period lasts at least one working day")
        local = self.local(opened_at)
        day = local.date()
        if not self.is_workday(day) or local.timetz().replace(tzinfo=None) >= time(
            self.closing_hour
        ):
            day += timedelta(days=1)
        day = self.next_workday(day)
        for _ in range(working_days - 1):
            day = self.next_workday(day + timedelta(days=1))
        return self.closing(day).astimezone(UTC)

    def remaining_working_days(self, now: datetime, closes_at: datetime) -> int:
        """Return how many working days of a period closing at ``closes_at`` are left at ``now``.

        Counted as :meth:`period_end` counts: a period of that many working days opened at
        ``now`` closes at ``closes_at``. Zero once it has closed.
        """
        if now >= closes_at:
            return 0
        local = self.local(now)
        day = local.date()
        if not self.is_workday(day) or local.timetz().replace(tzinfo=None) >= time(
            self.closing_hour
        ):
            day += timedelta(days=1)
        return self.working_days_between(day, self.local(closes_at).date())

    def working_days_between(self, first: date, last: date) -> int:
        """Count the working days from ``first`` to ``last``, both included."""
        count = 0
        day = first
        while day <= last:
            count += self.is_workday(day)
            day += timedelta(days=1)
        return count

    def is_closed(self, day: date, now: datetime) -> bool:
        """Return whether a period whose last day is ``day`` has closed at ``now``."""
        return now >= self.closing(day)
