"""Campaigns: create or copy, awards, rules, quotas, bars, judges; open, close, archive.

What nominations already rely on (a pinned definition, the places they hold) cannot change
under them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from nomination import engine
from nomination.administration.authority import (
    check_fresh,
    digest,
    record,
    require_admin,
)
from nomination.administration.checks import Problems
from nomination.audit.chain import Entity
from nomination.consultations.operations import check_rules
from nomination.db import utcnow
from nomination.errors import Conflict, InvalidData, require_valid
from nomination.i18n import pick
from nomination.models import (
    Campaign,
    CampaignAward,
    CampaignJudge,
    Nomination,
    Organisation,
    Quota,
    UnitBar,
    User,
)
from nomination.models.campaigns import NOTICE_ORDERS
from nomination.nominations.composition import MEASURES
from nomination.permissions import has_role

#: Every rule of a campaign an administrator sets, as copied into next year's.
SETTINGS = (
    "name_en",
    "nomination_deadline",
    "notice_working_days",
    "resubmit_working_days",
    "unit_notice_working_days",
    "congress_vote_rule",
    "objection_contact",
    "notice_order",
    "objection_resume",
    "objection_answer_working_days",
    "pool_percent",
    "leader_share_max",
    "require_prior_honour",
    "composition",
    "consultation_rules",
    "consultation_working_days",
    "selection_rule",
    "round_closer",
)
_DAYS = (
    "notice_working_days",
    "resubmit_working_days",
    "unit_notice_working_days",
    "objection_answer_working_days",
    "consultation_working_days",
)
_VOTE_RULES = ("1/2", "2/3")
#: Who closes a campaign's selection rounds: the federation's reviewers, or the round's chair.
ROUND_CLOSERS = ("federation", "chair")
_RESUMES = ("extend", "restart")
#: Which status each action moves a campaign from, and to.
MOVES = {
    "open": ("draft", "open"),
    "close": ("open", "closed"),
    "reopen": ("closed", "open"),
    "archive": ("closed", "archived"),
}

CHANGED_MEANWHILE = {
    "zh": "该评选活动已被他人修改,请重新打开后再试",
    "en": "Someone else changed this campaign meanwhile; reload it and try again",
}


def fingerprint(campaign: Campaign) -> str:
    """Return a short digest of the campaign's settings, to detect a change made meanwhile."""
    parts = [campaign.year, campaign.name, campaign.status]
    parts += [repr(getattr(campaign, name)) for name in SETTINGS]
    parts += [(a.kind, a.title, a.title_en, a.definition_hash) for a in campaign.awards]
    parts += [(j.user_id, j.chair) for j in campaign.judges]
    return digest(*parts)


def _campaign_entity(campaign: Campaign) -> Entity:
    return Entity("campaign", campaign.id, campaign.federation_id, campaign.id)


def _check_fresh(campaign: Campaign, expected: str | None) -> None:
    check_fresh(campaign, expected, fingerprint, CHANGED_MEANWHILE)


def available_awards() -> dict[str, dict[str, str]]:
    """Return the award kinds the workflow definitions offer, with the honours' names."""
    workflows = engine.current_definitions()
    return {k: workflows[k].award for k in engine.award_kinds()}


def _whole(value: Any, problems: Problems, name: str, low: int, high: int | None = None) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        problems.say(name, "须为整数", "Must be a whole number")
    elif value < low or (high is not None and value > high):
        top = f"–{high}" if high is not None else " 或以上"
        problems.say(
            name,
            f"须为 {low}{top}",
            f"Must be {low}{'–' + str(high) if high is not None else ' or more'}",
        )
    return value


def _choice(value: Any, problems: Problems, name: str, options: tuple[str, ...]) -> Any:
    if value not in options:
        problems.say(name, f"须为 {' / '.join(options)} 之一", f"One of {', '.join(options)}")
    return value


