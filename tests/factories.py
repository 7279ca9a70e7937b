"""Plain data for tests: valid nominee data, a passing recommendation, a fixed clock.

And the files a nomination must carry before it is recommended, attached as a unit would.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nomination import engine
from nomination.nominations.operations import attach_file
from nomination.uploads import store

PASSWORD = "correct horse battery"

#: A Wednesday in an ordinary working week, 10:00 in Beijing.
NOW = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)
#: A decision's day and moment, after the public notice of a nomination selected at ``NOW``
#: closed (five working days: 11-24): a decision is dated after its notice, never later than
#: the day it is recorded.
DECIDED_ON = "2026-11-27"
DECIDED_AT = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def person_data(**overrides: Any) -> dict[str, Any]:
    """Return complete, valid data for an individual nominee."""
    data = {
        "name": "张建国",
        "gender": "male",
        "ethnicity": "汉族",
        "birth_date": "1949-12-31",
        "id_number": "110105194912310038",
        "political_affiliation": "cpc",
        "education": "senior_high",
        "work_start": "1968-09-01",
        "post": "北京热力集团 运行班班长",
        "title_or_grade": "高级技师",
        "phone": "13910000000",
        "category": "industrial_worker",
        "migrant_worker": False,
        "ownership": "public",
        "industry": "电力、热力、燃气及水生产和供应业",
        "summary": "扎根供热一线三十年,带领班组攻克管网节能难题。",
        "deeds": "扎根供热一线三十年,带领班组攻克管网节能难题,累计节约标准煤一万余吨。",
    }
    data.update(overrides)
    return data


def recommendation(**overrides: Any) -> dict[str, Any]:
    """Return a workers'-congress vote and unit notice that pass every guard at ``NOW``."""
    data = {
        "congress_date": "2026-11-02",
        "members_present": 120,
        "votes_for": 110,
        "votes_against": 4,
        "votes_abstain": 6,
        "notice_start": "2026-11-04",
        "notice_end": "2026-11-10",
        "notice_result": "no_objection",
        "comment": "同意推荐。",
    }
    data.update(overrides)
    return data


#: A member of the public's objection, as the objection form takes it.
OBJECTION = {
    "objector_name": "赵明",
    "objector_phone": "13800138000",
    "objector_address": "北京市朝阳区某街道1号",
    "facts": "该同志 2019 年曾因安全生产事故受到处分,与推荐材料不符。",
}
#: The federation's request to the unit to verify an objection.
VERIFY = {"questions": "请核实该同志2019年是否受过处分,并提供人事档案中的相关记录。"}
#: The unit's answer, signed by its leader in charge.
ANSWER = {
    "finding": "经查阅人事档案和安全生产事故台账,该同志2019年未受任何处分。",
    "opinion": "unfounded",
    "leader_name": "李明",
    "leader_post": "党委副书记",
}


def pdf(text: str = "材料") -> bytes:
    """Return a small file that the upload check accepts as a PDF (its content differs by text)."""
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% "
        + text.encode("utf-8")
        + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def required_purposes(nomination: Any) -> list[str]:
    """Return the purposes of the files any transition of the nomination's workflow requires."""
    wf = engine.workflow_for(nomination)
    return [p for p, f in wf.files.items() if f.required_for]


def attach_required_files(nomination: Any, actor: Any, *, leave_out: tuple[str, ...] = ()) -> None:
    """Attach, as ``actor`` (the unit's submitter), every file the definition requires.

    ``leave_out`` names purposes to leave missing.
    """
    for purpose in required_purposes(nomination):
        if purpose not in leave_out:
            stored = store(pdf(purpose), f"{purpose}.pdf")
            attach_file(nomination, actor=actor, stored=stored, purpose=purpose)
