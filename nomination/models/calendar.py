"""The calendar years an administrator entered or confirmed, shared by every host."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nomination.db import Base, JSONType, UTCDateTime

#: official: the State Council's arrangement, entered; confirmed: the provisional calendar
#: accepted for the year's periods until the arrangement is entered.
CALENDAR_YEAR_GRADES = ("official", "confirmed")


class CalendarYear(Base):
    """One year's entered arrangement (holidays and 调休) or its confirmed provisional calendar."""

    __tablename__ = "calendar_year"
    __table_args__ = (CheckConstraint("grade IN ('official', 'confirmed')", name="valid_grade"),)

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    grade: Mapped[str] = mapped_column(String(16))
    #: ISO dates: weekdays that are days off, and weekend days that are worked.
    holidays: Mapped[list[str]] = mapped_column(JSONType, default=list)
    workdays: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: Where the arrangement comes from (the notice's number), or why the year was confirmed.
    source: Mapped[str] = mapped_column(Text)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The hash of the audit event that recorded this version of the year: processes rebuild
    #: their calendar when a year's hash changes, and a form posted against an older version
    #: is refused.
    event_hash: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<CalendarYear {self.year} {self.grade}>"
