"""Demo data: a believable Chaoyang district federation of trade unions (朝阳区总工会).

Everything is made through the operations and the engine, so that the audit trail records it:
last year's campaign is walked to ``approved`` on last year's dates (its honours fill the
archive) and this year's campaign is open, with nominations spread over the states. Names,
units, numbers and deeds are invented; ID numbers and credit codes carry valid check digits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import ric, uscc
from werkzeug.security import generate_password_hash

from nomination import engine
from nomination.actors import PUBLIC, SYSTEM
from nomination.administration.campaigns import close_campaign, create_campaign, set_quota
from nomination.administration.first_start import is_set_up, set_up_instance
from nomination.administration.organisations import create_organisation, create_team
from nomination.administration.people import create_user
from nomination.archive import people as archive
from nomination.consultations import operations as consultations
from nomination.models import (
    ArchivePerson,
    Campaign,
    Nomination,
    Organisation,
    Team,
    User,
)
from nomination.nominations.operations import create_nomination, record_attachment
from nomination.selection import operations as selection
from nomination.uploads import store

#: The federation's code: its presence means the demo is loaded.
FEDERATION_CODE = "CY-ZGH"

_TZ = ZoneInfo("Asia/Shanghai")

_AWARDS = {
    "individual": ("首都劳动奖章", "Capital Labour Medal"),
    "unit": ("首都劳动奖状", "Capital Labour Award"),
    "team": ("北京市工人先锋号", "Beijing Workers' Pioneer"),
}

_OBJECTION_CONTACT = {
    "body": "朝阳区总工会劳模办",
    "address": "北京市朝阳区金台路甲12号 朝阳区总工会劳模办(邮编 100026)",
    "phone": "010-65098123",
    "email": "laomoban@cyzgh.example.org",
}

# --- organisations -----------------------------------------------------------------------------

#: Working committees: code, name, English name, quotas (medals, awards, pioneers).
#: The quotas add up to 2014's results in the seed article: 25 medals, 6 awards, 12 pioneers.
COMMITTEES = [
    ("CY-WJ", "望京地区工委", "Wangjing Area Working Committee", (5, 1, 2)),
    ("CY-JZ", "建筑业工委", "Construction Industry Working Committee", (4, 1, 2)),
    ("CY-JXQ", "酒仙桥地区工委", "Jiuxianqiao Area Working Committee", (4, 1, 2)),
    ("CY-CBD", "CBD地区工委", "CBD Area Working Committee", (4, 1, 2)),
    ("CY-SY", "商业服务业工委", "Commerce and Services Working Committee", (3, 1, 2)),
    ("CY-JY", "教育系统工委", "Education Working Committee", (3, 0, 1)),
    ("CY-WS", "卫生系统工委", "Health Working Committee", (2, 1, 1)),
]


@dataclass(frozen=True)
class _Unit:
    code: str
    committee: str
    name: str
    name_en: str
    unit_type: str
    #: First eight characters of the credit code: registry, kind, region (朝阳 110105).
    uscc_prefix: str
    #: The eight-digit body of the organisation code inside the credit code.
    org_body: str
    head: str
    staff: int
    phone: str

    @property
    def ownership(self) -> str:
        """Return the ownership the individual form asks for."""
        return "non_public" if self.unit_type == "private" else "public"


UNITS = [
    _Unit("CY-WJ-RL", "CY-WJ", "北京望京热力供应有限公司",
          "Beijing Wangjing Heating Supply Co., Ltd.",
          "state_owned", "91110105", "10211437", "郑国栋", 436, "010-64721800"),
    _Unit("CY-WJ-ZL", "CY-WJ", "北京望京智联科技有限公司",
          "Beijing Wangjing Zhilian Technology Co., Ltd.",
          "private", "91110105", "31862509", "林海川", 312, "010-84782266"),
    _Unit("CY-WJ-WY", "CY-WJ", "北京望京新城物业管理有限公司",
          "Beijing Wangjing Xincheng Property Management Co., Ltd.",
          "private", "91110105", "10274368", "秦立军", 528, "010-64709315"),
    _Unit("CY-JZ-SJ", "CY-JZ", "北京朝建第三建设工程有限公司",
          "Beijing Chaojian No. 3 Construction Engineering Co., Ltd.",
          "state_controlled", "91110105", "10196253", "高振华", 1280, "010-85761200"),
    _Unit("CY-JZ-DQ", "CY-JZ", "北京朝阳城市道桥养护有限公司",
          "Beijing Chaoyang Urban Road and Bridge Maintenance Co., Ltd.",
          "state_owned", "91110105", "10233790", "贾宏伟", 645, "010-65471088"),
    _Unit("CY-JXQ-DZ", "CY-JXQ", "北京酒仙桥精密电子有限公司",
          "Beijing Jiuxianqiao Precision Electronics Co., Ltd.",
          "state_controlled", "91110105", "10115682", "曾德胜", 890, "010-64366500"),
    _Unit("CY-JXQ-YX", "CY-JXQ", "北京酒仙桥数字影像技术有限公司",
          "Beijing Jiuxianqiao Digital Imaging Technology Co., Ltd.",
          "private", "91110105", "33590127", "苏明轩", 187, "010-59786633"),
    _Unit("CY-CBD-JR", "CY-CBD", "北京光华路数字金融服务有限公司",
          "Beijing Guanghua Road Digital Financial Services Co., Ltd.",
          "private", "91110105", "35120846", "叶嘉禾", 264, "010-65633188"),
    _Unit("CY-CBD-LY", "CY-CBD", "北京朝阳国际商务楼宇管理有限公司",
          "Beijing Chaoyang International Office Building Management Co., Ltd.",
          "state_owned", "91110105", "10258841", "袁立平", 356, "010-65051376"),
    _Unit("CY-SY-CB", "CY-SY", "北京朝百惠民超市连锁有限公司",
          "Beijing Chaobai Huimin Supermarket Chain Co., Ltd.",
          "state_controlled", "91110105", "10149926", "邱宝林", 1560, "010-65950210"),
    _Unit("CY-SY-CY", "CY-SY", "北京亚运村鸿宾餐饮管理有限公司",
          "Beijing Yayuncun Hongbin Catering Management Co., Ltd.",
          "private", "91110105", "30987514", "潘志勇", 230, "010-64916828"),
    _Unit("CY-JY-XX", "CY-JY", "北京市朝阳区青年路实验小学",
          "Qingnian Road Experimental Primary School, Chaoyang District",
          "public_institution", "12110105", "40076635", "刘雅琴", 146, "010-85579021"),
    _Unit("CY-WS-YY", "CY-WS", "北京市朝阳区东部医院", "Chaoyang District Eastern Hospital",
          "public_institution", "12110105", "40051879", "蒋立新", 1320, "010-85376000"),
    _Unit("CY-WS-SQ", "CY-WS", "北京市朝阳区双井社区卫生服务中心",
          "Shuangjing Community Health Service Centre, Chaoyang District",
          "public_institution", "12110105", "40089312", "谭慧敏", 118, "010-87719260"),
]  # fmt: skip
_UNITS = {u.code: u for u in UNITS}

#: Consulted departments (征求意见单位): code, name, English name, user, display name.
DEPARTMENTS = [
    ("CY-D-HR", "朝阳区人力资源和社会保障局", "Human Resources and Social Security Bureau",
     "dept-hr", "徐立新"),
    ("CY-D-SAFE", "朝阳区应急管理局", "Emergency Management Bureau", "dept-safety", "韩志强"),
    ("CY-D-ENV", "朝阳区生态环境局", "Ecology and Environment Bureau", "dept-env", "冯晓雪"),
    ("CY-D-TAX", "国家税务总局北京市朝阳区税务局", "Chaoyang Tax Bureau", "dept-tax", "曹永明"),
    ("CY-D-MKT", "朝阳区市场监督管理局", "Market Regulation Bureau", "dept-market", "彭亚楠"),
    ("CY-D-DISC", "朝阳区纪委区监委", "Discipline Inspection and Supervision Commission",
     "dept-discipline", "董振华"),
]  # fmt: skip

#: Who is consulted on whom (征求意见, DOMAIN.md §5): every nominee's labour relations and
#: safety record; enterprises and their heads also by market regulation, tax and environment;
#: cadres and state-owned enterprises also by discipline inspection.
_ENTERPRISE = ["CY-D-MKT", "CY-D-TAX", "CY-D-ENV"]
CONSULTATION_RULES: list[dict[str, Any]] = [
    {"when": {}, "departments": ["CY-D-HR", "CY-D-SAFE"]},
    {"when": {"kind": ["unit"]}, "departments": _ENTERPRISE},
    {"when": {"kind": ["individual"], "category": ["enterprise_head", "manager"]},
     "departments": _ENTERPRISE},
    {"when": {"kind": ["individual"], "category": ["cadre"]}, "departments": ["CY-D-DISC"]},
    {"when": {"kind": ["individual"], "category": ["enterprise_head"], "ownership": ["public"]},
     "departments": ["CY-D-DISC"]},
    {"when": {"kind": ["unit"], "unit_type": ["state_owned", "state_controlled"]},
     "departments": ["CY-D-DISC"]},
]  # fmt: skip

#: Teams (班组) of units: code, unit code, full name.
TEAMS = [
    ("CY-T-RL-GW1", "CY-WJ-RL", "北京望京热力供应有限公司管网运行一班"),
    ("CY-T-ZL-DD", "CY-WJ-ZL", "北京望京智联科技有限公司智能调度研发团队"),
    ("CY-T-SJ-DB", "CY-JZ-SJ", "北京朝建第三建设工程有限公司东坝安置房项目部钢筋班"),
    ("CY-T-SJ-AT", "CY-JZ-SJ", "北京朝建第三建设工程有限公司奥体南区项目部混凝土班"),
    ("CY-T-DZ-SMT", "CY-JXQ-DZ", "北京酒仙桥精密电子有限公司SMT表面贴装车间"),
    ("CY-T-CB-LL", "CY-SY-CB", "北京朝百惠民超市连锁有限公司生鲜配送中心冷链班组"),
    ("CY-T-YY-JZ", "CY-WS-YY", "北京市朝阳区东部医院急诊科护理团队"),
    ("CY-T-YY-HX", "CY-WS-YY", "北京市朝阳区东部医院呼吸与危重症医学科医护团队"),
]

# --- users -------------------------------------------------------------------------------------

#: username, display name, role, organisation code, description.
_USERS = [
    ("admin", "周海涛", "admin", FEDERATION_CODE, "系统管理员 (administrator)"),
    ("federation", "刘淑芬", "federation_reviewer", FEDERATION_CODE,
     "区总工会劳模办:初审、征求意见、评审、公示、异议 (federation reviewer)"),
    ("approver", "陈志刚", "approver", FEDERATION_CODE, "区总工会审批领导 (approver)"),
    ("auditor", "赵丽娟", "auditor", FEDERATION_CODE, "区总工会经审会,只读 (auditor, read-only)"),
    ("judge1", "王建华", "judge", FEDERATION_CODE,
     "评审委员会主任委员,任职于望京热力:回避 unit1 的推荐 (selection committee chair;"
     " works at unit1's unit)"),
    ("judge2", "李秀梅", "judge", FEDERATION_CODE,
     "评审委员会委员,任职于卫生系统工委:回避其推荐 (selection committee; works at a committee)"),
    ("judge3", "张国庆", "judge", FEDERATION_CODE, "评审委员会委员 (selection committee)"),
    ("committee1", "马晓东", "committee_reviewer", "CY-WJ",
     "望京地区工委,unit1 和 unit2 的工委 (working committee)"),
    ("committee2", "杨振宇", "committee_reviewer", "CY-JZ",
     "建筑业工委,unit3 的工委 (working committee)"),
    ("committee3", "黄丽萍", "committee_reviewer", "CY-JXQ", "酒仙桥地区工委 (working committee)"),
    ("committee4", "吴春燕", "committee_reviewer", "CY-SY", "商业服务业工委 (working committee)"),
    ("committee5", "郑永强", "committee_reviewer", "CY-WS", "卫生系统工委 (working committee)"),
    ("unit1", "高红梅", "unit_submitter", "CY-WJ-RL",
     "北京望京热力供应有限公司工会,望京地区工委 (unit)"),
    ("unit2", "林志远", "unit_submitter", "CY-WJ-ZL",
     "北京望京智联科技有限公司工会,望京地区工委 (unit)"),
    ("unit3", "何建军", "unit_submitter", "CY-JZ-SJ",
     "北京朝建第三建设工程有限公司工会,建筑业工委 (unit)"),
    ("unit4", "罗晓静", "unit_submitter", "CY-JXQ-DZ",
     "北京酒仙桥精密电子有限公司工会,酒仙桥地区工委 (unit)"),
    ("unit5", "宋丽华", "unit_submitter", "CY-SY-CB",
     "北京朝百惠民超市连锁有限公司工会,商业服务业工委 (unit)"),
    ("unit6", "唐文博", "unit_submitter", "CY-WS-YY",
     "北京市朝阳区东部医院工会,卫生系统工委 (unit)"),
    *[(user, name, "department", code, f"{org},征求意见 (consulted department)")
      for code, org, _en, user, name in DEPARTMENTS],
]  # fmt: skip

#: Where the judges work: a judge stands aside (回避) on nominations from there.
WORKPLACES = {"judge1": "CY-WJ-RL", "judge2": "CY-WS"}

#: The demo logins and what each one is for; the CLI prints them.
DEMO_USERS: list[tuple[str, str]] = [(u[0], f"{u[1]} · {u[4]}") for u in _USERS]

# --- nominee data --------------------------------------------------------------------------------


def id_number(region: str, born: date, male: bool, serial: int) -> str:
    """Return a valid resident ID number: region, birth date, serial (odd = male), check digit."""
    body = f"{region}{born:%Y%m%d}{serial % 100:02d}{(serial % 5) * 2 + (1 if male else 0)}"
    number = body + ric.calc_check_digit(body + "0")
    return ric.validate(number)


def _org_code_check(body: str) -> str:
    """Return the check character of an eight-digit organisation code (GB 11714)."""
    total = sum(int(c) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_code(unit: _Unit) -> str:
    """Return the unit's unified social credit code with both check characters."""
    body = unit.uscc_prefix + unit.org_body + _org_code_check(unit.org_body)
    return uscc.validate(body + uscc.calc_check_digit(body + "0"))


