"""What a user typed into a form when their login had expired, kept until they log in again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from nomination.db import Base, JSONType, UTCDateTime, utcnow


class PendingForm(Base):
    """A posted form held for its sender: named by a random token kept in their session only."""

    __tablename__ = "pending_form"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    #: Whose login had expired: only they get it back.
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: The page (path and query) the form was posted to, where it is given back.
    path: Mapped[str] = mapped_column(String(500))
    #: The form's fields as [name, value] pairs (a field may repeat).
    fields: Mapped[list[Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
