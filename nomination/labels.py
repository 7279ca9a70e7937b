"""The names of codes as people read them, in Chinese and English."""

from __future__ import annotations

import phonenumbers

from nomination.i18n import pick

#: How each role is named.
ROLE_LABELS: dict[str, dict[str, str]] = {
    "unit_submitter": {"zh": "基层工会", "en": "Unit submitter"},
    "committee_reviewer": {"zh": "工委审核", "en": "Working-committee reviewer"},
    "federation_reviewer": {"zh": "区总工会劳模办", "en": "Federation reviewer"},
    "department": {"zh": "征求意见部门", "en": "Consulted department"},
    "judge": {"zh": "评审委员", "en": "Selection committee member"},
    "approver": {"zh": "审批人", "en": "Approver"},
    "auditor": {"zh": "审计/纪检", "en": "Auditor"},
    "admin": {"zh": "系统管理员", "en": "Administrator"},
    "public": {"zh": "社会公众", "en": "The public"},
    "system": {"zh": "系统", "en": "System"},
}


#: The number by which the archive keeps a person, one name everywhere (pages and exports).
RECORD_NUMBER_LABEL: dict[str, str] = {"zh": "档案号", "en": "Record no."}
#: The nominee's ID number, as the nomination form names it (the archive says the same).
ID_NUMBER_LABEL: dict[str, str] = {"zh": "居民身份证号码", "en": "Resident ID number"}


#: A campaign's status (models.campaigns), wherever a campaign is listed.
CAMPAIGN_STATUS_LABELS: dict[str, dict[str, str]] = {
    "draft": {"zh": "草稿", "en": "Draft"},
    "open": {"zh": "进行中", "en": "Open"},
    "closed": {"zh": "已结束", "en": "Closed"},
    "archived": {"zh": "已归档", "en": "Archived"},
}


#: How each kind of organisation is named.
ORG_KIND_LABELS: dict[str, dict[str, str]] = {
    "federation": {"zh": "总工会", "en": "Federation"},
    "committee": {"zh": "工委", "en": "Working committee"},
    "unit": {"zh": "基层单位", "en": "Unit"},
    "department": {"zh": "征求意见部门", "en": "Consulted department"},
}


#: A person's situation over time (models.archive.PERSON_STATUSES).
PERSON_STATUS_LABELS: dict[str, dict[str, str]] = {
    "in_service": {"zh": "在职", "en": "In service"},
    "retired": {"zh": "退休", "en": "Retired"},
    "transferred": {"zh": "调动", "en": "Transferred"},
    "abroad": {"zh": "出国(境)", "en": "Abroad"},
    "deceased": {"zh": "去世", "en": "Deceased"},
    "unemployed": {"zh": "失业", "en": "Unemployed"},
}

#: An honour's level (models.archive.HONOUR_LEVELS), as pages and spreadsheets name it.
HONOUR_LEVEL_LABELS: dict[str, dict[str, str]] = {
    "national": {"zh": "全国", "en": "National"},
    "capital": {"zh": "省市级", "en": "Capital"},
    "district": {"zh": "区级", "en": "District"},
}

#: An honour's type (models.archive.HONOUR_TYPES).
HONOUR_TYPE_LABELS: dict[str, dict[str, str]] = {
    "medal": {"zh": "奖章", "en": "Medal"},
    "model_worker": {"zh": "劳动模范", "en": "Model worker"},
    "certificate": {"zh": "奖状", "en": "Certificate"},
    "pioneer": {"zh": "工人先锋号", "en": "Workers' Pioneer"},
}

#: Whether an honour is in force.
HONOUR_STATUS_LABELS: dict[str, dict[str, str]] = {
    "active": {"zh": "有效", "en": "Active"},
    "revoked": {"zh": "已撤销", "en": "Revoked"},
}

GENDER_LABELS: dict[str, dict[str, str]] = {
    "male": {"zh": "男", "en": "Male"},
    "female": {"zh": "女", "en": "Female"},
}