def _person(unit: str, name: str, gender: str, born: str, serial: int, **fields: Any) -> dict:
    """Return an individual nominee's form data; the ID number agrees with birth and gender."""
    birth = date.fromisoformat(born)
    data = {
        "name": name,
        "gender": gender,
        "ethnicity": fields.pop("ethnicity", "汉族"),
        "birth_date": born,
        "id_number": id_number(fields.pop("region", "110105"), birth, gender == "male", serial),
        "political_affiliation": fields.pop("politics", "cpc"),
        "ownership": _UNITS[unit].ownership,
        "migrant_worker": fields.pop("migrant", False),
        "post": f"{_UNITS[unit].name} {fields.pop('post')}",
    }
    data.update(fields)
    return data


def _unit_data(unit: str, summary: str, deeds: str) -> dict:
    """Return a unit nominee's form data from the unit's register entry."""
    u = _UNITS[unit]
    return {
        "full_name": u.name,
        "credit_code": credit_code(u),
        "unit_type": u.unit_type,
        "head": u.head,
        "staff_count": u.staff,
        "has_union": True,
        "has_workers_congress": True,
        "has_collective_contract": True,
        "phone": u.phone,
        "summary": summary,
        "deeds": deeds,
    }


def _team_data(team: str, **fields: Any) -> dict:
    """Return a team nominee's form data; the name is the team's registered full name."""
    return {"team_name": next(t[2] for t in TEAMS if t[0] == team), **fields}


