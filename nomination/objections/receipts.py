"""The objector's plain receipt: what they objected to, when, its reference and what comes next.

Citizens get this; the cryptographic receipt (checkpoint, Merkle inclusion proof, key id) stays
one click away for whoever wants to verify it (``nomination.audit.reading.receipt_status``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from nomination.models import NoticeEntry, Objection
from nomination.notices.publication import timezone


@dataclass(frozen=True)
class PlainReceipt:
    """An objection as its objector is told it was received."""

    #: What the objector quotes to follow the objection.
    reference: str
    #: The day it was received, in the notice's time zone.
    received_on: date
    #: The nominee and the unit, as the notice named them ("" if it could not be found).
    nominee: str
    unit: str
    #: The award's title, in Chinese and English.
    award: dict[str, str]
    #: Who published the notice and handles the objection.
    issuer: str
    #: Sent after the notice had closed.
    late: bool
    #: Working days the nominating unit has to answer the federation's verification request.
    answer_working_days: int

    def text(self) -> dict[str, str]:
        """Return the receipt as one sentence per language, e.g. for the API."""
        day = self.received_on
        handler = self.issuer or "本会"
        zh = (
            f"您于{day.year}年{day.month}月{day.day}日对"
            f"{self.award.get('zh', '')}拟表彰对象{self.nominee}({self.unit})提出的异议已受理,"
            f"受理编号 {self.reference}。"
        )
        en = (
            f"Your objection about {self.nominee} ({self.unit}), proposed for the "
            f"{self.award.get('en') or self.award.get('zh', '')}, was received on "
            f"{day.isoformat()}; reference {self.reference}. "
        )
        if self.late:
            zh += "该公示已经结束,此异议登记为逾期异议,仍将交核查人员处理。"
            en += "The notice had closed: it is recorded as late and will still be handled. "
        zh += (
            f"{handler}将组织核查,推荐单位须在接到核查通知后 {self.answer_working_days} "
            "个工作日内报送核实情况;核查结论可凭受理编号查询。"
        )
        en += (
            f"{self.issuer or 'The federation'} will have it checked: the nominating unit must "
            f"answer within {self.answer_working_days} working days of being asked, and the "
            "conclusion can be looked up with the reference."
        )
        return {"zh": zh, "en": en}


def plain_receipt(session: Session, objection: Objection) -> PlainReceipt:
    """Return the plain receipt of ``objection``, naming the nominee as the notice did."""
    entry = session.scalar(
        select(NoticeEntry)
        .where(NoticeEntry.nomination_id == objection.nomination_id)
        .order_by(NoticeEntry.sequence.desc())
        .limit(1)
    )
    campaign = objection.nomination.campaign
    return PlainReceipt(
        reference=objection.reference,
        received_on=objection.received_at.astimezone(timezone()).date(),
        nominee=entry.nominee_name if entry is not None else "",
        unit=entry.unit_name if entry is not None else "",
        award=dict(entry.award_title) if entry is not None else {},
        issuer=entry.issuer if entry is not None else "",
        late=objection.late,
        answer_working_days=campaign.objection_answer_working_days,
    )
