"""Guards named by workflow definitions. Each returns None, or the reason in zh and en."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import Select, func, select

from nomination.calendar.workdays import DateOutOfRange
from nomination.definitions.forms import missing_required
from nomination.engine.registry import Context, guard
from nomination.i18n import pick
from nomination.models import (
    Campaign,
    HonourRecord,
    Nomination,
    Organisation,
    Quota,
    UnitBar,
)


def _reason(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


@guard(
    "nominee_data_complete",
    label={
        "zh": "推荐表各必填项已填写",
        "en": "Every required field of the form is filled in",
    },
)
def nominee_data_complete(ctx: Context) -> dict[str, str] | None:
    """The nominee form has every required field."""
    missing = missing_required(ctx.workflow.nominee_form, ctx.nomination.data or {})
    if not missing:
        return None
    return _reason(
        "推荐表尚未填写完整:" + "、".join(pick(f.label, "zh") for f in missing),
        "The nomination form is incomplete: " + ", ".join(pick(f.label, "en") for f in missing),
    )


def _recommendation(ctx: Context) -> dict:
    """Return the unit's recommendation record: from this firing's form, else stored."""
    return ctx.data or ctx.nomination.evidence.get("unit_recommendation", {})


@guard(
    "congress_vote_passed",
    uses_form=True,
    label={
        "zh": "职代会(职工大会)表决通过",
        "en": "The workers' congress voted for it",
    },
)
def congress_vote_passed(ctx: Context) -> dict[str, str] | None:
    """The workers' congress voted for the nominee by the campaign's rule."""
    rec = _recommendation(ctx)
    if not rec:
        return _reason("需填写职工代表大会表决情况", "The workers' congress vote must be recorded")
    present = int(rec.get("members_present") or 0)
    votes = [int(rec.get(k) or 0) for k in ("votes_for", "votes_against", "votes_abstain")]
    if sum(votes) > present:
        return _reason(
            f"表决票数({sum(votes)})多于到会人数({present})",
            f"More votes ({sum(votes)}) than members present ({present})",
        )
    share = Fraction(ctx.nomination.campaign.congress_vote_rule)
    if present == 0 or Fraction(votes[0], present) <= share:
        return _reason(
            f"赞成票 {votes[0]}/{present} 未超过到会人数的 {share}",
            f"{votes[0]} of {present} votes for is not more than {share} of those present",
        )
    return None


@guard(
    "unit_notice_complete",
    uses_form=True,
    label={
        "zh": "本单位公示不少于规定工作日且已结束",
        "en": "The unit's own notice lasted long enough and has ended",
    },
)
def unit_notice_complete(ctx: Context) -> dict[str, str] | None:
    """The unit's own notice lasted long enough, has ended, and found no objection."""
    rec = _recommendation(ctx)
    if not rec.get("notice_start") or not rec.get("notice_end"):
        return _reason("需填写本单位公示起止日期", "The unit's notice dates must be recorded")
    start, end = date.fromisoformat(rec["notice_start"]), date.fromisoformat(rec["notice_end"])
    needed = ctx.nomination.campaign.unit_notice_working_days
    try:
        days = ctx.calendar.working_days_between(start, end)
    except DateOutOfRange as exc:
        return exc.message
    provisional = ctx.calendar.provisional_years(start, end)
    if provisional:
        # Counted on the statutory holidays alone: said in the recommendation's event.
        ctx.notes["unit_notice_calendar"] = {
            "working_days": days,
            "provisional_years": list(provisional),
        }
    if days < needed:
        return _reason(
            f"本单位公示仅 {days} 个工作日,不少于 {needed} 个工作日",
            f"The unit's notice lasted {days} working days; at least {needed} are required",
        )
    if not ctx.calendar.is_closed(end, ctx.now):
        return _reason("本单位公示尚未结束", "The unit's notice has not ended yet")
    if rec.get("notice_result") != "no_objection":
        return _reason("本单位公示有异议,尚未处理", "The unit's notice found objections")
    return None


