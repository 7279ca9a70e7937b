"""Working days on the official calendar: holidays, 调休, the 17:00 closing hour, unknown years."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from nomination.workdays import UnknownCalendarYear, WorkCalendar

BEIJING = ZoneInfo("Asia/Shanghai")


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


@pytest.mark.parametrize(
    ("opened", "days", "closes"),
    [
        # The day before National Day 2026: Oct 1–7 off, Saturday Oct 10 is worked.
        (bj(2026, 9, 30, 10), 5, bj(2026, 10, 12, 17)),
        # Spring Festival 2026: Saturday Feb 14 is worked, Feb 15–23 off.
        (bj(2026, 2, 13, 10), 5, bj(2026, 2, 26, 17)),
        # Sunday Sep 20 2026 is an adjusted working day (调休).
        (bj(2026, 9, 18, 10), 3, bj(2026, 9, 21, 17)),
        # An ordinary week: Wednesday to Tuesday.
        (bj(2026, 11, 18, 10), 5, bj(2026, 11, 24, 17)),
        # Opened on a Saturday: counting starts on Monday.
        (bj(2026, 11, 21, 9), 1, bj(2026, 11, 23, 17)),
    ],
)
def test_period_end(cal, opened, days, closes):
    assert cal.period_end(opened, days) == closes


@pytest.mark.parametrize(
    ("now", "closes", "left"),
    [
        # The National Day notice, interrupted on its first day: all 5 working days left.
        (bj(2026, 9, 30, 11), bj(2026, 10, 12, 17), 5),
        # During the holiday: Oct 8, 9, the worked Saturday Oct 10 and Monday Oct 12 are left.
        (bj(2026, 10, 3, 11), bj(2026, 10, 12, 17), 4),
        # On the last day before and after the closing hour.
        (bj(2026, 11, 24, 16, 59, 59), bj(2026, 11, 24, 17), 1),
        (bj(2026, 11, 24, 17), bj(2026, 11, 24, 17), 0),
    ],
)
def test_remaining_working_days(cal, now, closes, left):
    assert cal.remaining_working_days(now, closes) == left
    if left:
        # What is left, opened now, closes when the period would have.
        assert cal.period_end(now, left) == closes


def test_opening_day_counts_only_before_the_closing_hour(cal):
    assert cal.period_end(bj(2026, 11, 18, 16, 59, 59), 1) == bj(2026, 11, 18, 17)
    assert cal.period_end(bj(2026, 11, 18, 17, 0, 0), 1) == bj(2026, 11, 19, 17)


def test_closing_boundary(cal):
    last = date(2026, 11, 24)
    assert not cal.is_closed(last, bj(2026, 11, 24, 16, 59, 59))
    assert cal.is_closed(last, bj(2026, 11, 24, 17, 0, 0))


def test_working_days_between_counts_adjusted_days(cal):
    # Sep 18 (Fri), Sep 20 (Sun, worked), Sep 21 (Mon); Sep 19 is off.
    assert cal.working_days_between(date(2026, 9, 18), date(2026, 9, 21)) == 3
    # Oct 1–7 2026 are all off.
    assert cal.working_days_between(date(2026, 10, 1), date(2026, 10, 7)) == 0


def test_unknown_year_is_an_error_not_a_guess(cal):
    with pytest.raises(UnknownCalendarYear) as err:
        cal.period_end(bj(2026, 12, 30, 10), 5)
    assert "2027" in str(err.value)


def test_override_file_supplies_a_new_year(tmp_path):
    path = tmp_path / "holidays.toml"
    path.write_text(
        '[2027]\nholidays = ["2027-01-01"]\nworkdays = ["2027-01-03"]\n', encoding="utf-8"
    )
    cal = WorkCalendar.from_file(path)
    # Wed Dec 30, Thu Dec 31, (Fri Jan 1 off), Sun Jan 3 worked, Mon Jan 4, Tue Jan 5.
    assert cal.period_end(bj(2026, 12, 30, 10), 5) == bj(2027, 1, 5, 17)
    assert cal.is_workday(date(2027, 1, 3))
    assert not cal.is_workday(date(2027, 1, 1))
    with pytest.raises(UnknownCalendarYear):
        cal.is_workday(date(2028, 3, 1))