@dataclass
class _Plan:
    """A nomination to make, and the state it is walked to."""

    user: str
    kind: str
    target: str
    data: dict
    team: str | None = None
    #: The reason given when it is returned, rejected, vetoed, not selected or withdrawn.
    reason: str = ""
    #: The public's objection, for ``objection_review``.
    objection: dict = field(default_factory=dict)
    #: The department whose adverse opinion vetoes it, for ``rejected_after_consultation``;
    #: the departments before it in the rules answer clear first.
    vetoed_by: str = ""


HEAT = "电力、热力、燃气及水生产和供应业"
SOFTWARE = "信息传输、软件和信息技术服务业"
BUILD = "建筑业"
MAKE = "制造业"
RETAIL = "批发和零售业"
HEALTH = "卫生和社会工作"

#: Last year's campaign: walked to ``approved`` (one not selected), so the archive has records.
PREVIOUS = [
    _Plan("unit1", "individual", "approved", _person(
        "CY-WJ-RL", "韩永利", "male", "1970-02-17", 31,
        education="senior_high", work_start="1989-08-01", post="锅炉房运行值班长",
        title_or_grade="高级技师", phone="13910021457", category="industrial_worker",
        industry=HEAT,
        summary="从事锅炉运行三十五年,总结“看火色、听炉声、查参数”三步巡检法,所在锅炉房连续"
        "十二个供暖季安全运行无事故,燃气单耗下降11.3%。",
        deeds="韩永利同志1989年参加工作,一直在供热生产一线。他总结的“看火色、听炉声、查参数”"
        "三步巡检法在公司12座锅炉房推广,连续十二个供暖季安全运行无事故。2023年起他牵头实施"
        "低氮燃烧器和烟气余热回收改造,燃气单耗下降11.3%,年减少二氧化碳排放约6200吨。他带徒"
        "23名,其中9人取得技师以上资格,被职工称为“锅炉房里的老师傅”。",
    )),
    _Plan("unit2", "individual", "approved", _person(
        "CY-WJ-ZL", "吴俊峰", "male", "1984-06-30", 57, politics="cpc",
        education="master", work_start="2009-07-01", post="技术总监",
        title_or_grade="正高级工程师", phone="13661087342", category="technical",
        industry=SOFTWARE,
        summary="带领团队研发城市公共设施物联网监测平台,接入朝阳区1.8万个井盖、桥梁和管网监测点,"
        "获发明专利14项,平台年均预警险情300余起。",
        deeds="吴俊峰同志带领40人研发团队,用三年时间建成城市公共设施物联网监测平台,接入井盖、"
        "桥梁、地下管网等1.8万个监测点,年均提前预警险情300余起。他主持制定团体标准2项,获发明"
        "专利14项。他坚持“技术要落到街巷里”,每月带队到街道现场调试设备,培养青年工程师30余名,"
        "公司研发人员流失率连续三年低于行业平均水平。",
    )),
    _Plan("unit3", "individual", "approved", _person(
        "CY-JZ-SJ", "孟庆华", "male", "1972-09-09", 13, region="412726", migrant=True,
        education="junior_high", work_start="1992-03-01", post="木工班班长",
        title_or_grade="高级技师", phone="15810263390", category="industrial_worker",
        industry=BUILD,
        summary="进京务工三十余年,从木工学徒成长为高级技师,发明“可周转铝木组合模板”,在6个项目"
        "推广应用,节约木材2100立方米,带出技术骨干40余人。",
        deeds="孟庆华同志1992年从河南郸城来京务工,先后参建住宅、学校、医院等工程30余项。他发明的"
        "“可周转铝木组合模板”周转次数由6次提高到30次以上,在公司6个项目推广,节约木材2100立方米,"
        "获国家实用新型专利3项。他所在木工班连续十年无安全事故。他利用业余时间为农民工兄弟讲授"
        "识图和安全知识,带出技术骨干40余人,其中12人取得技师资格。",
    )),
    _Plan("unit3", "team", "approved", _team_data(
        "CY-T-SJ-AT", team_type="shift_team", team_size=28, leader="钱学斌",
        phone="13520347716",
        summary="承担奥体南区保障房项目主体结构混凝土施工,创新大体积混凝土温控工法,浇筑质量一次"
        "验收合格率100%,提前46天完成主体结构封顶。",
        deeds="混凝土班28名职工中农民工占八成。班组开展“六小”技术攻关,创新大体积混凝土分层温控"
        "工法,裂缝发生率下降90%;推行“一车一检一记录”,全年浇筑混凝土4.6万立方米,一次验收"
        "合格率100%。项目提前46天完成主体结构封顶,班组获评北京市建筑业安全文明施工示范班组。",
    ), team="CY-T-SJ-AT"),
    _Plan("unit4", "individual", "approved", _person(
        "CY-JXQ-DZ", "白雪梅", "female", "1979-11-12", 26, ethnicity="蒙古族",
        education="college", work_start="1999-07-01", post="质量检验班班长",
        title_or_grade="技师", phone="13701152864", category="industrial_worker",
        industry=MAKE,
        summary="扎根质检岗位二十六年,总结“三看两测一比对”检验法,车间产品一次交验合格率由98.1%"
        "提升到99.7%,为企业挽回质量损失600余万元。",
        deeds="白雪梅同志是蒙古族职工,1999年进厂后一直从事电子元件质量检验。她总结的“三看两测"
        "一比对”检验法被写入公司作业指导书,车间产品一次交验合格率由98.1%提升到99.7%。她牵头"
        "建立的缺陷图谱库收录典型缺陷1100余种,三年为企业挽回质量损失600余万元。她担任班长以来,"
        "班组12名女职工中有7人取得技师资格。",
    )),
    _Plan("unit4", "unit", "approved", _unit_data(
        "CY-JXQ-DZ",
        "坚持创新驱动,建成区级劳模创新工作室3个,近三年职工合理化建议采纳1200余条,创效4300"
        "余万元;全员签订集体合同,连续五年无欠薪、无重大安全事故。",
        "公司是酒仙桥地区老牌电子元件企业,现有职工890人。公司坚持“企业发展依靠职工、发展成果"
        "惠及职工”,职代会制度健全,工资集体协商连续十年开展,职工年收入年均增长6.2%。公司建成"
        "区级劳模创新工作室3个,近三年采纳职工合理化建议1200余条,创效4300余万元,获授权专利86项。"
        "公司连续五年无欠薪、无重大安全事故,单位能耗三年下降18%。",
    )),
    _Plan("unit5", "individual", "approved", _person(
        "CY-SY-CB", "石磊", "male", "1982-03-03", 48,
        education="bachelor", work_start="2004-07-01", post="生鲜配送中心主任",
        title_or_grade="高级物流师", phone="13811460275", category="manager",
        industry=RETAIL,
        summary="牵头建设生鲜冷链配送体系,覆盖门店86家,生鲜损耗率由4.8%降到1.9%;疫情和极端天气"
        "期间组织保供,确保社区“菜篮子”不断档。",
        deeds="石磊同志2004年入职,从理货员做起。他牵头建设的生鲜冷链配送体系覆盖公司86家门店,"
        "实现“当日采、当日配、当日售”,生鲜损耗率由4.8%降到1.9%,年节约成本2100余万元。2023年"
        "夏季强降雨期间,他带领配送中心连续奋战72小时,保障13个社区的蔬菜供应。他推行“师带徒"
        "积分制”,配送中心42名职工中有19人实现岗位晋升。",
    )),
    _Plan("unit5", "individual", "not_selected", _person(
        "CY-SY-CB", "谢芳", "female", "1986-12-19", 62, politics="masses",
        education="college", work_start="2008-03-01", post="团购业务主管",
        title_or_grade="", phone="13601278853", category="frontline",
        industry=RETAIL,
        summary="开拓企事业单位团购业务,三年新增客户210家,团购销售额年均增长27%。",
        deeds="谢芳同志负责公司团购业务,三年新增企事业单位客户210家,团购销售额年均增长27%。"
        "她建立客户回访制度,客户满意度连续三年保持在98%以上。",
    ), reason="经评审委员会无记名投票,得票未超过半数,未列入拟表彰名单。"),
    _Plan("unit6", "individual", "approved", _person(
        "CY-WS-YY", "钱慧", "female", "1971-08-08", 35,
        education="bachelor", work_start="1991-08-01", post="护理部主任",
        title_or_grade="主任护师", phone="13910375528", category="technical",
        industry=HEALTH,
        summary="从事护理工作三十四年,创建“延续护理”服务模式,为出院慢病患者提供上门和线上随访"
        "4.2万人次,患者30天再入院率下降21%。",
        deeds="钱慧同志1991年参加工作,长期在临床护理一线。她创建的“医院—社区—家庭”延续护理"
        "服务模式,组织120名护士为出院慢病患者提供上门和线上随访4.2万人次,患者30天再入院率下降"
        "21%。她主持市级课题3项,发表论文18篇,培养专科护士46名。新冠疫情期间她主动请缨,带领"
        "护理团队坚守隔离病区97天。",
    )),
    _Plan("unit6", "team", "approved", _team_data(
        "CY-T-YY-HX", team_type="department", team_size=56, leader="郭文涛",
        phone="010-85376120",
        summary="承担东部地区呼吸危重症救治任务,重症患者救治成功率达94.6%,建成区域慢阻肺"
        "分级诊疗网络,覆盖社区卫生服务中心17家。",
        deeds="科室56名医护人员,近三年收治呼吸危重症患者2300余人次,救治成功率94.6%。团队牵头"
        "建成区域慢阻肺分级诊疗网络,覆盖社区卫生服务中心17家,筛查居民2.1万人。团队开展新技术"
        "新项目12项,获市级科研立项4项,连续三年零医疗纠纷。",
    ), team="CY-T-YY-HX"),
    _Plan("unit6", "unit", "approved", _unit_data(
        "CY-WS-YY",
        "区域医疗中心,年门急诊180万人次;推行“一站式”就医服务,患者满意度96.8%;职工代表大会"
        "制度健全,连续三年保障职工带薪休假和健康体检全覆盖。",
        "医院是朝阳区东部区域医疗中心,现有职工1320人,年门急诊180万人次。医院推行“一站式”"
        "就医服务和检查结果互认,平均候诊时间缩短40%,患者满意度96.8%。医院坚持院务公开和职代会"
        "制度,职工提案办结率100%,连续三年实现职工带薪休假和健康体检全覆盖,建有职工之家和"
        "母婴室。医院牵头组建紧密型医联体,带动11家社区卫生服务中心提升服务能力。",
    )),
]  # fmt: skip