def _composition(value: Any, problems: Problems) -> dict[str, Any]:
    measures = {m.name: m.label for m in MEASURES}
    if not isinstance(value, dict):
        problems.say("composition", "格式错误", "Must be an object")
        return {}
    for key, bounds in value.items():
        if key not in measures:
            problems.say("composition", f"未知的结构指标 {key}", f"Unknown measure {key}")
            continue
        zh, en = measures[key]["zh"], measures[key]["en"]
        if not isinstance(bounds, dict) or set(bounds) - {"min", "max"}:
            problems.say("composition", f"{zh}:只能设下限和上限", f"{en}: only min and max")
            continue
        low, high = bounds.get("min"), bounds.get("max")
        for bound in (low, high):
            if bound is not None and (
                isinstance(bound, bool) or not isinstance(bound, int) or not 0 <= bound <= 100
            ):
                problems.say("composition", f"{zh}:比例为 0–100 的整数", f"{en}: 0–100 per cent")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            problems.say("composition", f"{zh}:下限高于上限", f"{en}: minimum above maximum")
    return value


def check_settings(
    session: Session, federation: Organisation, settings: dict[str, Any]
) -> Problems:
    """Return what is wrong with campaign ``settings`` (any subset of :data:`SETTINGS`)."""
    problems = Problems()
    for name in set(settings) - set(SETTINGS):
        problems.say(name, "未知设置", "Unknown setting")
    name_en = settings.get("name_en")
    if isinstance(name_en, str) and len(name_en) > NAME_MAX:
        problems.say("name_en", f"最多 {NAME_MAX} 个字符", f"At most {NAME_MAX} characters")
    for name in _DAYS:
        if name in settings:
            _whole(settings[name], problems, name, 1, 60)
    if "nomination_deadline" in settings and not isinstance(settings["nomination_deadline"], date):
        problems.say("nomination_deadline", "须为日期", "Must be a date")
    for name, options in (
        ("congress_vote_rule", _VOTE_RULES),
        ("selection_rule", _VOTE_RULES),
        ("round_closer", ROUND_CLOSERS),
        ("notice_order", NOTICE_ORDERS),
        ("objection_resume", _RESUMES),
    ):
        if name in settings:
            _choice(settings[name], problems, name, options)
    if "pool_percent" in settings:
        _whole(settings["pool_percent"], problems, "pool_percent", 100, 200)
    if settings.get("leader_share_max") is not None:
        _whole(settings["leader_share_max"], problems, "leader_share_max", 0, 100)
    if "require_prior_honour" in settings and not isinstance(
        settings["require_prior_honour"], bool
    ):
        problems.say("require_prior_honour", "须为是或否", "Must be true or false")
    if "composition" in settings:
        _composition(settings["composition"], problems)
    if "objection_contact" in settings:
        contact = settings["objection_contact"]
        if not isinstance(contact, dict) or set(contact) - {"body", "address", "phone", "email"}:
            problems.say(
                "objection_contact",
                "只能填写受理单位、地址、电话、电子邮件",
                "Only body, address, phone and email",
            )
    if "consultation_rules" in settings:
        for text in check_rules(session, federation, settings["consultation_rules"]):
            problems.setdefault("consultation_rules", []).append(text)
    return problems


#: The longest campaign name or award title (the columns' length).
NAME_MAX = 200


def _check_identity(
    session: Session, problems: Problems, year: Any, name: str, campaign: Campaign | None
) -> str:
    _whole(year, problems, "year", 2004, 2099)
    name = (name or "").strip()
    if not name:
        problems.say("name", "此项必填", "This field is required")
    elif len(name) > NAME_MAX:
        problems.say("name", f"最多 {NAME_MAX} 个字符", f"At most {NAME_MAX} characters")
    elif session.scalar(
        select(Campaign.id).where(
            Campaign.name == name, Campaign.id != (campaign.id if campaign else -1)
        )
    ):
        problems.say("name", "已有同名的评选活动", "A campaign has this name already")
    return name


