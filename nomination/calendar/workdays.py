"""Working days on the Chinese calendar, with 调休, a closing hour and three grades of a year.

A year is *official* when chinese-calendar knows it or an administrator entered the State
Council's arrangement; *confirmed* when an administrator accepted its provisional calendar for
the periods that run into it; otherwise *provisional*: the statutory holidays alone
(:mod:`nomination.calendar.provisional`). A date before the first year the application knows,
or after the last the lunar tables reach, is refused as a typing error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import chinese_calendar

from nomination.calendar.provisional import statutory_holidays

#: The first year chinese-calendar knows; an earlier date is a typing error.
FIRST_YEAR = min(chinese_calendar.holidays).year
#: The last year chinese-calendar knows: later years are provisional until entered.
LAST_PACKAGED_YEAR = max(*chinese_calendar.holidays, *chinese_calendar.workdays).year
#: The last year the lunar tables reach.
LAST_YEAR = 2099


class Grade(StrEnum):
    """How far a year's calendar can be trusted."""

    OFFICIAL = "official"
    CONFIRMED = "confirmed"
    PROVISIONAL = "provisional"


#: How each grade is said, in both languages.
GRADE_LABELS = {
    Grade.OFFICIAL: {"zh": "正式", "en": "official"},
    Grade.CONFIRMED: {"zh": "暂定(已确认)", "en": "provisional, confirmed"},
    Grade.PROVISIONAL: {"zh": "暂定", "en": "provisional"},
}
#: The one-line reason shown beside a provisional date.
PROVISIONAL_REASON = {
    "zh": "{years}年放假安排尚未公布,按法定节假日暂定计算,公布后重新计算",
    "en": (
        "The official {years} holiday arrangement is not yet published: counted on the statutory "
        "holidays for now and recomputed when it is"
    ),
}


class DateOutOfRange(ValueError):
    """A date lies outside the years the calendar can count: almost always a typing error."""

    def __init__(self, day: date, *, year_only: bool = False):
        self.day = day
        what = (
            (f"{day.year} 年", f"The year {day.year}")
            if year_only
            else (
                f"日期 {day.isoformat()}",
                f"The date {day.isoformat()}",
            )
        )
        self.message = {
            "zh": f"{what[0]}超出可计算的年份({FIRST_YEAR}–{LAST_YEAR}年),请检查是否输入有误",
            "en": (
                f"{what[1]} lies outside the years {FIRST_YEAR}–{LAST_YEAR} the calendar "
                "counts: please check it for a typing error"
            ),
        }
        super().__init__(self.message["en"])


@dataclass(frozen=True)
class Arrangement:
    """One year's official arrangement: weekdays off and weekend days worked (调休)."""

    holidays: frozenset[date]
    workdays: frozenset[date]


@dataclass(frozen=True)
class Period:
    """A period of working days: when it closes, and the provisional years it counted on."""

    ends_at: datetime
    provisional_years: tuple[int, ...]

    @property
    def provisional(self) -> bool:
        """Whether the end may still move when a year becomes official."""
        return bool(self.provisional_years)


#: The same, said of a period that ended (or was interrupted) while its end was provisional.
PROVISIONAL_CLOSED_REASON = {
    "zh": "发布时{years}年放假安排尚未公布,截止时间按法定节假日暂定计算",
    "en": (
        "When published, the {years} holiday arrangement was not yet known: the end was counted "
        "on the statutory holidays"
    ),
}


def provisional_reason(
    years: tuple[int, ...] | list[int], *, closed: bool = False
) -> dict[str, str]:
    """Return the one-line reason for dates counted on the provisional ``years``."""
    reason = PROVISIONAL_CLOSED_REASON if closed else PROVISIONAL_REASON
    return {
        "zh": reason["zh"].format(years="、".join(str(y) for y in years)),
        "en": reason["en"].format(years=", ".join(str(y) for y in years)),
    }


def _packaged(year: int) -> bool:
    return FIRST_YEAR <= year <= LAST_PACKAGED_YEAR


class WorkCalendar:
    """Answers which days are working days and when periods of working days close."""

    def __init__(
        self,
        arrangements: Mapping[int, Arrangement] | None = None,
        confirmed: frozenset[int] | set[int] = frozenset(),
        timezone: str = "Asia/Shanghai",
        closing_hour: int = 17,
    ):
        self.arrangements = dict(arrangements or {})
        self.confirmed = frozenset(confirmed)
        self.tz = ZoneInfo(timezone)
        self.closing_hour = closing_hour
        self._known: dict[date, bool] = {}

    def grade(self, year: int) -> Grade:
        """Return the grade of ``year``; raise :class:`DateOutOfRange` outside the known years."""
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise DateOutOfRange(date(max(1, min(year, 9999)), 1, 1), year_only=True)
        if year in self.arrangements or _packaged(year):
            return Grade.OFFICIAL
        if year in self.confirmed:
            return Grade.CONFIRMED
        return Grade.PROVISIONAL

    def provisional_years(self, first: date, last: date) -> tuple[int, ...]:
        """Return the provisional years from ``first`` to ``last``."""
        return tuple(
            y for y in range(first.year, last.year + 1) if self.grade(y) is Grade.PROVISIONAL
        )

    def is_workday(self, day: date) -> bool:
        """Return whether ``day`` is a working day on this calendar."""
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._is_workday(day)
        return known

    def _is_workday(self, day: date) -> bool:
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise DateOutOfRange(day)
        arrangement = self.arrangements.get(day.year)
        if arrangement is not None:
            if day in arrangement.workdays:
                return True
            return day.weekday() < 5 and day not in arrangement.holidays
        if _packaged(day.year):
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5 and day not in statutory_holidays(day.year)

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

    def _first_counted_day(self, moment: datetime) -> date:
        """The day counting starts on: today before the closing hour, else the next day."""
        local = self.local(moment)
        day = local.date()
        if not self.is_workday(day) or local.timetz().replace(tzinfo=None) >= time(
            self.closing_hour
        ):
            day += timedelta(days=1)
        return day

    def period_end(self, opened_at: datetime, working_days: int) -> datetime:
        """Return when a period of ``working_days`` opened at ``opened_at`` closes.

        The opening day counts when it is a working day and the period opens before the
        closing hour; otherwise counting starts on the next working day. The period closes at
        the closing hour of its last working day.
        """
        return self.period(opened_at, working_days).ends_at

    def period(self, opened_at: datetime, working_days: int) -> Period:
        """Return the period of ``working_days`` opened at ``opened_at``, with its grade."""
        if working_days < 1:
            raise ValueError("a period lasts at least one working day")
        day = self.next_workday(self._first_counted_day(opened_at))
        for _ in range(working_days - 1):
            day = self.next_workday(day + timedelta(days=1))
        first = self.local(opened_at).date()
        return Period(self.closing(day).astimezone(UTC), self.provisional_years(first, day))

    def remaining_working_days(self, now: datetime, closes_at: datetime) -> int:
        """Return how many working days of a period closing at ``closes_at`` are left at ``now``.

        Counted as :meth:`period_end` counts: a period of that many working days opened at
        ``now`` closes at ``closes_at``. Zero once it has closed.
        """
        if now >= closes_at:
            return 0
        day = self._first_counted_day(now)
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