#: This year's campaign: nominations spread over the states, each walked by the right users.
CURRENT = [
    _Plan("unit1", "individual", "public_notice", _person(
        "CY-WJ-RL", "赵德明", "male", "1976-03-14", 21,
        education="senior_high", work_start="1995-07-01", post="管网运行一班班长",
        title_or_grade="高级技师", phone="13910068214", category="industrial_worker",
        industry=HEAT,
        summary="扎根供热一线三十年,带领班组完成望京地区老旧管网改造42公里,首创“分时分区”水力"
        "平衡调节法,供暖季室温达标率由96.2%提升到99.6%,年节约标准煤3800余吨。",
        deeds="赵德明同志1995年参加工作,先后担任管网巡检工、维修工和班长。他带领班组完成望京"
        "地区老旧小区供热管网改造42公里,首创“分时分区”水力平衡调节法,解决了管网末端用户室温"
        "偏低的老大难问题,供暖季室温达标率由96.2%提升到99.6%,年节约标准煤3800余吨。他牵头"
        "成立的“德明创新工作室”完成技术革新27项,获国家实用新型专利5项。每逢寒潮,他总是第一个"
        "赶到抢修现场,近五年带队处置突发故障430余起,平均到场时间25分钟。",
    )),
    _Plan("unit1", "team", "selection", _team_data(
        "CY-T-RL-GW1", team_type="shift_team", team_size=18, leader="赵德明",
        phone="010-64721830",
        summary="承担望京地区186公里供热管网巡检和抢修,连续八个供暖季实现“零重大故障、零投诉"
        "升级”,抢修平均到场时间缩短到25分钟。",
        deeds="管网运行一班18名职工负责望京地区186公里供热管网和312座换热站的巡检抢修。班组推行"
        "“网格化巡检+智能测温”,故障发现时间提前到平均2小时以内;连续八个供暖季实现“零重大故障、"
        "零投诉升级”。班组开展“六小”攻关23项,2项获北京市职工技术创新成果奖。",
    ), team="CY-T-RL-GW1"),
    _Plan("unit1", "individual", "draft", _person(
        "CY-WJ-RL", "孙丽", "female", "1988-09-02", 44, ethnicity="满族",
        education="bachelor", work_start="2010-07-15", post="客户服务中心主管",
        title_or_grade="助理工程师", phone="13716592047", category="frontline",
        industry=HEAT,
        summary="牵头建设供热“接诉即办”工作台,用户诉求一次解决率由85%提升到97.8%,供暖季投诉量"
        "下降43%。",
        deeds="孙丽同志负责公司客户服务中心工作,牵头建设供热“接诉即办”工作台,把用户诉求分派、"
        "上门、回访全流程纳入平台,诉求一次解决率由85%提升到97.8%,供暖季投诉量下降43%。她组建"
        "“暖心服务队”,为辖区独居老人提供上门测温和设施检查服务1600余户次。",
    )),
    _Plan("unit1", "unit", "federation_review", _unit_data(
        "CY-WJ-RL",
        "承担望京、来广营地区1260万平方米供热任务,连续十年无重大安全事故;推进清洁供热改造,"
        "三年碳排放下降19%;职工工资集体协商、职代会制度健全。",
        "公司承担望京、来广营地区1260万平方米、11.6万户居民的供热任务,连续十年无重大安全事故。"
        "公司推进燃气锅炉低氮改造和热泵清洁供热,三年碳排放下降19%。公司坚持职代会制度,"
        "工资集体协商连续九年开展,建成劳模创新工作室2个,职工合理化建议采纳率62%。",
    )),
    _Plan("unit2", "individual", "consultation", _person(
        "CY-WJ-ZL", "陈思远", "male", "1987-11-20", 73,
        education="master", work_start="2012-07-01", post="高级算法工程师",
        title_or_grade="高级工程师", phone="18610275539", category="technical",
        industry=SOFTWARE,
        summary="主持研发城市供热和地铁站群智能调度算法,在12家单位落地,获发明专利9项,为用户"
        "单位年节约能耗费用2800余万元。",
        deeds="陈思远同志2012年参加工作,主持研发的智能调度算法已在供热、轨道交通等12家单位落地。"
        "其中供热负荷预测模型使预测误差由12%降到4%,为用户单位年节约能耗费用2800余万元。他获"
        "发明专利9项,参与制定行业标准1项,担任公司青年工程师导师,带教新员工35名。",
    )),
    _Plan("unit2", "individual", "returned", _person(
        "CY-WJ-ZL", "周晓雯", "female", "1992-04-08", 16, politics="masses",
        education="bachelor", work_start="2014-07-01", post="测试开发组组长",
        title_or_grade="工程师", phone="13520961183", category="technical",
        industry=SOFTWARE,
        summary="建立自动化测试体系,覆盖公司核心产品线,上线缺陷率明显下降。",
        deeds="周晓雯同志带领测试开发组建立自动化测试体系,覆盖公司核心产品线,上线缺陷率明显"
        "下降,受到用户单位好评。",
    ), reason="事迹材料中“上线缺陷率明显下降”等成果没有数据和用户单位证明,请量化本人贡献、"
       "补充证明材料后重新上报。"),
    _Plan("unit2", "team", "committee_review", _team_data(
        "CY-T-ZL-DD", team_type="project_team", team_size=26, leader="陈思远",
        phone="010-84782301",
        summary="研发城市运行智能调度平台,服务供热、公交和环卫等单位12家,平台可用率99.99%,"
        "获发明专利17项。",
        deeds="团队26人,平均年龄31岁。团队研发的城市运行智能调度平台服务供热、公交、环卫等单位"
        "12家,平台可用率达99.99%。团队获发明专利17项、软件著作权42项,两次获北京市职工技术"
        "创新成果奖。",
    ), team="CY-T-ZL-DD"),
    _Plan("unit2", "individual", "draft", {
        "name": "许浩",
        "gender": "male",
        "ethnicity": "汉族",
        "post": "北京望京智联科技有限公司 运维工程师",
        "phone": "13601093372",
    }),
    _Plan("unit3", "individual", "public_notice", _person(
        "CY-JZ-SJ", "李长江", "male", "1979-06-18", 25, region="412722", migrant=True,
        education="junior_high", work_start="1998-03-01", post="钢筋班班长",
        title_or_grade="高级技师", phone="15901287734", category="industrial_worker",
        industry=BUILD,
        summary="从河南农村来京务工二十八年,从钢筋学徒成长为高级技师,发明钢筋笼胎架快速定位"
        "装置,功效提高40%,参建工程获“长城杯”金奖4项。",
        deeds="李长江同志1998年从河南西华来京务工,参建住宅、学校、地铁配套等工程40余项,其中"
        "4项获北京市“长城杯”金奖。他发明的钢筋笼胎架快速定位装置使绑扎功效提高40%,获国家实用"
        "新型专利2项。2022年他获北京市建筑业职业技能大赛钢筋工第一名。他把自己的经验编成"
        "《钢筋班组实用口诀》,带出徒弟60余人,其中15人成为班组长。",
    )),
    _Plan("unit3", "individual", "federation_review", _person(
        "CY-JZ-SJ", "王秀芝", "female", "1983-01-25", 52,
        education="bachelor", work_start="2005-07-01", post="安全质量部经理",
        title_or_grade="高级工程师", phone="13811725906", category="manager",
        industry=BUILD,
        summary="推行“工地安全积分制”和智慧工地监测,公司在建项目连续五年无较大及以上安全事故,"
        "获评北京市绿色安全样板工地9个。",
        deeds="王秀芝同志负责公司安全质量管理工作,推行“工地安全积分制”,把2000余名一线作业人员"
        "的安全行为纳入积分管理;推动17个在建项目接入智慧工地监测系统。公司连续五年无较大及以上"
        "安全事故,9个项目获评北京市绿色安全样板工地。",
    )),
    _Plan("unit3", "team", "consultation", _team_data(
        "CY-T-SJ-DB", team_type="shift_team", team_size=32, leader="马建新",
        phone="15010362278",
        summary="承担东坝安置房项目钢筋工程,推行钢筋集中加工和BIM下料,钢材损耗率由3.2%降到"
        "1.1%,提前38天完成主体结构。",
        deeds="钢筋班32名职工中农民工28人。班组推行钢筋集中加工和BIM下料,钢材损耗率由3.2%降到"
        "1.1%,节约钢材860吨;开展“安全班前十分钟”活动,连续1500天无安全事故。项目提前38天完成"
        "主体结构,为1200户回迁居民早日入住创造了条件。",
    ), team="CY-T-SJ-DB"),
    _Plan("unit3", "individual", "rejected", _person(
        "CY-JZ-SJ", "刘大勇", "male", "1985-10-03", 37, region="412726", migrant=True,
        politics="masses", education="junior_high", work_start="2003-04-01", post="架子工",
        title_or_grade="技师", phone="13716204483", category="industrial_worker",
        industry=BUILD,
        summary="从事架子工二十余年,参建高层建筑30余栋,所带班组无高处坠落事故。",
        deeds="刘大勇同志从事架子工二十余年,参建高层建筑30余栋,总结的悬挑脚手架检查要点被项目部"
        "采用,所带班组无高处坠落事故。",
    ), reason="经核实,该同志劳动关系在劳务分包单位,不属本单位职工,不符合由本单位推荐的条件;"
       "请由其所在单位按程序推荐。"),
    _Plan("unit3", "unit", "committee_review", _unit_data(
        "CY-JZ-SJ",
        "近三年承建保障房、学校和医院项目23个,获“长城杯”金奖6项;在全市建筑业率先实现农民工"
        "工资专户代发全覆盖,连续八年无拖欠。",
        "公司现有职工1280人,在施项目用工中农民工约4600人。公司近三年承建保障房、学校和医院项目"
        "23个,获北京市“长城杯”金奖6项、银奖9项。公司率先实现农民工工资专户代发全覆盖,连续八年"
        "无拖欠;在项目部建设“农民工夜校”和职工书屋,年培训1.1万人次。",
    )),
    _Plan("unit4", "individual", "reserve", _person(
        "CY-JXQ-DZ", "张海燕", "female", "1980-07-30", 28,
        education="college", work_start="2000-08-01", post="SMT车间工艺工程师",
        title_or_grade="高级技师", phone="13683297405", category="industrial_worker",
        industry=MAKE,
        summary="攻克01005微型元件贴装工艺难题,车间贴装直通率由97.2%提升到99.5%,主持完成技术"
        "革新19项,年创效1600余万元。",
        deeds="张海燕同志2000年进厂,从操作工成长为高级技师。她攻克01005微型元件贴装工艺难题,"
        "车间贴装直通率由97.2%提升到99.5%;主持完成技术革新19项,年创效1600余万元,获国家发明"
        "专利2项。她领衔的“海燕工作室”累计培训青年职工800余人次,2024年获评北京市职工创新"
        "工作室。",
    )),
    _Plan("unit4", "individual", "withdrawn", _person(
        "CY-JXQ-DZ", "邓卫国", "male", "1969-12-05", 19,
        education="senior_high", work_start="1988-09-01", post="设备维修班班长",
        title_or_grade="高级技师", phone="13901347762", category="industrial_worker",
        industry=MAKE,
        summary="从事设备维修三十七年,自主修复进口贴片机关键部件,为企业节约维修费用900余万元。",
        deeds="邓卫国同志从事设备维修三十七年,自主修复进口贴片机关键部件120余件,为企业节约维修"
        "费用900余万元,带徒32名。",
    ), reason="本人提出将推荐机会让给青年技术骨干,经单位研究同意撤回。"),
    _Plan("unit4", "team", "draft", _team_data(
        "CY-T-DZ-SMT", team_type="workshop", team_size=64, leader="张海燕",
        phone="010-64366588",
        summary="车间承担公司80%的电路板贴装任务,贴装直通率99.5%,连续三年无质量事故。",
        deeds="SMT表面贴装车间64名职工,承担公司80%的电路板贴装任务。车间推行精益生产,换线时间"
        "由45分钟缩短到18分钟,贴装直通率99.5%,连续三年无质量事故。",
    ), team="CY-T-DZ-SMT"),
    _Plan("unit5", "individual", "rejected_after_consultation", _person(
        "CY-SY-CB", "马红英", "female", "1978-05-16", 41, ethnicity="回族",
        education="college", work_start="1997-10-01", post="十里堡店店长",
        title_or_grade="", phone="13910582367", category="manager",
        industry=RETAIL,
        summary="扎根社区超市二十九年,推出“社区便民菜站”和老年人送货上门服务,门店销售额"
        "三年增长35%。",
        deeds="马红英同志1997年入职,先后在5家门店工作。她任十里堡店店长以来推出“社区便民菜站”"
        "和老年人送货上门服务,服务周边居民2.3万户,门店销售额三年增长35%。",
    ), reason="区市场监督管理局反馈:该同志负责的门店2026年6月因销售超过保质期食品受到行政"
       "处罚。按规定实行一票否决。", vetoed_by="CY-D-MKT"),
    _Plan("unit5", "individual", "committee_review", _person(
        "CY-SY-CB", "冯小军", "male", "1990-08-22", 43, region="412722", migrant=True,
        politics="masses", education="senior_high", work_start="2009-03-01",
        post="冷链配送驾驶员", title_or_grade="中级工", phone="15010647718",
        category="frontline", industry=RETAIL,
        summary="驾驶冷链配送车十五年,安全行驶86万公里无事故,连续三年配送准点率99.8%,寒潮和"
        "暴雨期间坚持为社区门店保供。",
        deeds="冯小军同志2009年从河南西华来京,做冷链配送驾驶员十五年,安全行驶86万公里无事故,"
        "连续三年配送准点率99.8%。他摸索出“冷链箱分区装载法”,生鲜到店温度合格率提高到100%。"
        "2023年暴雨期间他连续三天往返配送中心和受灾社区,运送蔬菜、饮用水60余吨。",
    )),
    _Plan("unit5", "team", "federation_review", _team_data(
        "CY-T-CB-LL", team_type="shift_team", team_size=21, leader="石磊",
        phone="010-65950288",
        summary="承担86家门店生鲜冷链配送,实现“当日采、当日配、当日售”,生鲜损耗率降到1.9%,"
        "极端天气保供不断档。",
        deeds="冷链班组21名职工中农民工15人。班组负责86家门店的生鲜冷链配送,日均配送生鲜120吨,"
        "实现“当日采、当日配、当日售”,生鲜损耗率降到1.9%。班组在寒潮、暴雨等极端天气下坚持"
        "保供,获评北京市商业服务业“保供先锋”班组。",
    ), team="CY-T-CB-LL"),
    _Plan("unit5", "individual", "returned_by_federation", _person(
        "CY-SY-CB", "田静", "female", "1995-02-11", 58,
        education="college", work_start="2016-07-01", post="收银主管",
        title_or_grade="", phone="13691135284", category="frontline",
        industry=RETAIL,
        summary="工作认真负责,服务热情周到,多次受到顾客表扬。",
        deeds="田静同志担任收银主管以来,工作认真负责,服务热情周到,多次受到顾客表扬。",
    ), reason="经初审,事迹材料以日常工作描述为主,缺少近三年的具体业绩和所获荣誉,请补充后"
       "重新上报。"),
    _Plan("unit6", "individual", "selection", _person(
        "CY-WS-YY", "郭文涛", "male", "1975-04-09", 39,
        education="doctor", work_start="2003-07-01", post="急诊科主任",
        title_or_grade="主任医师", phone="13801196642", category="technical",
        industry=HEALTH,
        summary="带领急诊科建成胸痛、卒中、创伤三大救治中心,急性心梗患者从进门到血管开通时间"
        "缩短到58分钟,年救治危重患者1.2万人次。",
        deeds="郭文涛同志2003年参加工作,2016年起任急诊科主任。他带领科室建成胸痛、卒中、创伤三大"
        "救治中心,急性心梗患者从进门到血管开通时间由96分钟缩短到58分钟,年救治危重患者1.2万"
        "人次。他牵头组建区域急救培训基地,培训社区医务人员和公众3.6万人次。",
    )),
    _Plan("unit6", "individual", "objection_review", _person(
        "CY-WS-YY", "杨敏", "female", "1984-10-27", 23,
        education="bachelor", work_start="2006-08-01", post="呼吸与危重症医学科护士长",
        title_or_grade="副主任护师", phone="13522736018", category="technical",
        industry=HEALTH,
        summary="创建呼吸康复护理门诊,为慢阻肺患者提供康复指导1.8万人次,科室连续五年无护理"
        "差错,患者满意度99.1%。",
        deeds="杨敏同志2006年参加工作,2018年任护士长。她创建呼吸康复护理门诊,为慢阻肺患者提供"
        "康复指导1.8万人次;推行“床旁交接班”和用药双人核对制度,科室连续五年无护理差错,患者"
        "满意度99.1%。",
    ), objection={
        "objector_name": "李春生",
        "objector_phone": "13910274436",
        "objector_address": "北京市朝阳区石佛营东里",
        "facts": "公示材料称科室“连续五年无护理差错”,据我所知2024年3月该科室曾发生一起给药"
        "差错,请予核实。",
    }),
    _Plan("unit6", "team", "selection", _team_data(
        "CY-T-YY-JZ", team_type="department", team_size=48, leader="何静",
        phone="010-85376118",
        summary="年接诊急诊患者16万人次,推行“预检分诊五级法”,危重患者分诊准确率98.7%,抢救"
        "成功率96.2%。",
        deeds="急诊科护理团队48人,年接诊急诊患者16万人次。团队推行“预检分诊五级法”,危重患者"
        "分诊准确率98.7%,抢救成功率96.2%;开展“急救知识进社区”活动120余场,培训居民8000"
        "余人次。",
    ), team="CY-T-YY-JZ"),
]  # fmt: skip