@guard(
    "before_nomination_deadline",
    label={
        "zh": "在推荐截止时间之前",
        "en": "Before the nomination deadline",
    },
)
def before_nomination_deadline(ctx: Context) -> dict[str, str] | None:
    """The campaign still accepts recommendations."""
    campaign = ctx.nomination.campaign
    if campaign.status != "open":
        return _reason("评选活动已结束", "The campaign is closed")
    if ctx.calendar.is_closed(campaign.nomination_deadline, ctx.now):
        return _reason(
            f"推荐截止时间({campaign.nomination_deadline})已过",
            f"The nomination deadline ({campaign.nomination_deadline}) has passed",
        )
    return None


def _quota(ctx: Context, organisation_id: int, *, lock: bool = False) -> Quota | None:
    """Return the quota of ``organisation_id`` for the nomination's campaign and award kind.

    With ``lock`` while firing, the row is locked: two users acting at once are counted one
    after the other, so the quota is never overrun. Merely showing the button (available) must
    not take that lock.
    """
    nomination = ctx.nomination
    query = select(Quota).where(
        Quota.campaign_id == nomination.campaign_id,
        Quota.committee_id == organisation_id,
        Quota.kind == nomination.kind,
    )
    if lock and ctx.firing:
        query = query.with_for_update()
    return ctx.session.scalar(query)


def _forwarded(ctx: Context, committee: Organisation) -> Select:
    """Return a query of the committee's other nominations of this award holding a place."""
    nomination = ctx.nomination
    quota_states = [s.name for s in ctx.workflow.states.values() if s.quota]
    return (
        select(Nomination)
        .join(Organisation, Nomination.unit_id == Organisation.id)
        .where(
            Nomination.campaign_id == nomination.campaign_id,
            Nomination.kind == nomination.kind,
            Nomination.state.in_(quota_states),
            Organisation.path.startswith(committee.path),
            Nomination.id != nomination.id,
        )
    )


@guard(
    "within_committee_quota",
    label={
        "zh": "工委名额未用完",
        "en": "The working committee has a place left",
    },
)
def within_committee_quota(ctx: Context) -> dict[str, str] | None:
    """The working committee has a place left for this award kind (no quota set: no limit)."""
    nomination = ctx.nomination
    committee = nomination.unit.committee()
    if committee is None:
        return None
    quota = _quota(ctx, committee.id, lock=True)
    if quota is None:
        return None
    forwarded = _forwarded(ctx, committee).subquery()
    used = ctx.session.scalar(select(func.count()).select_from(forwarded))
    places = quota.usable()
    if used >= places:
        return _reason(
            f"{committee.name}的名额({places})已用完",
            f"{committee.name_en or committee.name} has used all {places} places",
        )
    return None


@guard(
    "within_unit_quota",
    label={
        "zh": "本单位推荐名额未用完",
        "en": "The unit has a place left in its allocation",
    },
)
def within_unit_quota(ctx: Context) -> dict[str, str] | None:
    """The unit has a place left in its allocation for this award kind (none set: no limit).

    A nomination returned for revision keeps its place: it will come back.
    """
    nomination = ctx.nomination
    quota = _quota(ctx, nomination.unit_id, lock=True)
    if quota is None:
        return None
    used = ctx.session.scalar(
        select(func.count(Nomination.id)).where(
            Nomination.campaign_id == nomination.campaign_id,
            Nomination.kind == nomination.kind,
            Nomination.unit_id == nomination.unit_id,
            Nomination.state.not_in(ctx.workflow.released_states()),
            Nomination.id != nomination.id,
        )
    )
    places = quota.usable()
    if used >= places:
        unit = nomination.unit
        return _reason(
            f"本单位的推荐名额({places})已用完",
            f"{unit.name_en or unit.name} has used all {places} places of its allocation",
        )
    return None