def _check_awards(awards: Mapping[str, tuple[str, str | None]], problems: Problems) -> None:
    offered = available_awards()
    if not awards:
        problems.say("awards", "请至少选择一种奖项", "Choose at least one award")
    for kind, (title, _title_en) in awards.items():
        if kind not in offered:
            problems.say("awards", f"没有 {kind} 的流程定义", f"No workflow definition for {kind}")
        elif not (title or "").strip():
            problems.say(f"award_{kind}", "请填写奖项名称", "The award's title is required")
        elif len(title.strip()) > NAME_MAX or len(_title_en or "") > NAME_MAX:
            problems.say(
                f"award_{kind}", f"最多 {NAME_MAX} 个字符", f"At most {NAME_MAX} characters"
            )


def create_campaign(
    session: Session,
    *,
    actor: Any,
    year: int | None,
    name: str,
    federation: Organisation,
    nomination_deadline: date | None,
    awards: Mapping[str, tuple[str, str | None]],
    status: str = "open",
    copied_from: Campaign | None = None,
    **settings: Any,
) -> Campaign:
    """Create a campaign offering ``awards`` ({kind: (title, title_en)}), pinning definitions.

    A draft is prepared first and opened later (:func:`move_campaign`), which pins the
    definitions again as they are then. The year and the deadline are checked here with the
    rest: a form left blank gives None, refused beside its field like any other value.
    """
    require_admin(actor)
    if status not in ("draft", "open"):
        raise ValueError(f"a campaign starts as a draft or open, not {status!r}")
    problems = check_settings(
        session, federation, {**settings, "nomination_deadline": nomination_deadline}
    )
    name = _check_identity(session, problems, year, name, None)
    _check_awards(awards, problems)
    require_valid(problems, "the campaign has errors")
    campaign = Campaign(
        year=year,
        name=name,
        federation_id=federation.id,
        nomination_deadline=nomination_deadline,
        status=status,
        **settings,
    )
    session.add(campaign)
    for kind, (title, title_en) in awards.items():
        wf = engine.pin_definition(session, kind)
        campaign.awards.append(
            CampaignAward(
                kind=kind, title=title.strip(), title_en=title_en, definition_hash=wf.hash
            )
        )
    session.flush()
    record(
        session,
        actor,
        "campaign.create",
        _campaign_entity(campaign),
        after={
            "year": year,
            "name": name,
            "status": status,
            "awards": {a.kind: a.definition_hash for a in campaign.awards},
            # The rules the campaign runs by (notice length and order, objections, pool, caps).
            "settings": settings,
            "copied_from": copied_from.id if copied_from else None,
        },
    )
    return campaign


def copy_campaign(
    source: Campaign,
    *,
    actor: Any,
    year: int | None,
    name: str,
    nomination_deadline: date | None,
    name_en: str | None = None,
) -> Campaign:
    """Create a draft for another year with every setting, award, quota and judge of ``source``."""
    require_admin(actor)
    session = object_session(source)
    assert session is not None
    settings = {k: getattr(source, k) for k in SETTINGS if k != "nomination_deadline"}
    settings["name_en"] = name_en
    campaign = create_campaign(
        session,
        actor=actor,
        year=year,
        name=name,
        federation=source.federation,
        nomination_deadline=nomination_deadline,
        awards={a.kind: (a.title, a.title_en) for a in source.awards},
        status="draft",
        copied_from=source,
        **settings,
    )
    for quota in source.quotas:
        org = session.get(Organisation, quota.committee_id)
        if org is not None and org.active:
            set_quota(
                session,
                actor=actor,
                campaign=campaign,
                committee=org,
                kind=quota.kind,
                places=quota.places,
            )
    judges = [j for j in source.judges if j.user.active]
    if judges:
        chair = next((j.user for j in judges if j.chair), None)
        set_judges(campaign, actor=actor, members=[j.user for j in judges], chair=chair)
    return campaign


def same_year(session: Session, campaign: Campaign) -> list[Campaign]:
    """Return the federation's other campaigns of ``campaign``'s year (a copy may be a slip)."""
    return list(
        session.scalars(
            select(Campaign).where(
                Campaign.federation_id == campaign.federation_id,
                Campaign.year == campaign.year,
                Campaign.id != campaign.id,
            )
        )
    )


