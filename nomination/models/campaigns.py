"""Campaigns (评选活动), the award kinds they offer, quotas and pinned definition versions."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from nomination.db import Base, JSONType, UTCDateTime, utcnow
from nomination.errors import InvalidData

if TYPE_CHECKING:
    from nomination.models.orgs import Organisation
    from nomination.models.users import User

#: draft: being prepared, no nominations; open: units nominate and the work runs; closed: no
#: new nominations or notices; archived: the year is over and kept for reference only.
CAMPAIGN_STATUSES = ("draft", "open", "closed", "archived")
#: How a public notice orders its entries: by nominating unit (in the order of the
#: organisation tree, so by working committee), or by surname strokes (姓氏笔画).
NOTICE_ORDERS = ("unit", "stroke")


class DefinitionVersion(Base):
    """An exact, immutable copy of a workflow definition with its forms, keyed by content hash."""

    __tablename__ = "definition_version"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    #: The resolved definition (workflow and the forms it names) as canonical JSON.
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Campaign(Base):
    """One yearly round of an award, e.g. 2026 Capital Labour Medal, Award and Pioneer."""

    __tablename__ = "campaign"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'open', 'closed', 'archived')", name="valid_status"),
        CheckConstraint("notice_working_days >= 1", name="notice_days_positive"),
        CheckConstraint("notice_order IN ('unit', 'stroke')", name="valid_notice_order"),
        CheckConstraint("objection_resume IN ('extend', 'restart')", name="valid_objection_resume"),
        CheckConstraint("objection_answer_working_days >= 1", name="answer_days_positive"),
        CheckConstraint("pool_percent >= 100", name="pool_percent_at_least_100"),
        CheckConstraint("consultation_working_days >= 1", name="consultation_days_positive"),
        CheckConstraint("selection_rule IN ('1/2', '2/3')", name="valid_selection_rule"),
        CheckConstraint("round_closer IN ('federation', 'chair')", name="valid_round_closer"),
        CheckConstraint(
            "leader_share_max IS NULL OR (leader_share_max >= 0 AND leader_share_max <= 100)",
            name="leader_share_max_percent",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    name_en: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="open")
    federation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    #: Last day on which units may recommend (closes at the configured hour).
    nomination_deadline: Mapped[date] = mapped_column(Date)
    #: Length of the federation's public notice (公示) in working days.
    notice_working_days: Mapped[int] = mapped_column(Integer, default=5)
    #: Working days a returned nomination has to come back before it lapses (视为放弃).
    resubmit_working_days: Mapped[int] = mapped_column(Integer, default=10)
    #: Minimum length of the unit's own notice in working days.
    unit_notice_working_days: Mapped[int] = mapped_column(Integer, default=5)
    #: Share of members present who must vote for, as "numerator/denominator" (e.g. "1/2", "2/3").
    congress_vote_rule: Mapped[str] = mapped_column(String(8), default="1/2")
    #: Where objections go: body, address, phone, email (shown on the public notice).
    objection_contact: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: Order of the public notice: "unit", or "stroke" (people by surname strokes, units and
    #: teams by the strokes of their names).
    notice_order: Mapped[str] = mapped_column(String(16), default="unit", server_default="unit")
    #: How a notice interrupted by an objection found unfounded goes on: "extend" (it resumes
    #: for the working days it had left, at least one) or "restart" (a full period again).
    objection_resume: Mapped[str] = mapped_column(
        String(16), default="extend", server_default="extend"
    )
    #: Working days the recommending unit has to verify an objection and answer, signed by
    #: its leader in charge; an unanswered request lapses the nomination (视为放弃).
    objection_answer_working_days: Mapped[int] = mapped_column(
        Integer, default=5, server_default="5"
    )
    #: Allocations may be filled up to this share of their places, for selection with more
    #: candidates than awards (差额): 120 lets a quota of 10 forward 12.
    pool_percent: Mapped[int] = mapped_column(Integer, default=100, server_default="100")
    #: Enterprise heads and county/division cadres a working committee may forward, as a share
    #: (percent) of its places (控制数); None: no cap.
    leader_share_max: Mapped[int | None] = mapped_column(Integer)
    #: Whether a nominee must already hold an honour (a national award normally requires a
    #: provincial one first): recorded in the form's prior honours, or in the archive.
    require_prior_honour: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    #: The composition the campaign aims at: {"<measure>": {"min": percent, "max": percent}}
    #: for the measures of nomination.nominations.composition (e.g. front-line workers at least
    #: 55%).
    composition: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: Which departments are consulted on whom (征求意见), as a list of rules:
    #: {"when": {"kind": [...], "<nominee field>": [values]}, "departments": [org codes]}.
    #: A rule applies when every condition matches (an empty "when" always does); a
    #: nomination is sent to the union of the departments of the rules that apply.
    consultation_rules: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONType, default=list, server_default="[]"
    )
    #: Working days each department has to give its opinion.
    consultation_working_days: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    #: The selection committee's rule: "1/2" more than half of the members present vote yes,
    #: "2/3" at least two thirds of them.
    selection_rule: Mapped[str] = mapped_column(String(8), default="1/2", server_default="1/2")
    #: Who closes a selection round and applies its results: "federation" (its reviewers) or
    #: "chair" (the round's chair, 主任委员, who also decides its ties).
    round_closer: Mapped[str] = mapped_column(
        String(16), default="federation", server_default="federation"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    federation: Mapped[Organisation] = relationship()
    awards: Mapped[list[CampaignAward]] = relationship(
        back_populates="campaign", order_by="CampaignAward.id"
    )
    quotas: Mapped[list[Quota]] = relationship(back_populates="campaign")
    judges: Mapped[list[CampaignJudge]] = relationship(
        back_populates="campaign", order_by="CampaignJudge.id", cascade="all, delete-orphan"
    )

    @validates("notice_order")
    def _check_notice_order(self, _key: str, value: str) -> str:
        if value not in NOTICE_ORDERS:
            raise InvalidData(
                "unknown notice order",
                fields={"notice_order": [f"one of {', '.join(NOTICE_ORDERS)}"]},
            )
        return value

    def award(self, kind: str) -> CampaignAward | None:
        """Return the award of ``kind`` this campaign offers, if it offers it."""
        return next((a for a in self.awards if a.kind == kind), None)

    def __repr__(self) -> str:
        return f"<Campaign {self.year} {self.name}>"


class CampaignAward(Base):
    """An award kind offered by a campaign, pinned to one definition version."""

    __tablename__ = "campaign_award"
    __table_args__ = (UniqueConstraint("campaign_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200))
    definition_hash: Mapped[str] = mapped_column(ForeignKey("definition_version.hash"))

    campaign: Mapped[Campaign] = relationship(back_populates="awards")


class Quota(Base):
    """How many nominations of one award kind an organisation may put forward.

    For a working committee, how many it may forward to the federation; for a unit, how many it
    may recommend (its allocation). ``committee_id`` names that organisation, either kind.
    """

    __tablename__ = "quota"
    __table_args__ = (
        UniqueConstraint("campaign_id", "committee_id", "kind"),
        CheckConstraint("places >= 0", name="places_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    committee_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    kind: Mapped[str] = mapped_column(String(16))
    places: Mapped[int] = mapped_column(Integer)

    campaign: Mapped[Campaign] = relationship(back_populates="quotas")

    def usable(self) -> int:
        """Return the places that may be filled: the quota, with the campaign's pool above it."""
        return self.places * self.campaign.pool_percent // 100


class UnitBar(Base):
    """A unit barred from nominating in a year, and why (e.g. wage arrears, a safety accident)."""

    __tablename__ = "unit_bar"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CampaignJudge(Base):
    """A member of a campaign's selection committee (评审委员会); one of them is its chair."""

    __tablename__ = "campaign_judge"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    chair: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    campaign: Mapped[Campaign] = relationship(back_populates="judges")
    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)