@guard(
    "unit_not_barred",
    label={
        "zh": "本单位本年度未被取消推荐资格",
        "en": "The unit is not barred this year",
    },
)
def unit_not_barred(ctx: Context) -> dict[str, str] | None:
    """The unit (or an organisation above it) is not barred from nominating this year."""
    nomination = ctx.nomination
    ids = [int(part) for part in nomination.unit.path.split("/") if part]
    bar = ctx.session.scalar(
        select(UnitBar)
        .where(UnitBar.organisation_id.in_(ids), UnitBar.year == nomination.campaign.year)
        .order_by(UnitBar.id)
        .limit(1)
    )
    if bar is None:
        return None
    return _reason(
        f"本单位{bar.year}年度不得推荐:{bar.reason}",
        f"The unit may not nominate in {bar.year}: {bar.reason}",
    )


#: Person categories capped by the campaign's leaders' share (控制数).
LEADER_CATEGORIES = ("enterprise_head", "cadre")


@guard(
    "leaders_within_cap",
    label={
        "zh": "企业负责人和县处级干部在控制数内",
        "en": "Enterprise heads and cadres within the control number",
    },
)
def leaders_within_cap(ctx: Context) -> dict[str, str] | None:
    """An enterprise head or cadre is forwarded only within the committee's control number.

    The control number is the campaign's ``leader_share_max`` percent of the committee's
    places for the award; without a cap or a quota there is no limit.
    """
    nomination = ctx.nomination
    share = nomination.campaign.leader_share_max
    if share is None or (nomination.data or {}).get("category") not in LEADER_CATEGORIES:
        return None
    committee = nomination.unit.committee()
    if committee is None:
        return None
    quota = _quota(ctx, committee.id)
    if quota is None:
        return None
    cap = quota.usable() * share // 100
    forwarded = ctx.session.scalars(_forwarded(ctx, committee)).all()
    leaders = sum((n.data or {}).get("category") in LEADER_CATEGORIES for n in forwarded)
    if leaders >= cap:
        return _reason(
            f"企业负责人和县处级干部的控制数({cap}名)已用完",
            f"The control number for enterprise heads and cadres ({cap}) is used up",
        )
    return None


def _honours_held(ctx: Context, title: str | None = None) -> list[Any]:
    """Return (record, nomination) of the federation's honours in force (of ``title``)."""
    nomination = ctx.nomination
    query = (
        select(HonourRecord, Nomination)
        .join(Nomination, HonourRecord.nomination_id == Nomination.id)
        .join(Campaign, Nomination.campaign_id == Campaign.id)
        .where(
            HonourRecord.status == "active",
            Campaign.federation_id == nomination.campaign.federation_id,
            Nomination.id != nomination.id,
        )
    )
    if title is not None:
        query = query.where(HonourRecord.title == title)
    return list(ctx.session.execute(query).all())


@guard(
    "not_already_honoured",
    uses_form=True,
    label={
        "zh": "未获得过同一荣誉(或已写明新业绩)",
        "en": "Does not already hold this award (or new achievements stated)",
    },
)
def not_already_honoured(ctx: Context) -> dict[str, str] | None:
    """The nominee does not already hold this award, unless new achievements are stated.

    Matched in the federation's archive by resident ID number (people) or unified social
    credit code (units), against honours of the same title that have not been revoked.
    """
    nomination = ctx.nomination
    data = nomination.data or {}
    key_field = "id_number" if "id_number" in data else "credit_code"
    key = str(data.get(key_field) or "").upper()
    award = nomination.campaign.award(nomination.kind)
    if not key or award is None:
        return None
    if (_recommendation(ctx).get("new_achievements") or "").strip():
        return None
    for record, source in _honours_held(ctx, title=award.title):
        if str((source.data or {}).get(key_field) or "").upper() == key:
            return _reason(
                f"已于{record.year}年获得{record.title},须写明此后取得的新业绩方可再次推荐",
                f"Already holds {record.title} ({record.year}): state the new achievements "
                "since then to nominate again",
            )
    return None


@guard(
    "reserve_available",
    label={
        "zh": "有递补人选",
        "en": "A reserve is waiting",
    },
)
def reserve_available(ctx: Context) -> dict[str, str] | None:
    """A reserve (递补人选) of the same campaign and award is waiting to move up."""
    from nomination.nominations.effects import first_reserve

    if first_reserve(ctx) is None:
        return _reason("本奖项没有递补人选", "There is no reserve for this award")
    return None