#: The services given to honoured workers (models.archive.SERVICE_KINDS).
SERVICE_LABELS: dict[str, dict[str, str]] = {
    "health_check": {"zh": "健康体检", "en": "Health check"},
    "recuperation": {"zh": "疗休养", "en": "Recuperation leave"},
    "hardship_aid": {"zh": "困难帮扶", "en": "Hardship aid"},
    "visit": {"zh": "走访慰问", "en": "Visit"},
}


# --- selection rounds (评审) -----------------------------------------------------------------

#: How each vote of a selection round is named on pages and in the API.
SELECTION_VOTE_LABELS: dict[str, dict[str, str]] = {
    "yes": {"zh": "赞成", "en": "Yes"},
    "no": {"zh": "反对", "en": "No"},
    "abstain": {"zh": "弃权", "en": "Abstain"},
}
#: The result of a nomination in a selection round.
SELECTION_RESULT_LABELS: dict[str, dict[str, str]] = {
    "selected": {"zh": "入选", "en": "Selected"},
    "reserve": {"zh": "递补人选", "en": "Reserve"},
    "not_selected": {"zh": "未入选", "en": "Not selected"},
    "tie": {"zh": "票数相同,待主任委员决定", "en": "Tied: the chair decides"},
}
#: A selection round's status.
SELECTION_STATUS_LABELS: dict[str, dict[str, str]] = {
    "open": {"zh": "表决中", "en": "Voting"},
    "awaiting_chair": {"zh": "待主任委员决定", "en": "Awaiting the chair"},
    "closed": {"zh": "已结束", "en": "Closed"},
}
#: The majority a selection round's rule asks for.
SELECTION_RULE_LABELS: dict[str, dict[str, str]] = {
    "1/2": {"zh": "超过出席委员半数同意", "en": "More than half of the members present"},
    "2/3": {"zh": "出席委员三分之二以上同意", "en": "Two thirds of the members present"},
}

# --- the annual verification (年度核查) ------------------------------------------------------

#: A verification round's status.
VERIFICATION_STATUS_LABELS: dict[str, dict[str, str]] = {
    "open": {"zh": "核查中", "en": "Open"},
    "closed": {"zh": "已结束", "en": "Closed"},
}
#: A verification entry's outcome (None: not answered yet).
VERIFICATION_OUTCOME_LABELS: dict[str | None, dict[str, str]] = {
    None: {"zh": "待核实", "en": "Not yet answered"},
    "confirmed": {"zh": "信息无误", "en": "Confirmed"},
    "corrected": {"zh": "已更正", "en": "Corrected"},
}
#: How corrected fields are named on pages and in the report.
VERIFICATION_FIELD_LABELS: dict[str, dict[str, str]] = {
    "status": {"zh": "状态", "en": "Status"},
    "effective_date": {"zh": "状态变化日期", "en": "Effective from"},
    "phone": {"zh": "联系电话", "en": "Phone"},
    "address": {"zh": "住址", "en": "Address"},
    "post": {"zh": "职务", "en": "Post"},
    "unit_name": {"zh": "工作单位", "en": "Unit"},
}

# --- the working-day calendar ----------------------------------------------------------------

#: What each kind of period is called, for the audit trail, the preview and the notifications.
PERIOD_LABELS: dict[str, dict[str, str]] = {
    "timer": {"zh": "本阶段截止时间", "en": "end of the stage"},
    "notice": {"zh": "公示截止时间", "en": "end of the public notice"},
    "consultation": {"zh": "部门回复期限", "en": "department's answer deadline"},
    "verification": {"zh": "单位核实报送期限", "en": "unit's verification deadline"},
}

# --- the audit trail -------------------------------------------------------------------------