def has_nominations(session: Session, campaign: Campaign, kind: str | None = None) -> bool:
    """Return whether any nomination (of ``kind``, if given) exists in ``campaign``."""
    query = select(Nomination.id).where(Nomination.campaign_id == campaign.id)
    if kind is not None:
        query = query.where(Nomination.kind == kind)
    return session.scalar(query.limit(1)) is not None


def _refuse_archived(campaign: Campaign) -> None:
    if campaign.status == "archived":
        raise Conflict(
            pick({"zh": "已归档的评选活动不能修改", "en": "An archived campaign cannot change"})
        )


def update_campaign(
    campaign: Campaign,
    *,
    actor: Any,
    expected: str | None = None,
    year: int | None = None,
    name: str | None = None,
    **settings: Any,
) -> list[str]:
    """Change a campaign's name, year or rules; return the names of what changed."""
    require_admin(actor)
    session = object_session(campaign)
    assert session is not None
    _check_fresh(campaign, expected)
    _refuse_archived(campaign)
    problems = check_settings(session, campaign.federation, settings)
    year = campaign.year if year is None else year
    name = _check_identity(
        session, problems, year, campaign.name if name is None else name, campaign
    )
    if year != campaign.year and has_nominations(session, campaign):
        problems.say(
            "year",
            "已有推荐,评选年度不能再改(取消推荐资格和已获荣誉都按年度判断)",
            "Nominations exist: the year cannot change (bars and prior honours go by year)",
        )
    require_valid(problems, "the campaign has errors")
    wanted = {"year": year, "name": name, **settings}
    changed = [k for k, v in wanted.items() if getattr(campaign, k) != v]
    if not changed:
        return []
    before = {k: getattr(campaign, k) for k in changed}
    for key in changed:
        setattr(campaign, key, wanted[key])
    session.flush()
    record(
        session,
        actor,
        "campaign.update",
        _campaign_entity(campaign),
        before=before,
        after={k: wanted[k] for k in changed},
    )
    return changed


def set_awards(
    campaign: Campaign,
    *,
    actor: Any,
    awards: Mapping[str, tuple[str, str | None]],
    expected: str | None = None,
) -> None:
    """Choose the award kinds a campaign offers and their titles.

    A kind that has nominations cannot be dropped, and keeps the definition it pinned.
    """
    require_admin(actor)
    session = object_session(campaign)
    assert session is not None
    _check_fresh(campaign, expected)
    _refuse_archived(campaign)
    problems = Problems()
    _check_awards(awards, problems)
    for award in campaign.awards:
        if award.kind not in awards and has_nominations(session, campaign, award.kind):
            problems.say(
                "awards",
                f"「{award.title}」已有推荐,不能取消",
                f"'{award.title_en or award.title}' has nominations: it cannot be dropped",
            )
    require_valid(problems, "the awards have errors")
    before = {a.kind: [a.title, a.title_en] for a in campaign.awards}
    for award in list(campaign.awards):
        if award.kind not in awards:
            campaign.awards.remove(award)
            session.delete(award)
    for kind, (title, title_en) in awards.items():
        offered = campaign.award(kind)
        if offered is None:
            wf = engine.pin_definition(session, kind)
            campaign.awards.append(
                CampaignAward(
                    kind=kind, title=title.strip(), title_en=title_en, definition_hash=wf.hash
                )
            )
        else:
            offered.title, offered.title_en = title.strip(), title_en
    session.flush()
    after = {a.kind: [a.title, a.title_en] for a in campaign.awards}
    if after == before:
        return
    record(
        session,
        actor,
        "campaign.awards",
        _campaign_entity(campaign),
        before={"awards": before},
        after={"awards": after, "pinned": {a.kind: a.definition_hash for a in campaign.awards}},
    )


