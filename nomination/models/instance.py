"""The instance's own settings, written once by the first start."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nomination.db import Base, JSONType, UTCDateTime


class InstanceSettings(Base):
    """The one row that says the instance was set up, for which federation, on which clock."""

    __tablename__ = "instance_settings"
    __table_args__ = (
        # One row only: a second set-up, even at the same moment, fails on the key.
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("closing_hour BETWEEN 0 AND 23", name="valid_closing_hour"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    federation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    #: The IANA time zone dates are shown and deadlines counted in, e.g. "Asia/Shanghai".
    timezone: Mapped[str] = mapped_column(String(64))
    #: The local hour at which periods close on their last working day.
    closing_hour: Mapped[int] = mapped_column(Integer)
    set_up_at: Mapped[datetime] = mapped_column(UTCDateTime)
    set_up_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: The roles whose holders must log in with a second factor (TOTP), e.g. ["admin"].
    totp_roles: Mapped[list[str]] = mapped_column(JSONType, default=list, server_default="[]")
