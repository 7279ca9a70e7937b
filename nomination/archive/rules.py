"""The archive's rules in the workflows: honours already held, the record an approval writes."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from nomination.archive import people as archive
from nomination.engine.registry import Context, effect, guard, refusal
from nomination.i18n import pick
from nomination.models import (
    Campaign,
    HonourRecord,
    Nomination,
)
from nomination.nominations.rules import recommendation


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
    if (recommendation(ctx).get("new_achievements") or "").strip():
        return None
    for record, source in _honours_held(ctx, title=award.title):
        if str((source.data or {}).get(key_field) or "").upper() == key:
            return refusal(
                f"已于{record.year}年获得{record.title},须写明此后取得的新业绩方可再次推荐",
                f"Already holds {record.title} ({record.year}): state the new achievements "
                "since then to nominate again",
            )
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
    if not nomination.campaign.require_prior_honour or ctx.workflow.holder != "person":
        return None
    data = nomination.data or {}
    if data.get("prior_honours"):
        return None
    key = str(data.get("id_number") or "").upper()
    held = _honours_held(ctx)
    if key and any(str((n.data or {}).get("id_number") or "").upper() == key for _, n in held):
        return None
    return refusal(
        "本次评选要求推荐对象此前获得过荣誉:请在“曾获主要荣誉”中填写",
        "This campaign requires an earlier honour: fill in the prior honours",
    )


@effect("create_honour_record")
def create_honour_record(ctx: Context) -> None:
    """Write the nominee's archive record, in the same transaction as the approval."""
    n = ctx.nomination
    award = n.campaign.award(n.kind)
    title = award.title if award else pick(ctx.workflow.title, "zh")
    person = None
    if ctx.workflow.holder == "person":
        # One record per person across years and levels: a second honour extends it.
        person, _created = archive.find_or_create_person(
            ctx.session,
            n.campaign.federation,
            id_number=n.data["id_number"],
            name=n.nominee_name,
            actor=ctx.actor,
            now=ctx.now,
            gender=n.data.get("gender"),
            birth_date=n.data.get("birth_date"),
            ethnicity=n.data.get("ethnicity"),
            phone=n.data.get("phone"),
            unit_id=n.unit_id,
            unit_name=n.unit.name,
            post=n.data.get("post") or "",
            sector=n.data.get("industry") or "",
        )
    record = HonourRecord(
        nomination=n,
        person=person,
        team_id=n.team_id,
        level=archive.level_of_title(title),
        honour_type=ctx.workflow.honour_type,
        kind=n.kind,
        title=title,
        year=n.campaign.year,
        holder_name=n.nominee_name,
        unit_id=n.unit_id,
        conferred_by=n.campaign.objection_contact.get("body", ""),
        decision_number=n.decision_number or ctx.data["decision_number"],
        decision_date=n.decision_date or date.fromisoformat(ctx.data["decision_date"]),
    )
    ctx.session.add(record)
    ctx.session.flush()
    ctx.notes["honour_record_id"] = record.id