def move_campaign(
    campaign: Campaign, *, actor: Any, action: str, expected: str | None = None
) -> None:
    """Open, close, reopen or archive a campaign (see :data:`MOVES`).

    Opening pins each award to the definition in force now; the nominations keep it.
    """
    require_admin(actor)
    session = object_session(campaign)
    assert session is not None
    _check_fresh(campaign, expected)
    source, target = MOVES[action]
    if campaign.status != source:
        raise Conflict(
            pick(
                {
                    "zh": f"评选活动现为「{campaign.status}」,不能执行此操作",
                    "en": f"The campaign is {campaign.status}: it cannot {action} now",
                }
            )
        )
    pinned: dict[str, str] = {}
    if action == "open":
        if not campaign.awards:
            raise InvalidData(
                "no award",
                fields={
                    "awards": [
                        pick({"zh": "请至少选择一种奖项", "en": "Choose at least one award"})
                    ]
                },
            )
        for award in campaign.awards:
            award.definition_hash = engine.pin_definition(session, award.kind).hash
            pinned[award.kind] = award.definition_hash
    campaign.status = target
    session.flush()
    record(
        session,
        actor,
        f"campaign.{action}",
        _campaign_entity(campaign),
        before={"status": source},
        after={"status": target, **({"pinned": pinned} if pinned else {})},
    )


def close_campaign(campaign: Campaign, *, actor: Any) -> None:
    """Close a campaign: it no longer accepts nominations or shows notices."""
    move_campaign(campaign, actor=actor, action="close")


def quota_used(session: Session, campaign: Campaign, org: Organisation, kind: str) -> int:
    """Return how many places of ``org``'s quota of ``kind`` nominations hold now.

    As the guards count: a committee's are its units' nominations in states that hold a
    place; a unit's are its nominations put forward and not released.
    """
    award = campaign.award(kind)
    if award is None:
        return 0
    wf = engine.workflow_by_hash(session, award.definition_hash)
    query = select(func.count(Nomination.id)).where(
        Nomination.campaign_id == campaign.id, Nomination.kind == kind
    )
    if org.kind == "committee":
        holding = [s.name for s in wf.states.values() if s.quota]
        query = query.join(Organisation, Nomination.unit_id == Organisation.id).where(
            Organisation.path.startswith(org.path), Nomination.state.in_(holding)
        )
    else:
        query = query.where(
            Nomination.unit_id == org.id, Nomination.state.not_in(wf.released_states())
        )
    return int(session.scalar(query) or 0)


def set_quota(
    session: Session,
    *,
    actor: Any,
    campaign: Campaign,
    committee: Organisation,
    kind: str,
    places: int,
) -> Quota:
    """Set how many nominations of ``kind`` an organisation may put forward in ``campaign``.

    A working committee's quota bounds what it forwards; a unit's, what it recommends. A
    quota below the places already held is refused.
    """
    require_admin(actor)
    _refuse_archived(campaign)
    problems = Problems()
    if committee.kind not in ("committee", "unit"):
        problems.say("committee", "名额分配给工委或基层单位", "Quotas go to committees and units")
    elif not committee.active:
        problems.say("committee", f"{committee.name} 已停用", f"{committee.name} is deactivated")
    if campaign.award(kind) is None:
        problems.say("kind", "本次评选活动不设此奖项", "The campaign does not offer this award")
    _whole(places, problems, "places", 0, 10000)
    if not problems:
        used = quota_used(session, campaign, committee, kind)
        if places < used:
            problems.say(
                "places",
                f"{committee.name}已占用 {used} 个名额,不能少于此数",
                f"{committee.name_en or committee.name} holds {used} places already: not fewer",
            )
    require_valid(problems, "the quota has errors")
    quota = session.scalar(
        select(Quota).where(
            Quota.campaign_id == campaign.id,
            Quota.committee_id == committee.id,
            Quota.kind == kind,
        )
    )
    before = None if quota is None else {"places": quota.places}
    if quota is None:
        quota = Quota(campaign=campaign, committee_id=committee.id, kind=kind, places=places)
        session.add(quota)
    quota.places = places
    session.flush()
    record(
        session,
        actor,
        "quota.set",
        Entity("quota", quota.id, committee.id, campaign.id),
        before=before,
        after={"committee": committee.code, "kind": kind, "places": places},
    )
    return quota