#: The triggers that walk a nomination to each target state, in order.
PATHS: dict[str, tuple[str, ...]] = {
    "draft": (),
    "withdrawn": ("withdraw",),
    "committee_review": ("recommend",),
    "returned": ("recommend", "return_to_unit"),
    "rejected": ("recommend", "reject"),
    "federation_review": ("recommend", "forward"),
    "returned_by_federation": ("recommend", "forward", "return_to_unit"),
    "consultation": ("recommend", "forward", "accept"),
    "rejected_after_consultation": ("recommend", "forward", "accept", "adverse_opinion"),
    "selection": ("recommend", "forward", "accept", "clear_opinions"),
    "not_selected": ("recommend", "forward", "accept", "clear_opinions", "not_select"),
    "reserve": ("recommend", "forward", "accept", "clear_opinions", "hold_in_reserve"),
    "public_notice": ("recommend", "forward", "accept", "clear_opinions", "select"),
    "objection_review": (
        "recommend", "forward", "accept", "clear_opinions", "select", "object"
    ),
    "approved": (
        "recommend", "forward", "accept", "clear_opinions", "select", "close_notice", "approve"
    ),
}  # fmt: skip

#: The state each target ends in.
END_STATE = {
    "returned_by_federation": "returned",
    "rejected_after_consultation": "rejected",
    "not_selected": "rejected",
}

