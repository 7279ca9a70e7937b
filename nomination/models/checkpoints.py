"""Signed checkpoints of the audit trail: the Merkle tree head at a moment, signed with Ed25519."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nomination.db import Base, UTCDateTime


class Checkpoint(Base):
    """The log held ``tree_size`` events with this RFC 9162 root at ``signed_at``, signed.

    The signature covers the message of ``nomination.audit.offline.checkpoint_message``; the key
    lives outside the database, so someone who can write here cannot forge one.
    """

    __tablename__ = "audit_checkpoint"
    __table_args__ = (CheckConstraint("tree_size >= 0", name="tree_size_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tree_size: Mapped[int] = mapped_column(Integer, index=True)
    #: Hex SHA-256 root of the first ``tree_size`` events.
    root_hash: Mapped[str] = mapped_column(String(64))
    #: UTC, whole seconds: the time that was signed.
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    key_id: Mapped[str] = mapped_column(String(16))
    #: Base64 Ed25519 signature (64 bytes).
    signature: Mapped[str] = mapped_column(String(100))
    #: Why it was signed: "notice published", "daily" or "manual".
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    #: JSON list of the hex roots of the perfect subtrees covering the first ``tree_size`` events
    #: (largest first): the next checkpoint resumes from it and hashes only the newer events.
    frontier: Mapped[str] = mapped_column(Text)
