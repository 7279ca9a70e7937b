"""What the calendar says of years and open periods, for pages, the API and the tick."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from nomination.calendar.provisional import statutory_holidays
from nomination.calendar.workdays import (
    FIRST_YEAR,
    GRADE_LABELS,
    LAST_PACKAGED_YEAR,
    LAST_YEAR,
    Grade,
    WorkCalendar,
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
    def source(self) -> dict[str, str]:
        """Where the year's calendar comes from, said for people."""
        if self.row is not None and self.row.grade == "confirmed":
            return {
                "zh": f"按法定节假日暂定,经确认:{self.row.source}",
                "en": f"Statutory holidays, confirmed: {self.row.source}",
            }
        if self.row is not None:
            return {"zh": self.row.source, "en": self.row.source}
        if self.grade is Grade.OFFICIAL:
            return {
                "zh": "国务院办公厅当年通知(随 chinese-calendar 软件包提供)",
                "en": "The State Council's notice of the year (shipped in chinese-calendar)",
            }
        return {
            "zh": "《全国年节及纪念日放假办法》(2024年修订)的法定节假日",
            "en": "The statutory holidays of the 2024 holiday regulations",
        }

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
    zh = "、".join(str(y) for y in years)
    en = ", ".join(str(y) for y in years)
    return {
        "zh": f"{zh}年放假安排尚未录入:跨入该年的公示期和期限暂按法定节假日计算(标为“暂定”),"
        "录入后自动重新计算。",
        "en": f"The {en} holiday arrangement is not entered yet: periods running into it are "
        "counted on the statutory holidays for now (marked provisional) and recounted once it is.",
    }
