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
    # Files, logins, consultations and selection rounds.
    "attachment_id": {"zh": "附件编号", "en": "File number"},
    "purpose": {"zh": "用途", "en": "Purpose"},
    "sha256": {"zh": "文件哈希(SHA-256)", "en": "File hash (SHA-256)"},
    "size": {"zh": "大小", "en": "Size"},
    "content_type": {"zh": "文件类型", "en": "File type"},
    "consultation_request_id": {"zh": "征求意见函", "en": "Opinion request"},
    "request": {"zh": "征求意见函", "en": "Opinion request"},
    "department": {"zh": "部门", "en": "Department"},
    "client": {"zh": "登录来源", "en": "Signed in from"},
    "nomination": {"zh": "推荐", "en": "Nomination"},
    "judge": {"zh": "评审委员", "en": "Judge"},
    "cast": {"zh": "已投票", "en": "Voted"},
    "changed": {"zh": "改投", "en": "Changed the vote"},
    "tally": {"zh": "计票", "en": "Count"},
    "ballots": {"zh": "票数", "en": "Votes"},
    "round": {"zh": "轮次", "en": "Round"},
    "rule": {"zh": "表决规则", "en": "Rule"},
    "members": {"zh": "评审委员", "en": "Members"},
    "chair": {"zh": "主任委员", "en": "Chair"},
    "closed_by": {"zh": "结束人", "en": "Closed by"},
    "closed_at": {"zh": "结束时间", "en": "Closed at"},
    "entries": {"zh": "名单", "en": "Entries"},
    "tie": {"zh": "同票", "en": "Tie"},
    "decision": {"zh": "裁定", "en": "Decision"},
    "selected": {"zh": "入选", "en": "Selected"},
    "reserve": {"zh": "递补人选", "en": "Reserve"},
}
#: What each purpose of an attached file is called.
ATTACHMENT_PURPOSE_LABELS: dict[str, dict[str, str]] = {
    "deeds": {"zh": "事迹材料", "en": "Deeds materials"},
    "congress_minutes": {"zh": "职代会(联席会)会议纪要", "en": "Workers' congress minutes"},
    "unit_notice": {"zh": "单位公示材料(盖章)", "en": "The unit's stamped notice"},
    "photo": {"zh": "照片", "en": "Photo"},
    "objection_answer": {"zh": "异议核实证明材料", "en": "Evidence for the verification"},
    "objection_evidence": {"zh": "异议证明材料", "en": "Objection evidence"},
    "sealed_letter": {"zh": "单位异议函(盖章)", "en": "Unit's sealed objection letter"},
    "consultation_opinion": {"zh": "部门意见材料", "en": "Department's opinion file"},
}
#: Where a key means something else for one kind of record.
AUDIT_ENTITY_KEY_LABELS: dict[str, dict[str, dict[str, str]]] = {
    "organisation": {"kind": {"zh": "组织类型", "en": "Kind of organisation"}},
}


