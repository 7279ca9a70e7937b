"""The nominations' own rules in the workflows: the unit's recommendation, quotas, opinions."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import Select, func, select

from nomination.calendar.workdays import DateOutOfRange
from nomination.definitions.forms import missing_required
from nomination.engine.registry import Condition, Context, effect, guard, refusal
from nomination.errors import InvalidData
from nomination.i18n import pick
from nomination.models import (
    Nomination,
    NoticeEntry,
    Organisation,
    Quota,
    UnitBar,
    evidence,
)


@effect("record_unit_recommendation")
def record_unit_recommendation(ctx: Context) -> None:
    """Keep the workers'-congress vote and the unit's notice with the nomination."""
    evidence.add(ctx.nomination, "unit_recommendation", ctx.data)


@effect("record_opinion")
def record_opinion(ctx: Context) -> None:
    """Keep the opinion (意见) of this level: who, in which role, when, what."""
    text = ctx.data.get("comment") or ctx.data.get("reason") or ""
    opinion = {
        "role": ctx.role,
        "by": ctx.actor.name,
        "at": ctx.now.isoformat(),
        "trigger": ctx.transition.trigger,
        "text": text,
    }
    # What must change, field by field (a return): only the nominee form's fields. The form
    # checked the shape; only the workflow knows the nominee form, so the names are checked
    # here, and the caller rolls the transition back.
    remarks = ctx.data.get("field_remarks")
    if remarks:
        known = {f.name for f in ctx.workflow.nominee_form.fields}
        unknown = [name for name in remarks if name not in known]
        if unknown:
            names = ", ".join(name[:64] for name in unknown)
            message = pick({"zh": f"没有这一项:{names}", "en": f"No such field: {names}"})
            raise InvalidData(
                f"field_remarks names no field of the nominee form: {names}",
                fields={"field_remarks": [message]},
            )
        opinion["field_remarks"] = dict(remarks)
    evidence.add(ctx.nomination, "opinions", opinion, append=True)


def notice_closed_on(ctx: Context) -> date | None:
    """Return the local day on which the nomination's last public notice closed, or None."""
    # No autoflush: the nomination is already in its new state, without its decision yet,
    # which the database's constraint refuses.
    with ctx.session.no_autoflush:
        closed = ctx.session.scalar(
            select(func.max(NoticeEntry.closed_at)).where(
                NoticeEntry.nomination_id == ctx.nomination.id
            )
        )
    return ctx.calendar.local(closed).date() if closed is not None else None


def decision_date_error(ctx: Context, decided: date) -> dict[str, str] | None:
    """Return why ``decided`` cannot be the decision's date, or None.

    The decision (表彰决定) follows the public notice: it is dated after the notice's last day
    (the notice runs until that day's closing hour, so a decision of that day would predate
    its end), and never after today, both counted in local days.
    """
    today = ctx.calendar.local(ctx.now).date()
    if decided > today:
        return {
            "zh": f"决定日期不能晚于今天({today.isoformat()})",
            "en": f"The decision cannot be dated after today ({today.isoformat()})",
        }
    closed_on = notice_closed_on(ctx)
    if closed_on is not None and decided <= closed_on:
        return {
            "zh": f"决定日期须在公示结束({closed_on.isoformat()})之后",
            "en": f"The decision must be dated after the notice closed ({closed_on.isoformat()})",
        }
    return None


@effect("record_decision")
def record_decision(ctx: Context) -> None:
    """Set the decision number and date (表彰决定) on the nomination, dated after its notice."""
    decided = date.fromisoformat(ctx.data["decision_date"])
    error = decision_date_error(ctx, decided)
    if error is not None:
        # The caller rolls the transition back; the message goes next to the field.
        raise InvalidData(f"decision_date: {error['en']}", fields={"decision_date": [pick(error)]})
    ctx.nomination.decision_number = ctx.data["decision_number"]
    ctx.nomination.decision_date = decided


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
    return refusal(
        "推荐表尚未填写完整:" + "、".join(pick(f.label, "zh") for f in missing),
        "The nomination form is incomplete: " + ", ".join(pick(f.label, "en") for f in missing),
    )


def _required_files(ctx: Context) -> list[Condition]:
    """Each file the transition requires (the definition's ``required_for``): attached or not."""
    attached = {
        a.purpose
        for a in ctx.nomination.attachments
        # The unit's own materials: not a file given with an objection or an opinion.
        if a.objection_id is None and a.consultation_request_id is None
    }
    files = ctx.workflow.files
    return [
        Condition(purpose, files[purpose].label, purpose in attached)
        for purpose in ctx.transition.required_files
    ]


@guard(
    "required_files_attached",
    label={"zh": "必需的附件已上传", "en": "The required files are attached"},
    checks_files=True,
    conditions=_required_files,
)
def required_files_attached(ctx: Context) -> dict[str, str] | None:
    """Every file the definition requires for this transition is attached."""
    missing = [c.label for c in _required_files(ctx) if not c.met]
    if not missing:
        return None
    return refusal(
        "缺少附件:" + "、".join(label["zh"] for label in missing),
        "Files missing: " + ", ".join(label["en"] for label in missing),
    )


def recommendation(ctx: Context) -> dict[str, Any]:
    """Return the unit's recommendation record: from this firing's form, else stored."""
    return ctx.data or evidence.unit_recommendation(ctx.nomination)


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
    rec = recommendation(ctx)
    if not rec:
        return refusal("需填写职工代表大会表决情况", "The workers' congress vote must be recorded")
    present = int(rec.get("members_present") or 0)
    votes = [int(rec.get(k) or 0) for k in ("votes_for", "votes_against", "votes_abstain")]
    if sum(votes) > present:
        return refusal(
            f"表决票数({sum(votes)})多于到会人数({present})",
            f"More votes ({sum(votes)}) than members present ({present})",
        )
    share = Fraction(ctx.nomination.campaign.congress_vote_rule)
    if present == 0 or Fraction(votes[0], present) <= share:
        return refusal(
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
    rec = recommendation(ctx)
    if not rec.get("notice_start") or not rec.get("notice_end"):
        return refusal("需填写本单位公示起止日期", "The unit's notice dates must be recorded")
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
        return refusal(
            f"本单位公示仅 {days} 个工作日,不少于 {needed} 个工作日",
            f"The unit's notice lasted {days} working days; at least {needed} are required",
        )
    if not ctx.calendar.is_closed(end, ctx.now):
        return refusal("本单位公示尚未结束", "The unit's notice has not ended yet")
    if rec.get("notice_result") != "no_objection":
        return refusal("本单位公示有异议,尚未处理", "The unit's notice found objections")
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
        return refusal("评选活动已结束", "The campaign is closed")
    if ctx.calendar.is_closed(campaign.nomination_deadline, ctx.now):
        return refusal(
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
    used = ctx.session.scalar(select(func.count()).select_from(forwarded)) or 0
    places = quota.usable()
    if used >= places:
        return refusal(
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
    used = (
        ctx.session.scalar(
            select(func.count(Nomination.id)).where(
                Nomination.campaign_id == nomination.campaign_id,
                Nomination.kind == nomination.kind,
                Nomination.unit_id == nomination.unit_id,
                Nomination.state.not_in(ctx.workflow.released_states()),
                Nomination.id != nomination.id,
            )
        )
        or 0
    )
    places = quota.usable()
    if used >= places:
        unit = nomination.unit
        return refusal(
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
    return refusal(
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
        return refusal(
            f"企业负责人和县处级干部的控制数({cap}名)已用完",
            f"The control number for enterprise heads and cadres ({cap}) is used up",
        )
    return None
