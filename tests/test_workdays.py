"""Working days: holidays, 调休, the closing hour; official, provisional and confirmed years."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from nomination.calendar.workdays import Arrangement, DateOutOfRange, Grade, WorkCalendar

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


def test_a_year_after_the_package_is_provisional_on_the_statutory_holidays(cal):
    assert cal.grade(2026) is Grade.OFFICIAL
    assert cal.grade(2027) is Grade.PROVISIONAL
    # 元旦 (Fri Jan 1) is off; Sat Jan 2 and Sun Jan 3 are weekends; no adjusted working days.
    assert not cal.is_workday(date(2027, 1, 1))
    assert not cal.is_workday(date(2027, 1, 3))
    assert cal.is_workday(date(2027, 1, 4))
    # 春节: New Year's Eve (Fri Feb 5) and the three days after it; Tue Feb 9 is worked.
    assert not cal.is_workday(date(2027, 2, 5))
    assert not cal.is_workday(date(2027, 2, 8))
    assert cal.is_workday(date(2027, 2, 9))
    # 清明 on the solar term (Mon Apr 5), 端午 (Wed Jun 9), 中秋 (Wed Sep 15), 国庆 Oct 1-3.
    for day in (date(2027, 4, 5), date(2027, 6, 9), date(2027, 9, 15), date(2027, 10, 1)):
        assert not cal.is_workday(day)
    assert cal.is_workday(date(2027, 10, 4))


def test_the_statutory_days_follow_the_2024_revision():
    import chinese_calendar

    from nomination.calendar.provisional import statutory_holidays

    for year in (2025, 2026):
        # The official years under the revision give every statutory day off.
        days = statutory_holidays(year)
        assert len(days) == 13
        assert all(not chinese_calendar.is_workday(d) for d in days)
    # Every year the lunar tables reach: 13 days, fewer dates when two festivals meet.
    for year in range(2027, 2100):
        assert 12 <= len(statutory_holidays(year)) <= 13
    assert len(statutory_holidays(2028)) == 12  # 中秋 on 3 October, a National Day


@pytest.mark.parametrize(
    ("opened", "closes"),
    [
        # Wed Dec 30 before 17:00 counts: Dec 30, 31, (Jan 1 off, weekend), Jan 4, 5, 6.
        (bj(2026, 12, 30, 16, 59), bj(2027, 1, 6, 17)),
        # At 17:00 counting starts the next day: Dec 31, Jan 4, 5, 6, 7.
        (bj(2026, 12, 30, 17, 0), bj(2027, 1, 7, 17)),
    ],
)
def test_a_period_across_the_year_boundary_is_provisional(cal, opened, closes):
    period = cal.period(opened, 5)
    assert period.ends_at == closes
    assert period.provisional_years == (2027,)
    assert cal.period(bj(2026, 12, 1, 10), 5).provisional is False


def test_an_entered_arrangement_makes_a_year_official():
    arrangement = Arrangement(frozenset({date(2027, 1, 4)}), frozenset({date(2027, 1, 9)}))
    cal = WorkCalendar({2027: arrangement})
    assert cal.grade(2027) is Grade.OFFICIAL
    assert not cal.is_workday(date(2027, 1, 4))
    assert cal.is_workday(date(2027, 1, 9))
    period = cal.period(bj(2026, 12, 30, 10), 5)
    # Dec 30, 31, Jan 1 (a weekday the entered arrangement does not give off), Jan 5, 6.
    assert period.ends_at == bj(2027, 1, 6, 17)
    assert period.provisional is False


def test_a_confirmed_year_counts_provisionally_but_is_not_provisional():
    cal = WorkCalendar(confirmed={2027})
    assert cal.grade(2027) is Grade.CONFIRMED
    period = cal.period(bj(2026, 12, 30, 10), 5)
    assert period.ends_at == WorkCalendar().period_end(bj(2026, 12, 30, 10), 5)
    assert period.ends_at == bj(2027, 1, 6, 17)
    assert period.provisional is False


@pytest.mark.parametrize("day", [date(2000, 3, 1), date(2003, 12, 31), date(2100, 1, 4)])
def test_a_date_outside_the_known_years_is_a_typing_error(cal, day):
    with pytest.raises(DateOutOfRange) as err:
        cal.is_workday(day)
    assert day.isoformat() in err.value.message["zh"]
    assert "typing error" in err.value.message["en"]
