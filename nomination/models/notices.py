"""The public notice as it was published: one entry per nominee per publication (公示记录)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from nomination.db import Base, JSONType, UTCDateTime


class NoticeEntry(Base):
    """What the public was shown of one nomination on notice, fixed when it was published.

    Written by the transition that publishes the notice and never changed afterwards, except
    that ``closed_at`` is set once when the nomination leaves the notice, and that a provisional
    end is recounted (audited) when its year's official arrangement is entered. Pages, the print
    version, the PDF, the feed and the archive are rendered from these rows, never from the
    nomination's current data.
    """

    __tablename__ = "notice_entry"
    __table_args__ = (
        UniqueConstraint("nomination_id", "sequence"),
        CheckConstraint("sequence >= 1", name="sequence_positive"),
        CheckConstraint(
            "closed_at IS NULL OR closed_at >= published_at", name="closed_after_published"
        ),
        Index("ix_notice_entry_campaign_kind", "campaign_id", "kind", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nomination.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    kind: Mapped[str] = mapped_column(String(16))
    #: 1 for the first publication; a notice resumed after a dismissed objection is the next.
    sequence: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the period was announced to close (None: the state has no period).
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The period's length in working days, and whether its end was counted on a provisional
    #: year (shown as 暂定; recounted, and audited, when the year becomes official).
    working_days: Mapped[int | None] = mapped_column(Integer)
    ends_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: When the end was last recounted (a year's arrangement entered or confirmed): the feed
    #: tells its readers the entry changed.
    ends_recounted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the nomination left the notice (its period ended, or an objection interrupted it).
    #: Says nothing about the outcome.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: The campaign's order at publication ("unit" or "stroke") and the entry's key in it.
    notice_order: Mapped[str] = mapped_column(String(16))
    order_key: Mapped[str] = mapped_column(Text)
    nominee_name: Mapped[str] = mapped_column(String(200))
    unit_name: Mapped[str] = mapped_column(String(200))
    #: The award's title in both languages, {"zh": ..., "en": ...}.
    award_title: Mapped[dict[str, str]] = mapped_column(JSONType)
    #: The federation that published the notice.
    issuer: Mapped[str] = mapped_column(String(200))
    #: The form's public fields as shown: [{"name", "label": {zh, en}, "value", "display": {zh,
    #: en}}], in the form's order.
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    #: Where objections went: body, address, phone, email.
    objection_contact: Mapped[dict[str, Any]] = mapped_column(JSONType)

    @property
    def changed_at(self) -> datetime:
        """When what the entry shows last changed: published, or its end recounted."""
        return max(self.published_at, self.ends_recounted_at or self.published_at)

    def __repr__(self) -> str:
        return f"<NoticeEntry {self.id} nomination {self.nomination_id} #{self.sequence}>"
