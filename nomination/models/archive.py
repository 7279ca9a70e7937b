"""The archive of honoured workers, units and teams (劳模档案): one record per conferred honour."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nomination.db import Base, UTCDateTime, utcnow
from nomination.models.nominations import Nomination
from nomination.models.orgs import Organisation


class HonourRecord(Base):
    """An honour held by a person, unit or team, written by the approval that conferred it."""

    __tablename__ = "honour_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The nomination it came from, when it came through this system.
    nomination_id: Mapped[int | None] = mapped_column(ForeignKey("nomination.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    holder_name: Mapped[str] = mapped_column(String(200), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    conferred_by: Mapped[str] = mapped_column(String(200))
    decision_number: Mapped[str] = mapped_column(String(64))
    decision_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    nomination: Mapped[Nomination | None] = relationship()
    unit: Mapped[Organisation | None] = relationship()