#: The opinion (意见) each level signs when it passes a nomination on.
OPINIONS = {
    "forward": "经工委审核,推荐人选事迹突出,材料齐全,民主推荐和公示程序规范,同意上报。",
    "accept": "初审通过:资格条件、名额和结构比例符合要求,送相关部门征求意见。",
    "select": "经评审委员会投票,同意列入拟表彰名单,予以公示。",
    "hold_in_reserve": "经评审委员会投票,列为递补人选;拟表彰人选因故出缺时依次递补。",
}

#: The name a unit gives each file it attaches.
FILE_NAMES = {
    "congress_minutes": "职工代表大会会议纪要(盖章).pdf",
    "unit_notice": "推荐人选公示及公示结果(盖章).pdf",
    "deeds": "先进事迹材料.pdf",
    "photo": "集体照片.pdf",
}


def demo_pdf(title: str) -> bytes:
    """Return a one-page PDF whose page says ``title`` (ASCII): a stand-in for a scanned file."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


# --- walking -----------------------------------------------------------------------------------


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    # In UTC: the audit trail hashes the time as given and reads it back in UTC.
    return datetime.combine(day, time(hour, minute), tzinfo=_TZ).astimezone(UTC)


@dataclass
class _Walk:
    """A campaign being filled: its users, and the clock of its transitions."""

    session: Session
    campaign: Campaign
    users: dict[str, User]
    recommendation: dict[str, Any]
    #: When each trigger fires (staggered per nomination); without one, everything at ``now``.
    schedule: dict[str, datetime] | None = None
    now: datetime | None = None

    def when(self, trigger: str, index: int) -> datetime | None:
        """Return when ``trigger`` fires for the ``index``-th nomination (None: the real now)."""
        if self.schedule is None:
            return self.now
        return self.schedule[trigger] + timedelta(minutes=17 * index)

    def actor(self, nomination: Nomination, trigger: str) -> User:
        """Return the user who fires ``trigger`` in the nomination's current state."""
        if trigger in ("recommend", "resubmit", "withdraw"):
            unit = nomination.unit
            return next(
                u for u in self.users.values() if any(r.organisation_id == unit.id for r in u.roles)
            )
        if nomination.state == "committee_review":
            committee = nomination.unit.committee()
            assert committee is not None, "the demo's units all belong to a committee"
            return next(
                u
                for u in self.users.values()
                if any(
                    r.role == "committee_reviewer" and r.organisation_id == committee.id
                    for r in u.roles
                )
            )
        if nomination.state == "final_approval":
            return self.users["approver"]
        return self.users["federation"]

    def answer_consultation(
        self, nomination: Nomination, plan: _Plan, trigger: str, at: datetime | None
    ) -> None:
        """Let the consulted departments answer: all clear, or clear until the veto."""
        for n, request in enumerate(consultations.requests_of(self.session, nomination)):
            if request.status != "open" or nomination.state != "consultation":
                continue
            user = next(
                u
                for u in self.users.values()
                if any(r.organisation_id == request.department_id for r in u.roles)
            )
            when = at + timedelta(minutes=5 * n) if at else None
            if trigger == "adverse_opinion" and request.department.code == plan.vetoed_by:
                consultations.give_opinion(
                    self.session, request, user, opinion="adverse", reason=plan.reason, now=when
                )
                return
            consultations.give_opinion(self.session, request, user, opinion="clear", now=when)

    def attach_files(
        self, nomination: Nomination, purposes: list[str], at: datetime | None
    ) -> None:
        """Attach the unit's files for ``purposes``, an hour before ``at``, as its submitter."""
        user = self.actor(nomination, "recommend")
        for n, purpose in enumerate(purposes):
            title = f"{nomination.nominee_name} {purpose}".encode("ascii", "ignore").decode()
            stored = store(demo_pdf(title or purpose), FILE_NAMES.get(purpose, f"{purpose}.pdf"))
            when = at - timedelta(hours=1, minutes=-n) if at else None
            record_attachment(
                self.session,
                nomination,
                stored,
                purpose,
                actor=user,
                role="unit_submitter",
                now=when,
            )

    def form(self, plan: _Plan, trigger: str, index: int) -> dict[str, Any]:
        """Return the form data a trigger asks for."""
        if trigger == "recommend":
            present = 80 + (index * 37) % 140
            against, abstain = index % 4, 1 + index % 3
            return {
                **self.recommendation,
                "members_present": present,
                "votes_for": present - against - abstain,
                "votes_against": against,
                "votes_abstain": abstain,
            }
        if trigger in OPINIONS:
            return {"comment": OPINIONS[trigger]}
        if trigger == "approve":
            at = self.when("approve", index)
            assert at is not None, "only last year's campaign, walked on a schedule, is approved"
            day = at.date()
            return {
                "decision_number": f"京工发〔{day.year}〕9号",
                "decision_date": day.isoformat(),
                "comment": "同意表彰。",
            }
        return {"reason": plan.reason}

    def run(self, plans: list[_Plan]) -> list[Nomination]:
        """Create every planned nomination and walk them together, step by step."""
        rows = []
        for plan in plans:
            unit = self.users[plan.user].roles[0].organisation
            team = None
            if plan.team:
                team = self.session.scalar(select(Team).where(Team.code == plan.team))
            rows.append(
                create_nomination(
                    self.session,
                    actor=self.users[plan.user],
                    campaign=self.campaign,
                    kind=plan.kind,
                    unit=unit,
                    data=plan.data,
                    team=team,
                )
            )
        for i, (plan, row) in enumerate(zip(plans, rows, strict=True)):
            required = [p for p, f in engine.workflow_for(row).files.items() if f.required_for]
            if PATHS[plan.target][:1] == ("recommend",):
                # What the definition requires before the unit may recommend.
                self.attach_files(row, required, self.when("recommend", i))
            elif i % 2 == 0:
                # Some drafts are under way: the deeds are in, the minutes and notice not yet.
                self.attach_files(row, ["deeds"], self.when("recommend", i))
        steps = max(len(PATHS[p.target]) for p in plans)
        for step in range(steps):
            due = [
                (i, plan, row)
                for i, (plan, row) in enumerate(zip(plans, rows, strict=True))
                if step < len(PATHS[plan.target])
            ]
            for i, plan, row in due:
                trigger = PATHS[plan.target][step]
                if trigger == "close_notice":
                    # The timer closes the notice: as `nomination tick` would at that time.
                    engine.apply_due_timers(self.session, self.when(trigger, i), ids=[row.id])
                elif trigger in ("clear_opinions", "adverse_opinion"):
                    # Each consulted department answers; the last clear opinion (or the
                    # veto) moves the nomination on, as it does for a department user.
                    self.answer_consultation(row, plan, trigger, self.when(trigger, i))
                elif trigger == "object":
                    # What file_objection does, at the walk's clock: the public objects.
                    engine.fire(
                        row, trigger, PUBLIC, data=plan.objection, now=self.when(trigger, i)
                    )
                else:
                    engine.fire(
                        row,
                        trigger,
                        self.actor(row, trigger),
                        data=self.form(plan, trigger, i),
                        now=self.when(trigger, i),
                    )
        for plan, row in zip(plans, rows, strict=True):
            expected = END_STATE.get(plan.target, plan.target)
            if row.state != expected:
                raise RuntimeError(f"demo nomination {row.nominee_name} ended in {row.state}")
        return rows


