"""Telling the people concerned that a period's end moved with the calendar."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from nomination.calendar.workdays import WorkCalendar
from nomination.models import Nomination
from nomination.notifications import (
    _named,
    _tell,
    department_users,
    nomination_path,
    submitters,
    users_with_role_over,
)

if TYPE_CHECKING:
    from nomination.calendar.operations import Recount


def announce(session: Session, nomination: Nomination, recount: Recount, cal: WorkCalendar) -> int:
    """Notify the unit, the federation (and a consulted department) of the period's new end."""
    from nomination.calendar.operations import PERIOD_LABELS

    label = PERIOD_LABELS[recount.period]
    when = cal.local(recount.ends_after).strftime("%Y-%m-%d %H:%M")
    users = submitters(session, nomination) + users_with_role_over(
        session, ["federation_reviewer", "admin"], nomination.unit
    )
    if recount.period == "consultation":
        users += department_users(session, recount.row.department_id)

    def message(user: object) -> dict[str, str]:
        zh, en = _named(user, nomination)  # type: ignore[arg-type]
        return {
            "zh": f"{zh}的{label['zh']}按新的放假安排调整为 {when}",
            "en": f"The {label['en']} of {en} moved with the holiday arrangement to {when}",
        }

    stamp = int(recount.ends_after.timestamp())
    return _tell(
        session,
        {u.id: u for u in users}.values(),
        kind="result",
        key=f"calendar:{recount.period}:{nomination.id}:{stamp}",
        url=nomination_path(nomination),
        message=message,
    )
