"""Organisations as a tree (federation → working committees → units) and teams of units."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nomination.db import Base

ORG_KINDS = ("federation", "committee", "unit", "department")


class Organisation(Base):
    """A federation, working committee (工委), unit (基层工会) or consulted department."""

    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('federation', 'committee', 'unit', 'department')", name="valid_kind"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable code used in imports, the API and demo data.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    #: Materialised path of ids, "/1/4/12/": a subtree is a prefix match on an index.
    path: Mapped[str] = mapped_column(String(255), index=True, default="")
    #: A unit's unified social credit code (统一社会信用代码), checked with python-stdnum.
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    #: Who to call about the organisation's nominations (personal data: audited as commitments).
    contact_person: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    #: A deactivated organisation takes no new nominations, users or quotas; history keeps it.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    parent: Mapped[Organisation | None] = relationship(remote_side=[id])
    teams: Mapped[list[Team]] = relationship(back_populates="unit")

    def committee(self) -> Organisation | None:
        """Return the working committee this organisation belongs to, if any."""
        org: Organisation | None = self
        while org is not None and org.kind != "committee":
            org = org.parent
        return org

    def __repr__(self) -> str:
        return f"<Organisation {self.code}>"


class Team(Base):
    """A team (班组, 团队) of a unit: the nominee of a Workers' Pioneer nomination."""

    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    unit: Mapped[Organisation] = relationship(back_populates="teams")