def bar_unit(
    session: Session,
    *,
    actor: Any,
    unit: Organisation,
    year: int,
    reason: str,
    campaign: Campaign | None = None,
) -> UnitBar:
    """Bar a unit from nominating in ``year``, for a recorded reason (audited).

    Given from a ``campaign``'s page, an archived campaign refuses it.
    """
    require_admin(actor)
    if campaign is not None:
        _refuse_archived(campaign)
    reason = (reason or "").strip()
    problems = Problems()
    if not reason:
        problems.say("reason", "请说明原因", "Give the reason")
    if unit.kind not in ("unit", "committee"):
        problems.say(
            "unit", "只能取消基层单位或工委的推荐资格", "Only units and committees are barred"
        )
    _whole(year, problems, "year", 2004, 2099)
    require_valid(problems, "the bar has errors")
    bar = UnitBar(organisation_id=unit.id, year=year, reason=reason, recorded_at=utcnow())
    session.add(bar)
    session.flush()
    record(
        session,
        actor,
        "unit.bar",
        Entity("unit_bar", bar.id, unit.id),
        after={"unit": unit.code, "year": year, "reason": reason},
    )
    return bar


def lift_bar(bar: UnitBar, *, actor: Any, reason: str, campaign: Campaign | None = None) -> None:
    """Lift a bar recorded in error or no longer justified (the record of it stays audited).

    Given from a ``campaign``'s page, an archived campaign refuses it.
    """
    require_admin(actor)
    if campaign is not None:
        _refuse_archived(campaign)
    session = object_session(bar)
    assert session is not None
    reason = (reason or "").strip()
    if not reason:
        raise InvalidData(
            "a reason is required",
            fields={"reason": [pick({"zh": "请说明原因", "en": "Give the reason"})]},
        )
    before: dict[str, Any] = {
        "unit_id": bar.organisation_id,
        "year": bar.year,
        "reason": bar.reason,
    }
    session.delete(bar)
    session.flush()
    record(
        session,
        actor,
        "unit.unbar",
        Entity("unit_bar", bar.id, before["unit_id"]),
        before=before,
        comment=reason,
    )


def set_judges(
    campaign: Campaign,
    *,
    actor: Any,
    members: list[User],
    chair: User | None,
    expected: str | None = None,
) -> None:
    """Name the campaign's selection committee and its chair (主任委员)."""
    require_admin(actor)
    session = object_session(campaign)
    assert session is not None
    _check_fresh(campaign, expected)
    _refuse_archived(campaign)
    problems = Problems()
    for user in members:
        if not (user.active and has_role(user, "judge")):
            problems.say(
                "members",
                f"{user.display_name} 不是启用的评审委员",
                f"{user.display_name} is not an active judge",
            )
    if len({u.id for u in members}) != len(members):
        problems.say("members", "成员重复", "A member is named twice")
    if members and (chair is None or chair.id not in {u.id for u in members}):
        problems.say("chair", "主任委员须是评审委员会成员", "The chair must be one of the members")
    require_valid(problems, "the selection committee has errors")
    before = [[j.user.username, j.chair] for j in campaign.judges]
    wanted = {u.id: chair is not None and u.id == chair.id for u in members}
    # Rows are kept or changed in place: deleting and re-adding one member in one flush
    # would insert before it deletes and trip the (campaign, user) key.
    for judge in list(campaign.judges):
        if judge.user_id not in wanted:
            campaign.judges.remove(judge)
        else:
            judge.chair = wanted.pop(judge.user_id)
    by_id = {u.id: u for u in members}
    for user_id, is_chair in wanted.items():
        campaign.judges.append(CampaignJudge(user=by_id[user_id], chair=is_chair))
    session.flush()
    after = [[u.username, chair is not None and u.id == chair.id] for u in members]
    if sorted(before) == sorted(after):
        return
    record(
        session,
        actor,
        "campaign.judges",
        _campaign_entity(campaign),
        before={"judges": before},
        after={"judges": after},
    )
