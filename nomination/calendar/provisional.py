"""A provisional year: the statutory holidays alone, until the official arrangement is known.

《全国年节及纪念日放假办法》 as revised in 2024 gives 13 days off a year: 元旦 1, 春节 4 (from
New Year's Eve), 清明 1, 劳动节 2, 端午 1, 中秋 1, 国庆 3. The lunar dates and the 清明 solar
term come from the ``holidays`` package's China calendar. Its "observed" days and its
substituted days off (调休) are its own guesses or past arrangements, so they are left out: a
provisional year has weekends as days off and no adjusted working days.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import holidays

#: The package's English names of the statutory days, and how many days each gives.
STATUTORY = {
    "New Year's Day": 1,
    "Chinese New Year's Eve": 1,
    "Chinese New Year (Spring Festival)": 3,
    "Tomb-Sweeping Day": 1,
    "Labor Day": 2,
    "Dragon Boat Festival": 1,
    "Mid-Autumn Festival": 1,
    "National Day": 3,
}
#: Days off a year under the 2024 revision.
DAYS_A_YEAR = sum(STATUTORY.values())


class StatutoryDaysUnknown(RuntimeError):
    """The holidays package did not give the 13 statutory days for a year."""


@cache
def statutory_holidays(year: int) -> frozenset[date]:
    """Return the statutory days off of ``year`` (weekend days among them too)."""
    found = holidays.China(years=year, observed=False, language="en_US")
    # Two festivals may fall on one day (中秋 on 3 October 2028): the package joins their names.
    named = [(d, name) for d in found for name in found.get_list(d) if name in STATUTORY]
    if len(named) != DAYS_A_YEAR:
        # A newer package that names or counts them otherwise must not shorten a notice silently.
        raise StatutoryDaysUnknown(
            f"the holidays package gave {len(named)} statutory days for {year}, not {DAYS_A_YEAR}"
        )
    return frozenset(d for d, _ in named)
