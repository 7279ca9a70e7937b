"""Selection rounds (评审委员会评审): judges vote, sealed until the round closes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nomination.db import Base, JSONType, UTCDateTime, utcnow
from nomination.models.campaigns import Campaign
from nomination.models.nominations import Nomination
from nomination.models.users import User

#: How many of the members present must vote yes: more than half, or at least two thirds.
SELECTION_RULES = ("1/2", "2/3")
VOTES = ("yes", "no", "abstain")
#: open: judges vote; awaiting_chair: closed, but a tie at the last place awaits the chair;
#: closed: every result applied.
ROUND_STATUSES = ("open", "awaiting_chair", "closed")
#: The outcome of one nomination in a closed round.
RESULTS = ("selected", "reserve", "not_selected", "tie")


class SelectionRound(Base):
    """One round of the selection committee for a campaign's award kind."""

    __tablename__ = "selection_round"
    __table_args__ = (
        UniqueConstraint("campaign_id", "kind", "number"),
        CheckConstraint("status IN ('open', 'awaiting_chair', 'closed')", name="valid_status"),
        CheckConstraint("rule IN ('1/2', '2/3')", name="valid_rule"),
        CheckConstraint("places >= 0", name="places_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    #: 1 for the campaign's first round of this kind, then 2, …
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="open")
    #: Copied from the campaign when the round opens, so a later change cannot alter it.
    rule: Mapped[str] = mapped_column(String(8))
    #: How many nominations this round may select.
    places: Mapped[int] = mapped_column(Integer)
    #: The member who decides ties (主任委员).
    chair_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The tally, kept when the round closes: per nomination the counts, members present,
    #: votes needed and result; the chair's decision of a tie is added to it.
    tally: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    campaign: Mapped[Campaign] = relationship()
    chair: Mapped[User] = relationship(foreign_keys=[chair_id])
    opened_by: Mapped[User] = relationship(foreign_keys=[opened_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    members: Mapped[list[SelectionMember]] = relationship(
        back_populates="round", order_by="SelectionMember.id", cascade="all, delete-orphan"
    )
    entries: Mapped[list[SelectionEntry]] = relationship(
        back_populates="round", order_by="SelectionEntry.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class SelectionMember(Base):
    """A judge sitting in a round."""

    __tablename__ = "selection_member"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("selection_round.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)

    round: Mapped[SelectionRound] = relationship(back_populates="members")
    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class SelectionEntry(Base):
    """A shortlisted nomination in a round, and its result once the round closed."""

    __tablename__ = "selection_entry"
    __table_args__ = (
        UniqueConstraint("round_id", "nomination_id"),
        CheckConstraint(
            "result IS NULL OR result IN ('selected', 'reserve', 'not_selected', 'tie')",
            name="valid_result",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("selection_round.id"))
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nomination.id"), index=True)
    result: Mapped[str | None] = mapped_column(String(16))

    round: Mapped[SelectionRound] = relationship(back_populates="entries")
    nomination: Mapped[Nomination] = relationship(lazy="joined", innerjoin=True)


class SelectionVote(Base):
    """One judge's sealed vote on one nomination; changeable until the round closes."""

    __tablename__ = "selection_vote"
    __table_args__ = (
        UniqueConstraint("round_id", "nomination_id", "judge_id"),
        CheckConstraint("vote IN ('yes', 'no', 'abstain')", name="valid_vote"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("selection_round.id"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nomination.id"))
    judge_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    vote: Mapped[str] = mapped_column(String(8))
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SelectionRecusal(Base):
    """A judge standing aside (回避) on one nomination: automatic, or declared with a reason."""

    __tablename__ = "selection_recusal"
    __table_args__ = (UniqueConstraint("round_id", "nomination_id", "judge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("selection_round.id"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nomination.id"))
    judge_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(Text)
    #: Set when the judge works in the nominee's unit or working committee.
    automatic: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    judge: Mapped[User] = relationship(lazy="joined", innerjoin=True)
