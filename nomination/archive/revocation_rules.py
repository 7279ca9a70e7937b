"""Guards and effects of the revocation workflow (workflows/revocation.toml)."""

from __future__ import annotations

from datetime import date
from typing import Any

from nomination.engine.registry import Context, effect, guard
from nomination.errors import InvalidData
from nomination.i18n import pick
from nomination.models import ReturnItem, evidence
from nomination.models.cases import RETURN_ITEMS

#: The decision form's tick box for each item a revoked holder gives back.
ITEM_FIELDS = {item: f"return_{item}" for item in RETURN_ITEMS}


@guard(
    "honour_still_active",
    label={"zh": "该称号仍有效(未被撤销)", "en": "The honour is still active (not revoked)"},
)
def honour_still_active(ctx: Context) -> dict[str, str] | None:
    """Refuse when the honour is gone or already revoked (by another decision meanwhile)."""
    honour = ctx.subject.honour
    if honour is None or honour.status != "active":
        return {"zh": "该称号已被撤销", "en": "The honour has already been revoked"}
    return None


@guard(
    "approver_reviews_batch_only",
    label={
        "zh": "单个撤销案件由区总工会劳模办审核;审批人仅在整批撤销时一并审核",
        "en": "The federation reviews a single case; the approver reviews only in a batch "
        "rescission",
    },
)
def approver_reviews_batch_only(ctx: Context) -> dict[str, str] | None:
    """Keep review and decision apart: the approver reviews only the batch it rescinds itself."""
    if ctx.role == "approver" and not (ctx.subject.data or {}).get("rescinds"):
        return {
            "zh": "单个撤销案件须先由区总工会劳模办审核",
            "en": "A single case is reviewed by the federation first",
        }
    return None


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _check_dates(ctx: Context, honour: Any) -> tuple[date, list[str], date | None]:
    """Return (revoked on, items to return, due date), or raise InvalidData naming the field."""
    data = ctx.data
    revoked_on = date.fromisoformat(data["revoked_on"])
    decided = date.fromisoformat(data["decision_date"])
    items = [item for item, name in ITEM_FIELDS.items() if data.get(name)]
    due = _day(data.get("return_due")) if items else None
    errors: dict[str, list[str]] = {}
    if revoked_on < honour.decision_date:
        errors["revoked_on"] = [
            pick(
                {
                    "zh": f"不能早于授予称号的日期({honour.decision_date.isoformat()})",
                    "en": f"Cannot be before the honour was conferred "
                    f"({honour.decision_date.isoformat()})",
                }
            )
        ]
    if items and due is None:
        errors["return_due"] = [
            pick({"zh": "需收回物品时须填写退还期限", "en": "Give a date to return the items by"})
        ]
    elif due is not None and due < decided:
        errors["return_due"] = [
            pick({"zh": "不能早于决定日期", "en": "Cannot be before the decision date"})
        ]
    if errors:
        # Raised inside the firing transaction: the caller rolls the whole transition back.
        raise InvalidData("some fields are invalid", fields=errors)
    return revoked_on, items, due


@effect("revoke_honour")
def revoke_honour(ctx: Context) -> None:
    """Mark the honour revoked from a date, end its benefits, list what must be returned.

    The honour record stays in the archive, visibly revoked; the decision is kept with the
    case and named in the audit event.
    """
    case = ctx.subject
    honour = case.honour
    revoked_on, items, due = _check_dates(ctx, honour)
    honour.status = "revoked"
    honour.revoked_on = revoked_on
    honour.revocation_decision = ctx.data["decision_number"]
    honour.benefits_active = False
    for item in items:
        case.items.append(ReturnItem(item=item, due_date=due))
    decision = {
        "decision_number": ctx.data["decision_number"],
        "decision_date": ctx.data["decision_date"],
        "revoked_on": revoked_on.isoformat(),
        "items": items,
        "return_due": due.isoformat() if due else None,
    }
    evidence.add(ctx.nomination, "decision", decision)
    ctx.notes["honour_revoked"] = {"honour_record_id": honour.id, **decision}