def _previous_working_day(day: date, cal: Any, before: int = 1) -> date:
    """Return the working day ``before`` working days before ``day``."""
    for _ in range(before):
        day -= timedelta(days=1)
        while not cal.is_workday(day):
            day -= timedelta(days=1)
    return day


def _unit_recommendation(congress: date, start: date, end: date) -> dict[str, Any]:
    return {
        "congress_date": congress.isoformat(),
        "notice_start": start.isoformat(),
        "notice_end": end.isoformat(),
        "notice_result": "no_objection",
        "comment": "经职工代表大会民主推荐,并在本单位公示五个工作日无异议,同意推荐。",
    }


# --- loading -----------------------------------------------------------------------------------


def _add_org(
    session: Session, code: str, name: str, name_en: str, kind: str, parent: Organisation | None
) -> Organisation:
    return create_organisation(
        session,
        actor=SYSTEM,
        code=code,
        name=name,
        name_en=name_en,
        kind=kind,
        parent=parent,
        comment="演示数据 (nomination demo)",
    )


def _campaign(
    session: Session,
    admin: User,
    orgs: dict[str, Organisation],
    year: int,
    deadline: date,
) -> Campaign:
    campaign = create_campaign(
        session,
        actor=admin,
        year=year,
        name=f"{year}年首都劳动奖章、首都劳动奖状、北京市工人先锋号推荐评选",
        name_en=f"{year} Capital Labour Medal, Capital Labour Award and Beijing Workers' Pioneer",
        federation=orgs[FEDERATION_CODE],
        nomination_deadline=deadline,
        awards=_AWARDS,
        notice_working_days=5,
        unit_notice_working_days=5,
        objection_contact=_OBJECTION_CONTACT,
        # Beijing's notices list nominees by surname strokes (按姓氏笔画排序).
        notice_order="stroke",
        # 差额评选: up to 120% of each allocation may go forward.
        pool_percent=120,
        consultation_rules=CONSULTATION_RULES,
        selection_rule="1/2",
        # The 首都 medal's structure (2006 notice): front-line over 45%, science and education
        # at least 20%, enterprise and institution heads at most 10%; women at least 30%.
        composition={
            "front_line": {"min": 45},
            "science_education": {"min": 20},
            "leaders": {"max": 10},
            "women": {"min": 30},
        },
    )
    for code, _name, _en, places in COMMITTEES:
        for kind, n in zip(("individual", "unit", "team"), places, strict=True):
            set_quota(
                session, actor=admin, campaign=campaign, committee=orgs[code], kind=kind, places=n
            )
    return campaign


