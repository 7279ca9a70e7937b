"""Calendar actions: enter a year's official arrangement, confirm a provisional year, recount.

Entering or confirming a year recounts, in the same transaction, every open period that ran on
a provisional year or touches the year: the nominations' timers, the notice board's entries,
the departments' answer deadlines and the units' verification deadlines. Each period that moves
is audited on its own and its people are told; a period is never moved to before the moment
of the entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nomination.actors import SystemActor
from nomination.audit.chain import Entity, nomination_entity, record_event
from nomination.calendar import store
from nomination.calendar.announcements import announce
from nomination.calendar.provisional import StatutoryDaysUnknown, statutory_holidays
from nomination.calendar.queries import missing_message, missing_years
from nomination.calendar.workdays import (
    FIRST_YEAR,
    LAST_YEAR,
    Arrangement,
    Grade,
    WorkCalendar,
)
from nomination.db import utcnow
from nomination.errors import Conflict, InvalidData, PermissionDenied, require_valid
from nomination.i18n import pick
from nomination.labels import PERIOD_LABELS
from nomination.models import (
    CalendarYear,
    ConsultationRequest,
    Nomination,
    NoticeEntry,
    Notification,
    RoleAssignment,
    User,
    evidence,
)
from nomination.notifications import notify
from nomination.permissions import can_manage_calendar


@dataclass
class Recount:
    """One open period counted again on a changed calendar."""

    period: str
    nomination_id: int
    ends_before: datetime
    ends_after: datetime
    provisional_before: bool
    provisional_after: bool
    #: The row the period lives in: a nomination, a notice entry or a consultation request.
    row: Any = field(repr=False, default=None)

    @property
    def moved(self) -> bool:
        """Whether the end moved (not only its grade)."""
        return self.ends_before != self.ends_after

    @property
    def changed(self) -> bool:
        """Whether anything about the period changed."""
        return self.moved or self.provisional_before != self.provisional_after


# --- entering a year ---------------------------------------------------------------------------


def _dates(year: int, lines: Iterable[str | date], weekend: bool) -> tuple[set[date], list[str]]:
    """Parse dates and ranges (``2027-02-09/2027-02-12``: its weekdays, or weekend days)."""
    days: set[date] = set()
    errors: list[str] = []
    for raw in lines:
        text = raw.isoformat() if isinstance(raw, date) else str(raw).strip()
        if not text:
            continue
        try:
            if "/" in text:
                first, last = (date.fromisoformat(p.strip()) for p in text.split("/", 1))
                if last < first:
                    raise ValueError
                span = [first + timedelta(days=i) for i in range((last - first).days + 1)]
                # A range names the days of the kind the field asks for: a holiday range its
                # weekdays, an adjusted working days range its weekend days.
                found = [d for d in span if (d.weekday() >= 5) == weekend]
            else:
                found = [date.fromisoformat(text)]
        except ValueError:
            errors.append(
                pick(
                    {
                        "zh": f"「{text}」不是日期(应为 YYYY-MM-DD)",
                        "en": f"'{text}' is not a date (YYYY-MM-DD)",
                    }
                )
            )
            continue
        for day in found:
            if day.year != year:
                errors.append(
                    pick({"zh": f"{day} 不在 {year} 年", "en": f"{day} is not in {year}"})
                )
            elif weekend and day.weekday() < 5:
                errors.append(
                    pick(
                        {
                            "zh": f"{day} 是工作日:调休上班日应为周六或周日",
                            "en": f"{day} is a weekday: an adjusted working day is a Saturday "
                            "or Sunday",
                        }
                    )
                )
            elif not weekend and day.weekday() >= 5:
                errors.append(
                    pick(
                        {
                            "zh": f"{day} 是周末,本来就休息:只需列出放假的工作日",
                            "en": f"{day} is a weekend day, off anyway: list only the weekdays "
                            "that are days off",
                        }
                    )
                )
            else:
                days.add(day)
    return days, errors


def _statutory(year: int) -> frozenset[date]:
    """The statutory days of ``year`` under the 2024 revision (in force from 2025)."""
    if year < 2025:
        return frozenset()
    try:
        return statutory_holidays(year)
    except StatutoryDaysUnknown:
        return frozenset()


def _statutory_worked(statutory: frozenset[date], worked: set[date]) -> list[str]:
    """Name the statutory days an arrangement would have worked: by law they never are."""
    days = "、".join(d.isoformat() for d in sorted(worked & statutory))
    if not days:
        return []
    return [
        pick(
            {
                "zh": f"{days} 是法定节假日,不能调休上班",
                "en": f"{days}: a statutory holiday is never a working day",
            }
        )
    ]


def _statutory_missing(statutory: frozenset[date], off: set[date]) -> list[str]:
    """Name the statutory days on weekdays that the arrangement does not give off.

    They are days off by law, whatever the State Council's notice adds: leaving one out is
    a slip that would shorten notices.
    """
    missing = sorted(d for d in statutory if d.weekday() < 5 and d not in off)
    if not missing:
        return []
    days = "、".join(d.isoformat() for d in missing)
    return [
        pick(
            {
                "zh": f"缺少法定节假日 {days}:法定节假日逢工作日必须放假",
                "en": f"Statutory holidays missing: {days}; on a weekday they are days off by law",
            }
        )
    ]


def parse_arrangement(
    year: int,
    holidays: Iterable[str | date],
    workdays: Iterable[str | date],
    source: str | None = None,
) -> Arrangement:
    """Check a year's arrangement (and its source, when given) field by field.

    Raise InvalidData naming every field with all its errors at once.
    """
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidData(
            f"the year must be from {FIRST_YEAR} to {LAST_YEAR}",
            fields={
                "year": [
                    pick(
                        {
                            "zh": f"年份应在 {FIRST_YEAR}–{LAST_YEAR} 之间",
                            "en": f"The year must be from {FIRST_YEAR} to {LAST_YEAR}",
                        }
                    )
                ]
            },
        )
    off, off_errors = _dates(year, holidays, weekend=False)
    worked, worked_errors = _dates(year, workdays, weekend=True)
    if not off and not off_errors:
        off_errors.append(
            pick({"zh": "至少应有一个放假的工作日", "en": "At least one weekday off is required"})
        )
    elif not off_errors:
        off_errors.extend(_statutory_missing(_statutory(year), off))
    if not worked_errors:
        worked_errors.extend(_statutory_worked(_statutory(year), worked))
    fields = {}
    if off_errors:
        fields["holidays"] = off_errors
    if worked_errors:
        fields["workdays"] = worked_errors
    if source is not None and not source.strip():
        fields["source"] = [
            pick(
                {
                    "zh": "请填写放假安排的通知文号",
                    "en": "Name the State Council's notice it comes from",
                }
            )
        ]
    require_valid(fields, "the arrangement has errors")
    return Arrangement(frozenset(off), frozenset(worked))


def _require_admin(actor: Any) -> None:
    if not (isinstance(actor, SystemActor) or can_manage_calendar(actor)):
        raise PermissionDenied("only administrators may enter the calendar")


def year_row(session: Session, year: int, *, lock: bool = False) -> CalendarYear | None:
    """Return the entered version of ``year``, if any."""
    query = select(CalendarYear).where(CalendarYear.year == year)
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


def _check_version(row: CalendarYear | None, expected: str | None) -> None:
    """Refuse a form posted against a version of the year that has changed since."""
    if expected is None:
        return
    if (row.event_hash if row else "") != expected:
        raise Conflict("the year's calendar was changed by someone else; look at it again")


def _with_year(
    session: Session, cal_rows: list[CalendarYear], replacement: CalendarYear
) -> WorkCalendar:
    rows = [r for r in cal_rows if r.year != replacement.year] + [replacement]
    base = store.current(session)
    return store.build(rows, str(base.tz), base.closing_hour)


def preview_arrangement(
    session: Session, year: int, arrangement: Arrangement, *, now: datetime | None = None
) -> list[Recount]:
    """Return the open periods whose end or grade would change if ``arrangement`` were entered."""
    now = now or utcnow()
    candidate = CalendarYear(
        year=year,
        grade="official",
        holidays=sorted(d.isoformat() for d in arrangement.holidays),
        workdays=sorted(d.isoformat() for d in arrangement.workdays),
    )
    cal = _with_year(session, list(session.scalars(select(CalendarYear))), candidate)
    return [r for r in recount(session, cal, years=[year], now=now) if r.changed]


def set_arrangement(
    session: Session,
    *,
    actor: Any,
    year: int,
    holidays: Iterable[str | date],
    workdays: Iterable[str | date],
    source: str,
    expected_version: str | None = None,
    now: datetime | None = None,
) -> list[Recount]:
    """Enter ``year``'s official arrangement and recount its open periods; return those changed."""
    _require_admin(actor)
    now = now or utcnow()
    source = (source or "").strip()
    arrangement = parse_arrangement(year, holidays, workdays, source)
    row = year_row(session, year, lock=True)
    _check_version(row, expected_version)
    before = _year_record(row)
    values = {
        "grade": "official",
        "holidays": sorted(d.isoformat() for d in arrangement.holidays),
        "workdays": sorted(d.isoformat() for d in arrangement.workdays),
        "source": source,
        "entered_by_id": getattr(actor, "id", None),
        "entered_at": now,
    }
    if row is None:
        row = _insert_year(session, CalendarYear(year=year, event_hash="", **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)
    appended = record_event(
        session,
        actor,
        "calendar.set",
        Entity("calendar_year", year),
        before=before,
        after=_year_record(row),
        now=now,
    )
    row.event_hash = appended.hash
    session.flush()
    # The reminders that the year is missing have done their work.
    session.execute(
        update(Notification)
        .where(Notification.key.like(f"calendar:missing:{year}%"), Notification.read_at.is_(None))
        .values(read_at=now)
    )
    return _recount_and_record(session, actor, [year], now, reason=f"{year} official: {source}")


def confirm_year(
    session: Session,
    *,
    actor: Any,
    year: int,
    reason: str,
    expected_version: str | None = None,
    now: datetime | None = None,
) -> list[Recount]:
    """Accept ``year``'s provisional calendar for its periods, so that they may close."""
    _require_admin(actor)
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidData(
            "a reason is required",
            fields={"reason": [pick({"zh": "请说明确认的理由", "en": "Give the reason"})]},
        )
    grade = store.current(session).grade(year)
    row = year_row(session, year, lock=True)
    _check_version(row, expected_version)
    if grade is not Grade.PROVISIONAL:
        raise Conflict(f"{year} is not provisional: it is {grade.value}")
    row = _insert_year(
        session,
        CalendarYear(
            year=year,
            grade="confirmed",
            holidays=[],
            workdays=[],
            source=reason,
            entered_by_id=getattr(actor, "id", None),
            entered_at=now,
            event_hash="",
        ),
    )
    appended = record_event(
        session,
        actor,
        "calendar.confirm",
        Entity("calendar_year", year),
        after=_year_record(row),
        comment=reason,
        now=now,
    )
    row.event_hash = appended.hash
    session.flush()
    return _recount_and_record(session, actor, [year], now, reason=f"{year} confirmed: {reason}")


def _insert_year(session: Session, row: CalendarYear) -> CalendarYear:
    """Add a year's row; another administrator entering the same year at once is a conflict."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(f"{row.year} was entered by someone else at the same time") from None
    return row


def _year_record(row: CalendarYear | None) -> dict[str, Any] | None:
    if row is None:
        return None
    if row.grade == "confirmed":
        return {"year": row.year, "grade": row.grade, "reason": row.source}
    return {
        "year": row.year,
        "grade": row.grade,
        "holidays": list(row.holidays),
        "workdays": list(row.workdays),
        "source": row.source,
    }


# --- recounting open periods -------------------------------------------------------------------


def _touches(start_col: Any, end_col: Any, flag_col: Any, years: list[int] | None) -> Any:
    """Rows whose period ran on a provisional year, or overlaps one of ``years``."""
    if not years:
        return flag_col.is_(True)
    # A day's margin either side: the columns are UTC, the years local.
    first = datetime(min(years), 1, 1, tzinfo=UTC) - timedelta(days=1)
    last = datetime(max(years) + 1, 1, 1, tzinfo=UTC) + timedelta(days=1)
    return or_(flag_col.is_(True), and_(end_col >= first, start_col < last))


def recounted_end(
    cal: WorkCalendar, start: datetime, days: int, old: datetime, now: datetime
) -> tuple[datetime, bool]:
    """Return a period's end counted on ``cal`` at ``now``, and whether it is provisional.

    When the new count ends it before ``now``, the moment of the entry, people have been
    told another end: it then ends at the close of the next working day from the entry
    (today's, before the closing hour), and never later than announced; a period whose
    announced end has passed too ends at the entry.
    """
    period = cal.period(start, days)
    ends = period.ends_at
    if ends != old and ends < now:
        ends = max(now, min(old, cal.period_end(now, 1)))
    return ends, period.provisional


def recount(
    session: Session, cal: WorkCalendar, *, years: list[int] | None, now: datetime
) -> list[Recount]:
    """Count every open period that ran on a provisional year or touches ``years`` on ``cal``."""
    out: list[Recount] = []
    timers = select(Nomination).where(
        Nomination.timer_due_at.is_not(None),
        Nomination.timer_started_at.is_not(None),
        Nomination.timer_working_days.is_not(None),
        _touches(
            Nomination.timer_started_at,
            Nomination.timer_due_at,
            Nomination.timer_provisional,
            years,
        ),
    )
    for n in session.scalars(timers.order_by(Nomination.id)):
        # The query selects only the timers that have all three.
        assert (
            n.timer_started_at is not None
            and n.timer_working_days is not None
            and n.timer_due_at is not None
        )
        ends, provisional = recounted_end(
            cal, n.timer_started_at, n.timer_working_days, n.timer_due_at, now
        )
        out.append(
            Recount("timer", n.id, n.timer_due_at, ends, n.timer_provisional, provisional, n)
        )
    entries = select(NoticeEntry).where(
        NoticeEntry.closed_at.is_(None),
        NoticeEntry.ends_at.is_not(None),
        NoticeEntry.working_days.is_not(None),
        _touches(
            NoticeEntry.published_at, NoticeEntry.ends_at, NoticeEntry.ends_provisional, years
        ),
    )
    for e in session.scalars(entries.order_by(NoticeEntry.id)):
        assert e.ends_at is not None and e.working_days is not None  # as the query selects
        ends, provisional = recounted_end(cal, e.published_at, e.working_days, e.ends_at, now)
        out.append(
            Recount("notice", e.nomination_id, e.ends_at, ends, e.ends_provisional, provisional, e)
        )
    requests = select(ConsultationRequest).where(
        ConsultationRequest.status == "open",
        ConsultationRequest.working_days.is_not(None),
        _touches(
            ConsultationRequest.created_at,
            ConsultationRequest.due_at,
            ConsultationRequest.due_provisional,
            years,
        ),
    )
    for r in session.scalars(requests.order_by(ConsultationRequest.id)):
        assert r.working_days is not None  # as the query selects
        ends, provisional = recounted_end(cal, r.created_at, r.working_days, r.due_at, now)
        out.append(
            Recount(
                "consultation", r.nomination_id, r.due_at, ends, r.due_provisional, provisional, r
            )
        )
    out.extend(_recount_verifications(session, cal, years, now))
    return out


def _open_verification(n: Nomination) -> evidence.VerificationRequest | None:
    requests = evidence.verifications(n)
    last = requests[-1] if requests else None
    if not last or "answer" in last or not last.get("working_days") or not last.get("due_at"):
        return None
    return last


def _recount_verifications(
    session: Session, cal: WorkCalendar, years: list[int] | None, now: datetime
) -> list[Recount]:
    out = []
    # Only nominations waiting for a unit's answer carry an open request, under its lapse
    # timer, counted from the same moment: a provisional request has a provisional timer.
    waiting = select(Nomination).where(Nomination.timer_due_at.is_not(None))
    if not years:
        waiting = waiting.where(Nomination.timer_provisional.is_(True))
    for n in session.scalars(waiting.order_by(Nomination.id)):
        last = _open_verification(n)
        if last is None:
            continue
        start = datetime.fromisoformat(last["requested_at"])
        old = datetime.fromisoformat(last["due_at"])
        was = bool(last.get("provisional"))
        touched = was or (years and any(start.year <= y <= old.year for y in years))
        if not touched:
            continue
        ends, provisional = recounted_end(cal, start, int(last["working_days"]), old, now)
        out.append(Recount("verification", n.id, old, ends, was, provisional, n))
    return out


def _apply(recount_: Recount, now: datetime) -> None:
    row, ends, provisional = recount_.row, recount_.ends_after, recount_.provisional_after
    if recount_.period == "timer":
        row.timer_due_at, row.timer_provisional = ends, provisional
    elif recount_.period == "notice":
        row.ends_at, row.ends_provisional = ends, provisional
        row.ends_recounted_at = now
    elif recount_.period == "consultation":
        row.due_at, row.due_provisional = ends, provisional
    else:
        requests = evidence.verifications(row)
        requests[-1] = {**requests[-1], "due_at": ends.isoformat(), "provisional": provisional}
        evidence.set_verifications(row, requests)


def _recount_and_record(
    session: Session, actor: Any, years: list[int] | None, now: datetime, *, reason: str
) -> list[Recount]:
    """Recount on the calendar this transaction sees, audit and announce each change."""
    cal = store.uncached(session)
    store.use(cal)
    changed = [r for r in recount(session, cal, years=years, now=now) if r.changed]
    nominations = (
        {
            n.id: n
            for n in session.scalars(
                select(Nomination).where(Nomination.id.in_({r.nomination_id for r in changed}))
            )
        }
        if changed
        else {}
    )
    periods = {(r.nomination_id, r.period) for r in changed if r.moved}
    for r in changed:
        _apply(r, now)
        session.flush()
        nomination = nominations[r.nomination_id]
        record_event(
            session,
            actor,
            "calendar.recount",
            nomination_entity(nomination),
            before={
                "period": r.period,
                "ends_at": r.ends_before,
                "provisional": r.provisional_before,
            },
            after={"period": r.period, "ends_at": r.ends_after, "provisional": r.provisional_after},
            comment=reason,
            now=now,
        )
        # The stage timer and the notice it runs are one period to the people concerned.
        if r.moved and not (r.period == "timer" and (r.nomination_id, "notice") in periods):
            announce(session, nomination, r, cal, actor, PERIOD_LABELS[r.period])
    return changed


def recount_stale(session: Session, *, actor: Any, now: datetime | None = None) -> list[Recount]:
    """Recount provisional periods the calendar in force no longer counts the same (``tick``).

    Catches a period opened by another host while a year was being entered there.
    """
    return _recount_and_record(session, actor, None, now or utcnow(), reason="tick")


# --- reminding of a missing year ------------------------------------------------------------


def _holders(session: Session, roles: tuple[str, ...]) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(
                User.active.is_(True),
                User.id.in_(select(RoleAssignment.user_id).where(RoleAssignment.role.in_(roles))),
            )
            .order_by(User.id)
        )
    )


def remind_missing(session: Session, cal: WorkCalendar, now: datetime) -> list[int]:
    """Remind of missing years: administrators once a day, the federation once a year.

    Return the years reminded of for the first time today (``tick`` logs them).
    """
    years = missing_years(cal, now)
    if not years:
        return []
    today = cal.local(now).date().isoformat()
    message = missing_message(years)
    written = 0
    for user in _holders(session, ("admin",)):
        key = f"calendar:missing:{years[-1]}:{today}"
        written += (
            notify(
                session,
                user,
                kind="queue",
                key=key,
                message=message,
                url=f"/admin/calendar/{years[-1]}",
            )
            is not None
        )
    for user in _holders(session, ("federation_reviewer",)):
        notify(
            session,
            user,
            kind="queue",
            key=f"calendar:missing:{years[-1]}",
            message=message,
            url="/",
        )
    first_today = written > 0 or not _holders(session, ("admin",))
    return years if first_today else []
