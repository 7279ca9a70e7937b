"""Nominations and the objections filed against them during the public notice."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nomination.db import Base, JSONType, UTCDateTime, utcnow
from nomination.models.campaigns import Campaign
from nomination.models.orgs import Organisation, Team


class Nomination(Base):
    """A nominee (person, unit or team) put forward in a campaign, moving through a workflow."""

    __tablename__ = "nomination"
    #: How the audit trail names this kind of subject of the engine.
    AUDIT_ENTITY = "nomination"
    __table_args__ = (
        # A decision number exists exactly when the nomination is approved.
        CheckConstraint(
            "(state = 'approved') = (decision_number IS NOT NULL)", name="decision_iff_approved"
        ),
        Index("ix_nomination_timer_due", "timer_due_at"),
        Index("ix_nomination_campaign_state", "campaign_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    kind: Mapped[str] = mapped_column(String(16))
    #: The nominating unit; its place in the tree decides who may see and act.
    unit_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    #: The definition version this nomination runs on, pinned when it was created.
    definition_hash: Mapped[str] = mapped_column(ForeignKey("definition_version.hash"))
    state: Mapped[str] = mapped_column(String(32), index=True)
    #: Incremented on every change; a write with a stale version is refused (optimistic locking).
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    #: Nominee data, validated by the award kind's form definition.
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: Evidence recorded by transitions (workers'-congress vote, unit notice, opinions).
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: Name of the nominee, copied from the data for lists and notices.
    nominee_name: Mapped[str] = mapped_column(String(200), default="")
    decision_number: Mapped[str | None] = mapped_column(String(64))
    decision_date: Mapped[date | None] = mapped_column(Date)
    #: The pending timer of the current state, if any: fired by tick or lazily on read.
    timer_trigger: Mapped[str | None] = mapped_column(String(64))
    timer_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What the timer's period was counted from, so that it can be counted again when a
    #: year of the calendar changes grade: its start and length in working days.
    timer_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    timer_working_days: Mapped[int | None] = mapped_column(Integer)
    #: The due time was counted on a provisional year: the timer waits until it is official
    #: or confirmed, so that it never fires earlier than the official calendar allows.
    timer_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: When the current state was entered.
    state_entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    campaign: Mapped[Campaign] = relationship(lazy="joined", innerjoin=True)
    unit: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)
    team: Mapped[Team | None] = relationship()
    objections: Mapped[list[Objection]] = relationship(
        back_populates="nomination", order_by="Objection.id"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="nomination", order_by="Attachment.id"
    )

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Nomination {self.id} {self.kind} {self.state}>"


class Objection(Base):
    """An objection (异议) from the public; the objector's identity is confidential."""

    __tablename__ = "objection"
    __table_args__ = (
        CheckConstraint(
            "status IN ('open', 'unfounded', 'founded', 'closed')", name="valid_status"
        ),
        CheckConstraint("objector_kind IN ('person', 'unit')", name="valid_objector_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nomination.id"), index=True)
    #: Given to the objector to follow the objection without logging in.
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    objector_name: Mapped[str] = mapped_column(String(100))
    objector_phone: Mapped[str] = mapped_column(String(32))
    objector_address: Mapped[str] = mapped_column(String(300))
    facts: Mapped[str] = mapped_column(Text)
    #: "person" (real name) or "unit" (a named unit, with its sealed letter attached).
    objector_kind: Mapped[str] = mapped_column(
        String(16), default="person", server_default="person"
    )
    #: "open", then "unfounded" or "founded" when concluded, or "closed" when the nomination
    #: lapsed before a conclusion (its unit did not answer in time).
    status: Mapped[str] = mapped_column(String(16), default="open")
    conclusion: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Received after the nominee's notice had closed: stored and handled, never dropped.
    late: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Keyed pseudonym of the sender's address, for the rate limit (never the address).
    client_key: Mapped[str | None] = mapped_column(String(40), index=True)

    nomination: Mapped[Nomination] = relationship(back_populates="objections")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="objection", order_by="Attachment.id"
    )


class Attachment(Base):
    """A file attached to a nomination (deeds, minutes, the stamped notice, photos).

    Stored outside the database under its content hash; this row records what it is and who
    gave it. The unit-side issue brings uploading (checked by content) and downloading.
    """

    __tablename__ = "attachment"
    __table_args__ = (CheckConstraint("size >= 0", name="size_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nomination.id"), index=True)
    #: The objection it was sent with (evidence, a unit's sealed letter): only the objection
    #: handlers see these.
    objection_id: Mapped[int | None] = mapped_column(ForeignKey("objection.id"), index=True)
    #: The department opinion it was given with (征求意见): seen by the federation's reviewers
    #: and that department, never by the unit.
    consultation_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation_request.id"), index=True
    )
    #: SHA-256 of the content, which is also its name in the file store.
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    #: The type found by reading the content, not the one the browser claimed.
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    #: What the file is for, e.g. deeds, congress_minutes, unit_notice, photo.
    purpose: Mapped[str] = mapped_column(String(32))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    nomination: Mapped[Nomination] = relationship(back_populates="attachments")
    objection: Mapped[Objection | None] = relationship(back_populates="attachments")
