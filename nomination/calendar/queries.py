"""What the calendar says of years and open periods, for pages, the API and the tick."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from nomination.calendar.workdays import (
    FIRST_YEAR,
    GRADE_LABELS,
    LAST_PACKAGED_YEAR,
    LAST_YEAR,
    Grade,
    WorkCalendar,
    provisional_reason,
)
from nomination.models import CalendarYear

#: From this month on, next year's missing arrangement is announced.
WARN_FROM_MONTH = 11


@dataclass(frozen=True)
class YearView:
    """One year as the administration page and ``calendar show`` present it."""

    year: int
    grade: Grade
    label: dict[str, str]
    #: Weekdays off and weekend days worked (an entered or packaged year), or the statutory
    #: days off (a provisional or confirmed one).
    holidays: list[date]
    workdays: list[date]
    row: CalendarYear | None

    @property
    def source(self) -> str:
        """Where the year's calendar comes from."""
        if self.row is not None:
            return self.row.source
        if self.grade is Grade.OFFICIAL:
            return "chinese-calendar"
        return "《全国年节及纪念日放假办法》(2024)"

    @property
    def version(self) -> str:
        """The version a form posted about this year must still find."""
        return self.row.event_hash if self.row else ""


def year_view(session: Session, cal: WorkCalendar, year: int) -> YearView:
    """Return ``year``'s grade and days off as the calendar in force counts them."""
    grade = cal.grade(year)
    row = session.get(CalendarYear, year)
    days = [
        date.fromordinal(o)
        for o in range(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1)
    ]
    holidays = [d for d in days if d.weekday() < 5 and not cal.is_workday(d)]
    workdays = [d for d in days if d.weekday() >= 5 and cal.is_workday(d)]
    if grade is not Grade.OFFICIAL:
        from nomination.calendar.provisional import statutory_holidays

        holidays = sorted(statutory_holidays(year))
    return YearView(year, grade, GRADE_LABELS[grade], holidays, workdays, row)


def listed_years(session: Session, cal: WorkCalendar, today: date) -> list[int]:
    """Return the years the administration page lists: entered ones, and around today."""
    entered = set(session.scalars(select(CalendarYear.year)))
    near = {y for y in (today.year - 1, today.year, today.year + 1) if FIRST_YEAR <= y <= LAST_YEAR}
    return sorted(entered | near | {min(LAST_PACKAGED_YEAR + 1, LAST_YEAR)}, reverse=True)


def missing_years(cal: WorkCalendar, now: datetime) -> list[int]:
    """Return the years whose official arrangement is missing and already matters.

    This year when it is not official; next year from 1 November on.
    """
    today = cal.local(now).date()
    years = [today.year]
    if today.month >= WARN_FROM_MONTH:
        years.append(today.year + 1)
    return [y for y in years if y <= LAST_YEAR and cal.grade(y) is not Grade.OFFICIAL]


def missing_message(years: list[int]) -> dict[str, str]:
    """Return the warning shown to administrators and the federation."""
    reason = provisional_reason(years)
    return {
        "zh": f"{'、'.join(str(y) for y in years)}年放假安排尚未录入。{reason['zh']}。"
        "请在国务院办公厅通知发布后录入。",
        "en": f"The {', '.join(str(y) for y in years)} holiday arrangement is not entered. "
        f"{reason['en']}. Enter it once the State Council publishes it.",
    }
