"""The archive of honoured workers, units and teams (劳模档案), managed over decades.

A person is one record across years and levels, matched by resident ID number; every honour
(the nomination it came from when it came through this system), dated status reports,
services, and innovation studios hang off it. Nothing is overwritten: a change to the
person's own fields adds a version, so the record as it was on any past date can be shown.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nomination.db import Base, JSONType, UTCDateTime, utcnow
from nomination.models.nominations import Nomination
from nomination.models.orgs import Organisation, Team
from nomination.models.users import User

#: Levels of an honour: national (全国), capital (首都/北京市), district (区).
HONOUR_LEVELS = ("national", "capital", "district")
#: What an honour is: a medal (奖章) or a model-worker title (劳动模范) for a person, a
#: certificate (奖状) for a unit, a pioneer title (工人先锋号) for a team.
HONOUR_TYPES = ("medal", "model_worker", "certificate", "pioneer")
HOLDER_KINDS = ("person", "unit", "team")
#: A person's situation over time (在职, 退休, 调动, 出国/境, 去世, 失业).
PERSON_STATUSES = ("in_service", "retired", "transferred", "abroad", "deceased", "unemployed")
#: Services the federation gives: health checks, recuperation leave, hardship aid, visits.
SERVICE_KINDS = ("health_check", "recuperation", "hardship_aid", "visit")
#: A death must be reported within this many days of being known (DOMAIN.md §4).
DEATH_REPORT_DAYS = 2


class ArchivePerson(Base):
    """One honoured person, across years and levels, matched by resident ID number."""

    __tablename__ = "archive_person"
    __table_args__ = (
        UniqueConstraint("federation_id", "id_number"),
        Index("ix_archive_person_pinyin", "name_pinyin"),
        Index("ix_archive_person_initials", "name_initials"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The federation whose archive holds the person.
    federation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    #: Resident ID number (upper-case X), the key that matches one person across honours.
    id_number: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(100), index=True)
    #: Full pinyin without tones or spaces ("zhangjianguo") and initials ("zjg"), kept by
    #: the operations that write the name, for search by pinyin with an index.
    name_pinyin: Mapped[str] = mapped_column(String(300), default="")
    name_initials: Mapped[str] = mapped_column(String(100), default="")
    gender: Mapped[str | None] = mapped_column(String(8))
    birth_date: Mapped[date | None] = mapped_column(Date)
    ethnicity: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(300))
    #: The current unit when it is in the organisation tree (its reporters see the person),
    #: and its name as written, for units outside the system.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    unit_name: Mapped[str] = mapped_column(String(200), default="")
    post: Mapped[str] = mapped_column(String(200), default="")
    #: The industry (one of the 19 sectors), for statistics.
    sector: Mapped[str] = mapped_column(String(100), default="")
    #: The person's latest status (a copy of the newest status entry, for lists and search).
    status: Mapped[str] = mapped_column(String(16), default="in_service", index=True)
    #: Set when a duplicate was merged into another record: the duplicate stays, pointing on.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("archive_person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    unit: Mapped[Organisation | None] = relationship(foreign_keys=[unit_id])
    honours: Mapped[list[HonourRecord]] = relationship(
        back_populates="person", order_by="HonourRecord.decision_date"
    )
    statuses: Mapped[list[PersonStatus]] = relationship(
        back_populates="person", order_by="PersonStatus.effective_date"
    )
    services: Mapped[list[PersonService]] = relationship(
        back_populates="person", order_by="PersonService.service_date"
    )

    __mapper_args__ = {"version_id_col": version}


class PersonVersion(Base):
    """The person's own fields as they stood from ``valid_from``: one row per change."""

    __tablename__ = "archive_person_version"
    __table_args__ = (Index("ix_archive_person_version", "person_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("archive_person.id"))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str | None] = mapped_column(String(300))


class HonourRecord(Base):
    """An honour held by a person, unit or team: conferred by a decision, perhaps revoked."""

    __tablename__ = "honour_record"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'revoked')", name="valid_status"),
        CheckConstraint(
            "level IS NULL OR level IN ('national', 'capital', 'district')", name="valid_level"
        ),
        CheckConstraint(
            "honour_type IS NULL OR honour_type IN "
            "('medal', 'model_worker', 'certificate', 'pioneer')",
            name="valid_honour_type",
        ),
        CheckConstraint("status != 'revoked' OR revoked_on IS NOT NULL", name="revoked_has_date"),
        Index("ix_honour_record_year_level", "year", "level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The nomination it came from, when it came through this system.
    nomination_id: Mapped[int | None] = mapped_column(ForeignKey("nomination.id"), unique=True)
    #: The award kind of the nomination: individual, unit or team.
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    holder_name: Mapped[str] = mapped_column(String(200), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    conferred_by: Mapped[str] = mapped_column(String(200))
    decision_number: Mapped[str] = mapped_column(String(64), index=True)
    decision_date: Mapped[date] = mapped_column(Date)
    #: "active", or "revoked" (撤销称号) from ``revoked_on``: the record stays, visibly.
    status: Mapped[str] = mapped_column(String(16), default="active")
    #: The person holding it (individual honours); units and teams hold theirs through
    #: ``unit_id`` and ``team_id``.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("archive_person.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    level: Mapped[str | None] = mapped_column(String(16))
    honour_type: Mapped[str | None] = mapped_column(String(16))
    revoked_on: Mapped[date | None] = mapped_column(Date)
    revocation_decision: Mapped[str | None] = mapped_column(String(64))
    #: Whether the benefits attached (allowances, care) go on: they end with a revocation.
    benefits_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    nomination: Mapped[Nomination | None] = relationship()
    unit: Mapped[Organisation | None] = relationship()
    team: Mapped[Team | None] = relationship()
    person: Mapped[ArchivePerson | None] = relationship(back_populates="honours")


class PersonStatus(Base):
    """A dated status report (在职, 退休, …) by the unit; never changed once written."""

    __tablename__ = "archive_person_status"
    __table_args__ = (
        CheckConstraint(
            "status IN ('in_service', 'retired', 'transferred', 'abroad', 'deceased',"
            " 'unemployed')",
            name="valid_status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("archive_person.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    #: When the status began (the date of retirement, of death, …).
    effective_date: Mapped[date] = mapped_column(Date)
    #: When the unit learned of it: a death is due to be reported within 2 days of this.
    known_date: Mapped[date | None] = mapped_column(Date)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str | None] = mapped_column(Text)

    person: Mapped[ArchivePerson] = relationship(back_populates="statuses")
    reported_by: Mapped[User | None] = relationship()


class PersonService(Base):
    """A service to the person: a health check, recuperation leave, hardship aid, a visit."""

    __tablename__ = "archive_person_service"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('health_check', 'recuperation', 'hardship_aid', 'visit')", name="valid_kind"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("archive_person.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    service_date: Mapped[date] = mapped_column(Date)
    #: Hardship aid in yuan; None for the other kinds.
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[ArchivePerson] = relationship(back_populates="services")
    recorded_by: Mapped[User | None] = relationship()


class Studio(Base):
    """A model worker's innovation studio (劳模创新工作室), with members and inspections."""

    __tablename__ = "archive_studio"

    id: Mapped[int] = mapped_column(primary_key=True)
    federation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    #: The model worker it is named for or led by.
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("archive_person.id"))
    founded_on: Mapped[date | None] = mapped_column(Date)
    level: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Organisation | None] = relationship(foreign_keys=[unit_id])
    leader: Mapped[ArchivePerson | None] = relationship()
    members: Mapped[list[StudioMember]] = relationship(
        back_populates="studio", order_by="StudioMember.id", cascade="all, delete-orphan"
    )
    inspections: Mapped[list[StudioInspection]] = relationship(
        back_populates="studio", order_by="StudioInspection.inspected_on"
    )


class StudioMember(Base):
    """A member of a studio: an archived person, or someone named only."""

    __tablename__ = "archive_studio_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    studio_id: Mapped[int] = mapped_column(ForeignKey("archive_studio.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("archive_person.id"))
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(100), default="")
    joined_on: Mapped[date | None] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)

    studio: Mapped[Studio] = relationship(back_populates="members")


class StudioInspection(Base):
    """An inspection of a studio (考核, 复查), with its result."""

    __tablename__ = "archive_studio_inspection"

    id: Mapped[int] = mapped_column(primary_key=True)
    studio_id: Mapped[int] = mapped_column(ForeignKey("archive_studio.id"), index=True)
    inspected_on: Mapped[date] = mapped_column(Date)
    result: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    studio: Mapped[Studio] = relationship(back_populates="inspections")
