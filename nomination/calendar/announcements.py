"""Telling the people concerned that a period's end moved with the calendar."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from nomination.calendar.workdays import WorkCalendar
from nomination.models import Nomination
from nomination.notifications import (
    _named,
    _tell,
    consultation_path,
    department_users,
    nomination_path,
    submitters,
    users_with_role_over,
)

if TYPE_CHECKING:
    from nomination.calendar.operations import Recount


def announce(
    session: Session,
    nomination: Nomination,
    recount: Recount,
    cal: WorkCalendar,
    actor: Any,
    label: dict[str, str],
) -> int:
    """Notify the unit and the federation of the period's new end (``label`` names the period).

    A department hears of its own answer deadline.
    """
    when = cal.local(recount.ends_after).strftime("%Y-%m-%d %H:%M")

    def message(user: object) -> dict[str, str]:
        zh, en = _named(user, nomination)  # type: ignore[arg-type]
        return {
            "zh": f"{zh} 的{label['zh']}按新的放假安排调整为 {when}",
            "en": f"The {label['en']} of {en} moved with the holiday arrangement to {when}",
        }

    key = f"calendar:{recount.period}:{nomination.id}:{int(recount.ends_after.timestamp())}"
    written = 0
    if recount.period == "consultation":
        # The department answers on its request's page; it cannot open the nomination.
        request = recount.row
        written += _tell(
            session,
            department_users(session, request.department_id),
            kind="result",
            key=f"{key}:{request.id}",
            url=consultation_path(request),
            message={
                "zh": f"征求意见请求 #{request.id} 的回复期限按新的放假安排调整为 {when}",
                "en": f"The answer deadline of consultation request #{request.id} moved with "
                f"the holiday arrangement to {when}",
            },
            skip=actor,
        )
    users = submitters(session, nomination) + users_with_role_over(
        session, ["federation_reviewer"], nomination.unit
    )
    written += _tell(
        session,
        {u.id: u for u in users}.values(),
        kind="result",
        key=key,
        url=nomination_path(nomination),
        message=message,
        skip=actor,
    )
    return written