def load_demo(session: Session, password: str, now: datetime | None = None) -> bool:
    """Load the demo federation; return False, changing nothing, when it is already there.

    ``now`` (default: the real time) is when this year's campaign is opened and walked; tests
    pass a fixed time so that their dates stay inside the years the holiday calendar knows.
    """
    if session.scalar(select(Organisation.id).where(Organisation.code == FEDERATION_CODE)):
        return False

    orgs: dict[str, Organisation] = {}
    admin_row = next(u for u in _USERS if u[2] == "admin")
    fed_name, fed_name_en = "北京市朝阳区总工会", "Chaoyang District Federation of Trade Unions"
    username, display_name = admin_row[0], admin_row[1]
    email = f"{username}@cyzgh.example.org"
    if not is_set_up(session):
        # The first start, as a real federation makes it: its federation and administrator.
        admin = set_up_instance(
            session,
            federation_code=FEDERATION_CODE,
            federation_name=fed_name,
            federation_name_en=fed_name_en,
            username=username,
            display_name=display_name,
            email=email,
            password=password,
            now=now,
        )
        fed = admin.roles[0].organisation
    else:
        # One more federation in an installation set up already (several live in one).
        fed = _add_org(session, FEDERATION_CODE, fed_name, fed_name_en, "federation", None)
        admin = create_user(
            session,
            actor=SYSTEM,
            username=username,
            display_name=display_name,
            email=email,
            password=password,
            roles=[("admin", fed)],
        )
    orgs[FEDERATION_CODE] = fed
    for code, name, name_en, _places in COMMITTEES:
        orgs[code] = _add_org(session, code, name, name_en, "committee", fed)
    for u in UNITS:
        orgs[u.code] = _add_org(session, u.code, u.name, u.name_en, "unit", orgs[u.committee])
    for code, name, name_en, _user, _display in DEPARTMENTS:
        orgs[code] = _add_org(session, code, name, name_en, "department", fed)
    for code, unit_code, name in TEAMS:
        create_team(session, actor=SYSTEM, unit=orgs[unit_code], code=code, name=name)

    # scrypt is slow on purpose: hash the one demo password once and share the hash.
    password_hash = generate_password_hash(password, method="scrypt")
    users: dict[str, User] = {admin.username: admin}
    for username, display, role, org_code, _description in _USERS:
        if username in users:
            continue
        users[username] = create_user(
            session,
            actor=SYSTEM,
            username=username,
            display_name=display,
            email=f"{username}@cyzgh.example.org",
            password_hash=password_hash,
            roles=[(role, orgs[org_code])],
            workplace=orgs[WORKPLACES[username]] if username in WORKPLACES else None,
        )

    # Last year's campaign, walked on last year's calendar and closed: it fills the archive.
    cal = engine.calendar()
    today = (now or datetime.now(UTC)).astimezone(_TZ).date()
    last = today.year - 1
    previous = _campaign(session, admin, orgs, last, date(last, 3, 14))
    congress = date(last, 2, 14)
    notice_start = cal.next_workday(congress + timedelta(days=1))
    notice_end = cal.next_workday(notice_start)
    for _ in range(4):
        notice_end = cal.next_workday(notice_end + timedelta(days=1))
    schedule = {
        "recommend": _local(date(last, 3, 3), 9, 30),
        "forward": _local(date(last, 3, 10), 10),
        "accept": _local(date(last, 3, 18), 10),
        "clear_opinions": _local(date(last, 3, 31), 15),
        "select": _local(date(last, 4, 8), 9, 30),
        "not_select": _local(date(last, 4, 8), 9, 30),
        "close_notice": _local(date(last, 4, 21), 9),
        "approve": _local(date(last, 4, 25), 10),
    }
    _Walk(
        session,
        previous,
        users,
        _unit_recommendation(congress, notice_start, notice_end),
        schedule,
    ).run(PREVIOUS)
    close_campaign(previous, actor=admin)
    _look_after_honoured(session, fed, users, last)

    # This year's campaign, open today: the units' own notices ran over the last working days.
    current = _campaign(session, admin, orgs, today.year, today + timedelta(weeks=4))
    end = _previous_working_day(today, cal)
    start = _previous_working_day(end, cal, before=4)
    _Walk(
        session,
        current,
        users,
        _unit_recommendation(_previous_working_day(start, cal, before=2), start, end),
        now=now.astimezone(UTC) if now else None,
    ).run(CURRENT)
    _open_selection_round(session, current, users, now.astimezone(UTC) if now else None)
    session.flush()
    return True


def _look_after_honoured(
    session: Session, federation: Organisation, users: dict[str, User], year: int
) -> None:
    """Give last year's honoured people a year of care: health checks, a visit, a retirement."""
    people = session.scalars(
        select(ArchivePerson)
        .where(ArchivePerson.federation_id == federation.id)
        .order_by(ArchivePerson.id)
    ).all()
    federation_user = users["federation"]
    for i, person in enumerate(people):
        at = _local(date(year, 9, 10), 10) + timedelta(minutes=7 * i)
        archive.record_service(
            session,
            person,
            federation_user,
            kind="health_check",
            service_date=date(year, 9, 10),
            note="劳模年度健康体检",
            now=at,
        )
        if i == 0:
            archive.record_service(
                session,
                person,
                federation_user,
                kind="visit",
                service_date=date(year, 12, 28),
                note="元旦春节走访慰问",
                now=_local(date(year, 12, 28), 15),
            )
        if i == len(people) - 1 and i > 0:
            unit_user = next(
                u
                for u in users.values()
                if any(
                    r.role == "unit_submitter" and r.organisation_id == person.unit_id
                    for r in u.roles
                )
            )
            archive.report_status(
                session,
                person,
                unit_user,
                status="retired",
                effective_date=date(year, 11, 30),
                known_date=date(year, 11, 30),
                note="到龄退休",
                now=_local(date(year, 12, 2), 9),
            )


def _open_selection_round(
    session: Session, campaign: Campaign, users: dict[str, User], now: datetime | None
) -> None:
    """Open this year's medal round on the nominations in selection; one judge has voted."""
    if not selection.shortlist(session, campaign, "individual"):
        return
    judges = [users[name] for name in ("judge1", "judge2", "judge3")]
    round_ = selection.open_round(
        session,
        campaign,
        "individual",
        users["federation"],
        judge_ids=[j.id for j in judges],
        chair_id=judges[0].id,
        now=now,
    )
    for entry in round_.entries:
        selection.cast_vote(
            session, round_, judges[2], nomination_id=entry.nomination_id, vote="yes", now=now
        )