#: How each audited action is named (a transition's name comes from its workflow).
AUDIT_ACTION_LABELS: dict[str, dict[str, str]] = {
    "auth.login": {"zh": "登录", "en": "Signed in"},
    "auth.login_failed": {"zh": "登录失败", "en": "Failed sign-in"},
    "auth.logout": {"zh": "退出登录", "en": "Signed out"},
    "auth.denied": {"zh": "拒绝访问", "en": "Access refused"},
    "auth.totp_enrol": {"zh": "启用动态口令", "en": "Authenticator enrolled"},
    "auth.totp_remove": {"zh": "移除动态口令", "en": "Authenticator removed"},
    "token.create": {"zh": "创建接口令牌", "en": "API token created"},
    "token.revoke": {"zh": "吊销接口令牌", "en": "API token revoked"},
    "security.totp_roles": {"zh": "设置须用动态口令的角色", "en": "Roles needing an authenticator"},
    "instance.set_up": {"zh": "系统初始化", "en": "System set up"},
    "user.create": {"zh": "创建用户", "en": "User created"},
    "user.update": {"zh": "修改用户", "en": "User changed"},
    "user.activate": {"zh": "启用用户", "en": "User activated"},
    "user.deactivate": {"zh": "停用用户", "en": "User deactivated"},
    "user.password_changed": {"zh": "修改密码", "en": "Password changed"},
    "user.password_link": {"zh": "发送设置密码链接", "en": "Password link sent"},
    "user.temporary_password": {"zh": "设置临时密码", "en": "Temporary password set"},
    "organisation.create": {"zh": "创建组织", "en": "Organisation created"},
    "organisation.update": {"zh": "修改组织", "en": "Organisation changed"},
    "organisation.move": {"zh": "调整上级组织", "en": "Organisation moved"},
    "organisation.activate": {"zh": "启用组织", "en": "Organisation activated"},
    "organisation.deactivate": {"zh": "停用组织", "en": "Organisation deactivated"},
    "unit.bar": {"zh": "限制单位推荐", "en": "Unit barred"},
    "unit.unbar": {"zh": "解除单位限制", "en": "Unit bar lifted"},
    "campaign.create": {"zh": "创建评选活动", "en": "Campaign created"},
    "campaign.update": {"zh": "修改评选活动", "en": "Campaign changed"},
    "campaign.awards": {"zh": "设置奖项", "en": "Awards set"},
    "campaign.judges": {"zh": "设置评审委员会", "en": "Selection committee set"},
    "quota.set": {"zh": "设置名额", "en": "Places set"},
    "calendar.set": {"zh": "录入节假日安排", "en": "Holiday arrangement entered"},
    "calendar.confirm": {"zh": "确认节假日安排", "en": "Holiday arrangement confirmed"},
    "calendar.recount": {"zh": "重算期限", "en": "Deadlines recounted"},
    "nomination.create": {"zh": "创建推荐", "en": "Nomination created"},
    "nomination.update": {"zh": "修改推荐表", "en": "Nomination form edited"},
    "nomination.import": {"zh": "导入推荐", "en": "Nomination imported"},
    "team.create": {"zh": "创建集体", "en": "Team created"},
    "attachment.add": {"zh": "上传附件", "en": "File uploaded"},
    "attachment.remove": {"zh": "删除附件", "en": "File removed"},
    "attachment.replace": {"zh": "替换附件", "en": "File replaced"},
    "objection.receive": {"zh": "收到异议", "en": "Objection received"},
    "consultation.opinion": {"zh": "部门回复意见", "en": "Department's opinion given"},
    "selection_round.open": {"zh": "开始评审投票", "en": "Selection round opened"},
    "selection_round.vote": {"zh": "评审投票", "en": "Vote cast"},
    "selection_round.recuse": {"zh": "评审回避", "en": "Judge recused"},
    "selection_round.decide": {"zh": "主任委员裁定", "en": "Chair's decision"},
    "selection_round.close": {"zh": "结束评审投票", "en": "Selection round closed"},
    "personal_data.erase": {"zh": "依法删除个人信息", "en": "Personal data erased"},
    "archive.import": {"zh": "导入档案", "en": "Archive imported"},
    "archive.honour_import": {"zh": "导入荣誉记录", "en": "Honours imported"},
    "archive.export": {"zh": "导出档案", "en": "Archive exported"},
    "archive.person_create": {"zh": "建立人员档案", "en": "Archive record created"},
    "archive.person_update": {"zh": "更正人员档案", "en": "Archive record corrected"},
    "archive.person_merge": {"zh": "合并重复档案", "en": "Duplicate records merged"},
    "archive.status_report": {"zh": "报告人员状态", "en": "Status reported"},
    "archive.service": {"zh": "登记服务管理", "en": "Service recorded"},
    "archive.studio_create": {"zh": "命名创新工作室", "en": "Innovation studio named"},
    "archive.studio_inspection": {"zh": "工作室检查", "en": "Studio inspected"},
    "archive.studio_member_add": {"zh": "添加工作室成员", "en": "Studio member added"},
    "case.create": {"zh": "提议撤销称号", "en": "Revocation proposed"},
    "case.return_item": {"zh": "登记物品退还", "en": "Item returned"},
    "verification_round.open": {"zh": "发起档案核查", "en": "Verification round opened"},
    "verification_round.close": {"zh": "结束档案核查", "en": "Verification round closed"},
    "verification.answer": {"zh": "单位答复核查", "en": "Unit answered the verification"},
    "verification.case_open": {"zh": "核查立项", "en": "Verification case opened"},
    "verification.case_update": {"zh": "核查处理", "en": "Verification case handled"},
}
#: How the kind of a transition event is named when its workflow is not known.
TRANSITION_ACTION_LABEL = {"zh": "流程操作", "en": "Workflow step"}


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


#: What an audited event concerns, by its entity type (the log's "对象" column).
AUDIT_ENTITY_TYPE_LABELS: dict[str, dict[str, str]] = {
    "nomination": {"zh": "推荐", "en": "Nomination"},
    "user": {"zh": "账号", "en": "Account"},
    "api_token": {"zh": "接口令牌", "en": "API token"},
    "organisation": {"zh": "组织", "en": "Organisation"},
    "campaign": {"zh": "评选活动", "en": "Campaign"},
    "quota": {"zh": "名额", "en": "Quota"},
    "team": {"zh": "集体", "en": "Team"},
    "selection_round": {"zh": "评审轮次", "en": "Selection round"},
    "archive_person": {"zh": "劳模档案", "en": "Archive record"},
    "archive_studio": {"zh": "劳模工作室", "en": "Model worker studio"},
    "archive_export": {"zh": "档案导出", "en": "Archive export"},
    "case": {"zh": "撤销案件", "en": "Revocation case"},
    "verification_round": {"zh": "年度核查", "en": "Verification round"},
    "calendar_year": {"zh": "节假日日历", "en": "Holiday calendar"},
    "unit_bar": {"zh": "单位限制", "en": "Unit bar"},
    "instance": {"zh": "系统", "en": "System"},
    "path": {"zh": "页面", "en": "Page"},
}
