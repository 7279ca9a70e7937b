"""Archive cases run by the workflow engine: revocations (撤销称号) and annual verification.

A case has what the engine needs of any subject — a pinned definition, a state, a version,
the unit it concerns (whose place in the tree decides who may act) and its timer — so that
``engine.available`` and ``engine.fire`` take it exactly as they take a nomination.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nomination.db import Base, JSONType, UTCDateTime, utcnow
from nomination.models.archive import ArchivePerson, HonourRecord
from nomination.models.orgs import Organisation

CASE_KINDS = ("revocation", "verification")
#: Grounds for revoking a title (DOMAIN.md §3, §8).
REVOCATION_GROUNDS = ("criminal_penalty", "fraud", "serious_violation")
#: What a revoked holder gives back.
RETURN_ITEMS = ("certificate", "medal", "plaque", "decision")


class ArchiveCase(Base):
    """A revocation of one honour, or one unit's part of an annual verification round."""

    __tablename__ = "archive_case"
    __table_args__ = (
        CheckConstraint("kind IN ('revocation', 'verification')", name="valid_kind"),
        Index("ix_archive_case_kind_state", "kind", "state"),
    )
    #: How the audit trail names this kind of subject.
    AUDIT_ENTITY = "case"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    federation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    #: The unit the case concerns: the honour holder's unit, or the unit verifying.
    unit_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    definition_hash: Mapped[str] = mapped_column(ForeignKey("definition_version.hash"))
    state: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    #: The case's own data, validated by its definition's form (grounds and facts, …).
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: Recorded by transitions: opinions, the decision.
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    honour_record_id: Mapped[int | None] = mapped_column(ForeignKey("honour_record.id"), index=True)
    verification_round_id: Mapped[int | None] = mapped_column(
        ForeignKey("verification_round.id"), index=True
    )
    timer_trigger: Mapped[str | None] = mapped_column(String(64))
    timer_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state_entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Organisation] = relationship(foreign_keys=[unit_id], lazy="joined")
    federation: Mapped[Organisation] = relationship(foreign_keys=[federation_id])
    honour: Mapped[HonourRecord | None] = relationship()
    verification_round: Mapped[VerificationRound | None] = relationship(back_populates="cases")
    items: Mapped[list[ReturnItem]] = relationship(
        back_populates="case", order_by="ReturnItem.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def campaign(self) -> None:
        """Cases belong to no campaign: their timers name fixed numbers of days."""
        return None

    @property
    def campaign_id(self) -> None:
        """Cases belong to no campaign."""
        return None


class VerificationRound(Base):
    """An annual verification (年度核查): every unit confirms its honoured people by a date."""

    __tablename__ = "verification_round"
    __table_args__ = (CheckConstraint("status IN ('open', 'closed')", name="valid_status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    federation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    year: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The result, kept when the round closes: per unit confirmed, corrected, overdue.
    report: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    cases: Mapped[list[ArchiveCase]] = relationship(back_populates="verification_round")


class VerificationEntry(Base):
    """One person confirmed (or corrected) by their unit in a verification case."""

    __tablename__ = "verification_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("archive_case.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("archive_person.id"))
    #: "confirmed" as recorded, or "corrected" with the corrections.
    outcome: Mapped[str | None] = mapped_column(String(16))
    corrections: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[ArchivePerson] = relationship()


class ReturnItem(Base):
    """Something a revoked holder must give back (证书, 奖章, 奖牌, 表彰决定), and when it was."""

    __tablename__ = "archive_return_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("archive_case.id"), index=True)
    item: Mapped[str] = mapped_column(String(16))
    due_date: Mapped[date | None] = mapped_column(Date)
    returned_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)

    case: Mapped[ArchiveCase] = relationship(back_populates="items")