@guard(
    "prior_honour_recorded",
    label={
        "zh": "曾获荣誉(本次评选要求)",
        "en": "An earlier honour (this campaign requires one)",
    },
)
def prior_honour_recorded(ctx: Context) -> dict[str, str] | None:
    """Where the campaign requires it, the nominee already holds an honour.

    Recorded in the form's prior honours, or found in the federation's archive under the same
    resident ID number.
    """
    nomination = ctx.nomination
    if not nomination.campaign.require_prior_honour or nomination.kind != "individual":
        return None
    data = nomination.data or {}
    if data.get("prior_honours"):
        return None
    key = str(data.get("id_number") or "").upper()
    held = _honours_held(ctx)
    if key and any(str((n.data or {}).get("id_number") or "").upper() == key for _, n in held):
        return None
    return _reason(
        "本次评选要求推荐对象此前获得过荣誉:请在“曾获主要荣誉”中填写",
        "This campaign requires an earlier honour: fill in the prior honours",
    )


@guard(
    "consultation_all_clear",
    label={
        "zh": "征求意见的部门均已回复无异议",
        "en": "Every consulted department answered: no objection",
    },
)
def consultation_all_clear(ctx: Context) -> dict[str, str] | None:
    """Every department consulted on the nomination has answered, and none objects."""
    from nomination.consultations.operations import requests_of

    requests = [r for r in requests_of(ctx.session, ctx.nomination) if r.status != "closed"]
    waiting = [r.department.name for r in requests if r.status == "open"]
    if any(r.status == "adverse" for r in requests):
        return _reason("有部门提出否决意见", "A department raised an adverse opinion")
    if waiting:
        return _reason(
            "尚待以下部门回复:" + "、".join(waiting),
            f"Waiting for {len(waiting)} department(s) to answer",
        )
    return None


@guard(
    "consultation_adverse",
    label={"zh": "有部门提出否决意见", "en": "A department raised an adverse opinion"},
)
def consultation_adverse(ctx: Context) -> dict[str, str] | None:
    """A department consulted on the nomination gave an adverse opinion (一票否决)."""
    from nomination.consultations.operations import requests_of

    if any(r.status == "adverse" for r in requests_of(ctx.session, ctx.nomination)):
        return None
    return _reason("没有部门提出否决意见", "No department raised an adverse opinion")


#: The trigger that applies each result of a closed selection round.
ROUND_TRIGGERS = {"selected": "select", "reserve": "hold_in_reserve", "not_selected": "not_select"}


@guard(
    "selection_round_allows",
    label={"zh": "符合评审委员会表决结果", "en": "Matches the selection committee's vote"},
)
def selection_round_allows(ctx: Context) -> dict[str, str] | None:
    """While a round votes on the nomination nothing decides it; after, only its result.

    A nomination in no round may be decided directly, recording a decision taken outside the
    system (the comment says which).
    """
    from nomination.models import SelectionEntry, SelectionRound

    if ctx.nomination.state != "selection":
        return None
    entry = ctx.session.scalar(
        select(SelectionEntry)
        .join(SelectionRound)
        .where(SelectionEntry.nomination_id == ctx.nomination.id)
        .order_by(SelectionRound.id.desc())
        .limit(1)
    )
    if entry is None:
        return None
    round_ = entry.round
    if round_.status == "open":
        return _reason(
            f"评审委员会第{round_.number}轮正在表决",
            f"Selection round {round_.number} is voting on it",
        )
    if entry.result == "tie" or entry.result is None:
        return _reason(
            f"第{round_.number}轮票数相同,待主任委员决定",
            f"Round {round_.number} tied; the chair decides",
        )
    if ROUND_TRIGGERS.get(entry.result) != ctx.transition.trigger:
        return _reason(
            f"与第{round_.number}轮表决结果不符",
            f"Round {round_.number} decided otherwise",
        )
    return None
