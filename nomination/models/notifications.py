"""In-app notifications, each linking to its item, and the e-mail sent for them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nomination.db import Base, JSONType, UTCDateTime, utcnow
from nomination.models.users import User

#: queue: a new item awaits the user; returned: returned to the user's unit; due_soon: a
#: deadline in 2 working days; overdue: a deadline passed; result: an outcome to read.
NOTIFICATION_KINDS = ("queue", "returned", "due_soon", "overdue", "result")
#: none: no mail wanted (mail off, or no address); pending: to send; sent; failed.
EMAIL_STATUSES = ("none", "pending", "sent", "failed")


class Notification(Base):
    """One message to one user about one item; ``key`` makes a reminder go out only once."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("user_id", "key"),
        CheckConstraint(
            "kind IN ('queue', 'returned', 'due_soon', 'overdue', 'result')", name="valid_kind"
        ),
        CheckConstraint(
            "email_status IN ('none', 'pending', 'sent', 'failed')", name="valid_email_status"
        ),
        Index("ix_notification_user_read", "user_id", "read_at"),
        Index("ix_notification_email_status", "email_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(16))
    #: Identifies the event, e.g. "queue:nomination:12:committee_review:3".
    key: Mapped[str] = mapped_column(String(200))
    #: The text in each interface language: {"zh": …, "en": …}. Never personal data beyond
    #: what the user may already read on the linked page.
    message: Mapped[dict[str, str]] = mapped_column(JSONType)
    #: A path inside the application ("/nominations/12"), never an absolute address.
    url: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_status: Mapped[str] = mapped_column(String(16), default="none")
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_error: Mapped[str | None] = mapped_column(String(300))

    user: Mapped[User] = relationship()
