"""Department consultation (征求意见): one opinion request per consulted department."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    and_,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nomination.db import Base, UTCDateTime, utcnow
from nomination.models.nominations import Nomination
from nomination.models.orgs import Organisation
from nomination.models.users import User

#: open: awaiting the department; clear: no objection; adverse: a veto (一票否决), with its
#: reason; closed: no longer needed, because the nomination left consultation another way.
CONSULTATION_STATUSES = ("open", "clear", "adverse", "closed")


class ConsultationRequest(Base):
    """A request for one department's opinion on one nomination, with its deadline."""

    __tablename__ = "consultation_request"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'clear', 'adverse', 'closed')", name="valid_status"),
        CheckConstraint("status != 'adverse' OR reason IS NOT NULL", name="adverse_has_reason"),
        Index("ix_consultation_department_status", "department_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nomination.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    reason: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The end of the department's period (working days from the campaign's rules).
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The period's length in working days, and whether the due time was counted on a
    #: provisional year (recounted when the year becomes official).
    working_days: Mapped[int | None] = mapped_column(Integer)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Incremented on every change: two answers at once give a conflict, never two opinions.
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    nomination: Mapped[Nomination] = relationship()
    department: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)
    answered_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    def overdue(self, now: datetime) -> bool:
        """Return whether the request is still open after its deadline.

        A deadline counted on a provisional year is never overdue: it may still move later.
        """
        return self.status == "open" and self.due_at <= now and not self.due_provisional

    @classmethod
    def overdue_at(cls, now: datetime) -> ColumnElement[bool]:
        """Return the WHERE clause of :meth:`overdue`."""
        return and_(cls.status == "open", cls.due_at <= now, cls.due_provisional.is_(False))