#: How the keys of an audit event's before/after are named, where they are not a form's fields.
AUDIT_KEY_LABELS: dict[str, dict[str, str]] = {
    "state": {"zh": "状态", "en": "State"},
    "version": {"zh": "版本", "en": "Version"},
    "kind": {"zh": "奖项", "en": "Award kind"},
    "effective_at": {"zh": "生效时间", "en": "Effective at"},
    "objection_id": {"zh": "异议", "en": "Objection"},
    "honour_record_id": {"zh": "档案记录", "en": "Honour record"},
    "address": {"zh": "地址", "en": "Address"},
    # The administration's records: organisations, users, campaigns, quotas.
    "code": {"zh": "代码", "en": "Code"},
    "name": {"zh": "名称", "en": "Name"},
    "name_en": {"zh": "英文名称", "en": "Name in English"},
    "parent": {"zh": "上级", "en": "Belongs to"},
    "uscc": {"zh": "统一社会信用代码", "en": "Credit code"},
    "contact": {"zh": "联系人", "en": "Contact"},
    "active": {"zh": "启用", "en": "Active"},
    "username": {"zh": "用户名", "en": "User name"},
    "roles": {"zh": "角色", "en": "Roles"},
    "workplace": {"zh": "工作单位", "en": "Works at"},
    "person": {"zh": "个人信息", "en": "Person"},
    "must_change_password": {"zh": "须改临时密码", "en": "Temporary password"},
    "committee": {"zh": "组织", "en": "Organisation"},
    "places": {"zh": "名额", "en": "Places"},
    "year": {"zh": "年度", "en": "Year"},
    "status": {"zh": "状态", "en": "Status"},
    "awards": {"zh": "奖项", "en": "Awards"},
    "judges": {"zh": "评审委员会", "en": "Selection committee"},
    "nominations": {"zh": "随之调整的推荐", "en": "Nominations that followed"},
}
#: Where a key means something else for one kind of record.
AUDIT_ENTITY_KEY_LABELS: dict[str, dict[str, dict[str, str]]] = {
    "organisation": {"kind": {"zh": "组织类型", "en": "Kind of organisation"}},
}


def role_label(role: str | None) -> str:
    """Return the name of ``role`` in the current language."""
    return pick(ROLE_LABELS.get(role or "", role or ""))


def phone_as_written(value: str | None) -> str:
    """Return a stored phone number (E.164) as people in China write it.

    A mainland number loses its +86: a mobile reads 13910000000, a fixed line 010-65123456 (area
    code, hyphen, number). Anything phonenumbers cannot read is shown as it was stored.
    """
    if not value:
        return ""
    try:
        parsed = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_valid_number(parsed):
        return value
    if parsed.country_code != 86:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    area, _, number = national.partition(" ")
    if phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE or not number:
        return national.replace(" ", "")
    return f"{area}-{number.replace(' ', '')}"


def actor_name(name: str | None, role: str | None = None) -> str:
    """Return who acted as people read it: the application and the public by their labels.

    Events and opinions keep the code names ``system`` and ``public`` for the actors that are
    not users; a page shows 系统 / 社会公众 (System / The public) in the reader's language.
    """
    if name in ("system", "public") and role in (None, name):
        return pick(ROLE_LABELS[name])
    return name or ""


#: Why a checkpoint was signed (``nomination.audit.checkpoints.REASON_*``), as people read it.
CHECKPOINT_REASON_LABELS: dict[str, dict[str, str]] = {
    "manual": {"zh": "手动签署", "en": "Signed by hand"},
    "daily": {"zh": "每日签署", "en": "Daily"},
    "notice published": {"zh": "公示发布", "en": "Notice published"},
    "stage closed": {"zh": "办理阶段结束", "en": "End of a stage"},
}


def checkpoint_reason(reason: str | None) -> str:
    """Return why a checkpoint was signed in the reader's language (unknown ones as stored)."""
    return pick(CHECKPOINT_REASON_LABELS.get(reason or "", reason or ""))
