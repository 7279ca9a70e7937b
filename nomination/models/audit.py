"""The append-only, hash-chained audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nomination.db import Base, JSONType, UTCDateTime

GENESIS_HASH = "0" * 64


class AuditEvent(Base):
    """One recorded action; ``payload`` holds the exact bytes that ``hash`` covers."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_entity", "entity_type", "entity_id"),
        Index("ix_audit_event_action_time", "action", "occurred_at"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(32))
    organisation_id: Mapped[int | None] = mapped_column(Integer)
    campaign_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str | None] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    comment: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Canonical JSON of every field above but ``hash``: the bytes hashed, kept verbatim.
    payload: Mapped[str] = mapped_column(Text)


class AuditHead(Base):
    """The single row holding the chain's last sequence number and hash.

    Appenders lock it, so the chain never forks, and verification compares it with the last
    event, so that deleting events from the end is detected too.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)


class AuditPersonal(Base):
    """The clear value of one personal field of an event, and the salt of its commitment.

    The event's hashed payload holds only ``{"$c": SHA-256(salt ‖ value)}`` in that field's
    place. Erasing a person deletes their rows here (and records the erasure as an event):
    the chain still verifies, and the commitment proves nothing about the erased value.
    """

    __tablename__ = "audit_personal"

    seq: Mapped[int] = mapped_column(ForeignKey("audit_event.seq"), primary_key=True)
    #: Where the value sits in the event, as a JSON Pointer: ``/after/data/name``.
    path: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: Whose data it is (``nomination:42``): what an erasure names.
    subject: Mapped[str] = mapped_column(String(64), index=True)
    #: 16 random bytes, in hex.
    salt: Mapped[str] = mapped_column(String(32))
    #: The canonical JSON of the value: the exact text committed to.
    value: Mapped[str] = mapped_column(Text)
