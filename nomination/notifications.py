"""Notifications: who hears of what, reminders of deadlines, and the e-mail sent for them.

Listeners on the operations' signals write a ``Notification`` per recipient in the
operation's own transaction, so a rolled-back action notifies nobody. ``sweep`` (run by
``nomination tick``) writes the reminders of deadlines; ``send_pending`` mails what is waiting.
Each row's ``key`` names the event, so a reminder goes out once whatever runs twice.

Messages say only what the recipient may already read on the linked page: the nominee's name
to those who may read the nomination, nothing personal to departments and judges.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from email.errors import MessageError
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import TYPE_CHECKING, Any, cast

from flask import current_app, has_app_context
from sqlalchemy import CursorResult, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, object_session
from werkzeug.routing import BuildError

from nomination import engine, signals
from nomination.audit.chain import Entity, record_event
from nomination.db import utcnow
from nomination.errors import NotFound
from nomination.models import (
    ConsultationRequest,
    Nomination,
    Notification,
    Organisation,
    RoleAssignment,
    User,
)
from nomination.models.users import MAIL_DELIVERIES
from nomination.permissions import can_view_nomination

if TYPE_CHECKING:
    from nomination.calendar.workdays import WorkCalendar

_log = logging.getLogger(__name__)

#: A deadline this many working days away (or fewer) is "due soon".
DUE_SOON_WORKING_DAYS = 2
#: Deadlines further than this many calendar days are not looked at by the sweep: two working
#: days never span more, even across the Spring Festival holiday and its weekends.
_SWEEP_HORIZON = timedelta(days=20)
#: Roles that are not people: nobody is notified for them.
_NOT_PEOPLE = ("public", "system")
#: Where the mail says it comes from.
_SIGNATURE = (
    "——\n"
    "劳模评选推荐系统自动发送,请勿直接回复。\n"
    "Sent automatically by the labour honours nomination system; please do not reply."
)


# --- writing notifications -------------------------------------------------------------------


def _mail_enabled() -> bool:
    return bool(has_app_context() and current_app.config.get("MAIL_ENABLED"))


def notify(
    session: Session,
    user: User,
    *,
    kind: str,
    key: str,
    message: dict[str, str],
    url: str,
) -> Notification | None:
    """Add a notification for ``user`` unless one with ``key`` exists; return it (or None)."""
    exists = session.scalar(
        select(Notification.id).where(Notification.user_id == user.id, Notification.key == key)
    )
    if exists is not None:
        return None
    row = Notification(
        user_id=user.id,
        kind=kind,
        key=key,
        message=message,
        url=url,
        email_status="pending" if _mail_enabled() and user.email else "none",
    )
    try:
        # A savepoint: should a concurrent transaction have written the same key since the
        # check, only this row is dropped and the caller's transaction goes on.
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row


def _path(endpoint: str, fallback: str, **values: Any) -> str:
    """Return the application path of ``endpoint`` (without any mount prefix), else ``fallback``.

    Built through the URL map, which needs no request, so the timers of ``nomination tick``
    write the same links as requests do.
    """
    if has_app_context():
        try:
            return current_app.url_map.bind("").build(endpoint, values)
        except BuildError:
            pass
    return fallback


def nomination_path(nomination: Nomination) -> str:
    """Return the path of a nomination's page."""
    return _path("nominations.view", f"/nominations/{nomination.id}", nomination_id=nomination.id)


def consultation_path(request: ConsultationRequest) -> str:
    """Return the path of a department's page for one opinion request."""
    return _path("consultations.answer", f"/consultations/{request.id}", request_id=request.id)


def selection_round_path(round_: Any) -> str:
    """Return the path of a selection round's page."""
    return _path("selection.view", f"/selection-rounds/{round_.id}", round_id=round_.id)


# --- who ---------------------------------------------------------------------------------------


def _ancestor_paths(path: str) -> list[str]:
    """Return the paths of an organisation and of each one above it ("/1/", "/1/4/", …)."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def users_with_role_over(session: Session, roles: Iterable[str], org: Organisation) -> list[User]:
    """Return the active users holding one of ``roles`` at ``org`` or above it.

    The query form of ``permissions.has_role_over``: a role covers the subtree of its
    organisation, and a department's role covers its federation's.
    """
    roles = [r for r in roles if r not in _NOT_PEOPLE]
    if not roles:
        return []
    above = _ancestor_paths(org.path)
    parent = aliased(Organisation)
    holders = (
        select(RoleAssignment.user_id)
        .join(Organisation, RoleAssignment.organisation_id == Organisation.id)
        .outerjoin(parent, Organisation.parent_id == parent.id)
        .where(
            RoleAssignment.role.in_(roles),
            or_(
                and_(Organisation.kind != "department", Organisation.path.in_(above)),
                and_(Organisation.kind == "department", parent.path.in_(above)),
            ),
        )
    )
    return list(
        session.scalars(select(User).where(User.id.in_(holders), User.active).order_by(User.id))
    )


def department_users(session: Session, department_id: int) -> list[User]:
    """Return the active users who answer for a department (``can_answer_consultation``)."""
    holders = select(RoleAssignment.user_id).where(
        RoleAssignment.role == "department", RoleAssignment.organisation_id == department_id
    )
    return list(
        session.scalars(select(User).where(User.id.in_(holders), User.active).order_by(User.id))
    )


def acting_users(session: Session, nomination: Nomination) -> list[User]:
    """Return the people who may fire a transition from the nomination's current state."""
    wf = engine.workflow_for(nomination)
    roles = {r for t in wf.transitions_from(nomination.state) for r in t.roles}
    return users_with_role_over(session, roles, nomination.unit)


def submitters(session: Session, nomination: Nomination) -> list[User]:
    """Return the nominating unit's submitters."""
    return users_with_role_over(session, ["unit_submitter"], nomination.unit)


# --- messages ----------------------------------------------------------------------------------


def _named(user: User, nomination: Nomination) -> tuple[str, str]:
    """Return how to name a nomination to ``user`` (zh, en).

    With the nominee's name only if the user may read the nomination, where it is shown anyway.
    """
    name = nomination.nominee_name
    if name and can_view_nomination(user, nomination):
        return f"推荐 #{nomination.id}({name})", f"nomination #{nomination.id} ({name})"
    return f"推荐 #{nomination.id}", f"nomination #{nomination.id}"


def _queue_message(user: User, nomination: Nomination, label: dict[str, str]) -> dict[str, str]:
    zh, en = _named(user, nomination)
    return {
        "zh": f"待办:{zh}进入「{label.get('zh', '')}」",
        "en": f"To do: {en} is at “{label.get('en') or label.get('zh', '')}”",
    }


def _returned_message(user: User, nomination: Nomination) -> dict[str, str]:
    zh, en = _named(user, nomination)
    return {"zh": f"{zh}已退回修改", "en": f"{en[0].upper()}{en[1:]} was returned for revision"}


def _result_message(user: User, nomination: Nomination, label: dict[str, str]) -> dict[str, str]:
    zh, en = _named(user, nomination)
    return {
        "zh": f"{zh}:{label.get('zh', '')}",
        "en": f"{en[0].upper()}{en[1:]}: {label.get('en') or label.get('zh', '')}",
    }


def _local_day(cal: WorkCalendar, moment: datetime) -> str:
    return cal.local(moment).date().isoformat()


# --- listeners ---------------------------------------------------------------------------------


def _tell(
    session: Session,
    users: Iterable[User],
    *,
    kind: str,
    key: str,
    url: str,
    message: dict[str, str] | Callable[[User], dict[str, str]],
    skip: Any = None,
) -> int:
    """Notify each of ``users`` but ``skip`` (the actor); return how many were new."""
    skip_id = getattr(skip, "id", None)
    written = 0
    for user in users:
        if skip_id is not None and user.id == skip_id:
            continue
        text = message(user) if callable(message) else message
        row = notify(session, user, kind=kind, key=key, message=text, url=url)
        written += row is not None
    return written


def on_nomination_transitioned(nomination: Nomination, *, actor: Any = None, **_: Any) -> None:
    """Tell those who must act now, the unit when returned, and the unit of an outcome."""
    session = object_session(nomination)
    if session is None:
        return
    wf = engine.workflow_for(nomination)
    state = wf.state(nomination.state)
    url = nomination_path(nomination)
    # The version moves with every transition: entering a state again notifies again.
    step = f"{nomination.id}:{nomination.state}:{nomination.version}"

    if state.name in wf.states_tagged("returned"):
        _tell(
            session,
            submitters(session, nomination),
            kind="returned",
            key=f"returned:nomination:{step}",
            url=url,
            message=lambda user: _returned_message(user, nomination),
            skip=actor,
        )
    else:
        _tell(
            session,
            acting_users(session, nomination),
            kind="queue",
            key=f"queue:nomination:{step}",
            url=url,
            message=lambda user: _queue_message(user, nomination, state.label),
            skip=actor,
        )
    if state.terminal or "notice" in state.tags:
        _tell(
            session,
            submitters(session, nomination),
            kind="result",
            key=f"result:nomination:{step}",
            url=url,
            message=lambda user: _result_message(user, nomination, state.label),
            skip=actor,
        )
    if nomination.state == "consultation":
        requests = session.scalars(
            select(ConsultationRequest)
            .where(
                ConsultationRequest.nomination_id == nomination.id,
                ConsultationRequest.status == "open",
            )
            .order_by(ConsultationRequest.id)
        )
        for request in requests:
            _tell(
                session,
                department_users(session, request.department_id),
                kind="queue",
                key=f"queue:consultation:{request.id}",
                url=consultation_path(request),
                message={
                    "zh": f"新的征求意见请求 #{request.id}",
                    "en": f"New consultation request #{request.id}",
                },
            )


def _members(round_: Any) -> list[User]:
    return [m.user for m in round_.members if m.user.active]


def on_selection_round_opened(round_: Any, *, actor: Any = None, **_: Any) -> None:
    """Ask each judge sitting in the round to vote."""
    session = object_session(round_)
    if session is None:
        return
    _tell(
        session,
        _members(round_),
        kind="queue",
        key=f"queue:selection_round:{round_.id}",
        url=selection_round_path(round_),
        message={
            "zh": f"评审轮次 #{round_.id} 已开始投票",
            "en": f"Selection round #{round_.id} is open for voting",
        },
        skip=actor,
    )


def on_selection_round_closed(round_: Any, *, actor: Any = None, **_: Any) -> None:
    """Tell the round's members it closed; a tie awaiting the chair is the chair's to do."""
    session = object_session(round_)
    if session is None:
        return
    members = _members(round_)
    url = selection_round_path(round_)
    if round_.status != "awaiting_chair":
        _tell(
            session,
            members,
            kind="result",
            key=f"result:selection_round:{round_.id}:{round_.status}",
            url=url,
            message={
                "zh": f"评审轮次 #{round_.id} 已结束",
                "en": f"Selection round #{round_.id} has closed",
            },
            skip=actor,
        )
        return
    chair = [u for u in members if u.id == round_.chair_id]
    _tell(
        session,
        chair,
        kind="queue",
        key=f"queue:selection_round:{round_.id}:awaiting_chair",
        url=url,
        message={
            "zh": f"评审轮次 #{round_.id} 出现同票,请主任委员决定",
            "en": f"Selection round #{round_.id} has a tie for the chair to decide",
        },
        skip=actor,
    )
    _tell(
        session,
        [u for u in members if u.id != round_.chair_id],
        kind="result",
        key=f"result:selection_round:{round_.id}:awaiting_chair",
        url=url,
        message={
            "zh": f"评审轮次 #{round_.id} 投票已结束,待主任委员决定同票",
            "en": f"Voting in selection round #{round_.id} has ended; the chair decides a tie",
        },
        skip=actor,
    )


_CONNECTED = False


def connect() -> None:
    """Connect the listeners to the operations' signals (once per process)."""
    global _CONNECTED
    if _CONNECTED:
        return
    # Strong references: these module functions live as long as the process anyway.
    signals.nomination_transitioned.connect(on_nomination_transitioned, weak=False)
    signals.selection_round_opened.connect(on_selection_round_opened, weak=False)
    signals.selection_round_closed.connect(on_selection_round_closed, weak=False)
    _CONNECTED = True


# --- reminders ---------------------------------------------------------------------------------


def _due_soon(cal: WorkCalendar, now: datetime, due_at: datetime) -> bool:
    return 0 < cal.remaining_working_days(now, due_at) <= DUE_SOON_WORKING_DAYS


def _sweep_nominations(session: Session, cal: WorkCalendar, now: datetime) -> int:
    """Remind those who must act of nominations whose timer runs out within 2 working days."""
    written = 0
    nominations = session.scalars(
        select(Nomination)
        .where(Nomination.timer_due_at > now, Nomination.timer_due_at <= now + _SWEEP_HORIZON)
        .order_by(Nomination.id)
    )
    for nomination in nominations:
        due_at = nomination.timer_due_at
        if due_at is None or not _due_soon(cal, now, due_at):
            continue
        # The states in which the nominating unit must act before a timer lapses it.
        if engine.workflow_for(nomination).tagged(nomination.state, "unit_acts"):
            recipients = submitters(session, nomination)
        else:
            recipients = acting_users(session, nomination)
        day = _local_day(cal, due_at)

        def message(user: User, nomination: Nomination = nomination, day: str = day) -> dict:
            zh, en = _named(user, nomination)
            return {"zh": f"{zh}的办理期限将于 {day} 届满", "en": f"The deadline of {en} is {day}"}

        # Keyed by the deadline: a new deadline (the state entered again) reminds again.
        stamp = int(due_at.timestamp())
        written += _tell(
            session,
            recipients,
            kind="due_soon",
            key=f"due_soon:nomination:{nomination.id}:{nomination.state}:{stamp}",
            url=nomination_path(nomination),
            message=message,
        )
    return written


def _sweep_consultations(session: Session, cal: WorkCalendar, now: datetime) -> int:
    """Remind departments of opinions due within 2 working days; tell of those overdue."""
    written = 0
    requests = session.scalars(
        select(ConsultationRequest)
        .where(
            ConsultationRequest.status == "open",
            ConsultationRequest.due_at <= now + _SWEEP_HORIZON,
        )
        .order_by(ConsultationRequest.id)
    )
    for request in requests:
        department = department_users(session, request.department_id)
        if request.overdue(now):
            key = f"overdue:consultation:{request.id}"
            message = {
                "zh": f"征求意见请求 #{request.id} 已逾期",
                "en": f"Consultation request #{request.id} is overdue",
            }
            written += _tell(
                session,
                department,
                kind="overdue",
                key=key,
                url=consultation_path(request),
                message=message,
            )
            # The federation chases the department; its page for that is the nomination's.
            nomination, dept = request.nomination, request.department
            written += _tell(
                session,
                users_with_role_over(session, ["federation_reviewer"], nomination.unit),
                kind="overdue",
                key=key,
                url=nomination_path(nomination),
                message={
                    "zh": f"{message['zh']}({dept.name},推荐 #{nomination.id})",
                    "en": f"{message['en']} ({dept.name_en or dept.name},"
                    f" nomination #{nomination.id})",
                },
            )
        elif _due_soon(cal, now, request.due_at):
            day = _local_day(cal, request.due_at)
            written += _tell(
                session,
                department,
                kind="due_soon",
                key=f"due_soon:consultation:{request.id}",
                url=consultation_path(request),
                message={
                    "zh": f"征求意见请求 #{request.id} 将于 {day} 到期",
                    "en": f"Consultation request #{request.id} is due on {day}",
                },
            )
    return written


def sweep(session: Session, now: datetime | None = None) -> int:
    """Write reminders of deadlines in 2 working days and of overdue opinions; return how many.

    Each goes once: running it again writes nothing new.
    """
    now = now or utcnow()
    cal = engine.calendar()
    return _sweep_nominations(session, cal, now) + _sweep_consultations(session, cal, now)


# --- reading and marking -----------------------------------------------------------------------


def notifications_of(user: User, *, unread_only: bool = False) -> Any:
    """Return a query of ``user``'s notifications, newest first."""
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query.order_by(Notification.created_at.desc(), Notification.id.desc())


def unread_count(session: Session, user: User) -> int:
    """Return how many of ``user``'s notifications are unread."""
    count = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )
    return int(count or 0)


def load_notification(session: Session, notification_id: int, user: User) -> Notification:
    """Return ``user``'s notification; another's answers 404 like a missing one."""
    row = session.get(Notification, notification_id)
    if row is None or row.user_id != user.id:
        raise NotFound("no such notification")
    return row


def mark_read(notification: Notification, now: datetime | None = None) -> Notification:
    """Mark a notification read (once: the first reading time is kept)."""
    if notification.read_at is None:
        notification.read_at = now or utcnow()
    return notification


def mark_all_read(session: Session, user: User, now: datetime | None = None) -> int:
    """Mark all of ``user``'s notifications read; return how many were unread."""
    # An UPDATE's result is a CursorResult, which counts the rows.
    result = cast(
        "CursorResult[Any]",
        session.execute(
            update(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .values(read_at=now or utcnow())
            .execution_options(synchronize_session="fetch")
        ),
    )
    return result.rowcount


def is_internal_path(url: str) -> bool:
    """Return whether ``url`` is a path inside the application (never another site)."""
    # "//host" and "/\host" are other sites to a browser; control characters have no place.
    return (
        url.startswith("/")
        and not url.startswith(("//", "/\\"))
        and not any(c == "\\" or ord(c) < 32 for c in url)
    )


# --- mail --------------------------------------------------------------------------------------


def _error_text(exc: BaseException) -> str:
    """Describe a mail failure without anything personal (servers echo addresses back)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__}: SMTP {exc.smtp_code}"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}"[:300]
    return type(exc).__name__


def _connect(config: Mapping[str, Any]) -> smtplib.SMTP:
    host = config.get("MAIL_SERVER") or "localhost"
    port = int(config.get("MAIL_PORT") or 0)
    timeout = float(config.get("MAIL_TIMEOUT") or 30)
    if config.get("MAIL_USE_SSL"):
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def compose(notification: Notification, config: Mapping[str, Any]) -> EmailMessage:
    """Return the mail for a notification: Chinese, the English line under it, and the link."""
    message = notification.message or {}
    zh = message.get("zh") or message.get("en") or ""
    en = message.get("en") or ""
    base = str(config.get("BASE_URL") or "").rstrip("/")
    mail = EmailMessage()
    mail["Subject"] = f"【劳模评选推荐】{zh}"
    mail["From"] = config.get("MAIL_FROM") or "noreply@localhost"
    mail["To"] = notification.user.email
    mail["Date"] = formatdate(usegmt=True)
    domain = parseaddr(str(mail["From"]))[1].rpartition("@")[2]
    mail["Message-ID"] = make_msgid(domain=domain or None)
    lines = [zh, en, "", f"{base}{notification.url}", "", _SIGNATURE]
    mail.set_content("\n".join(lines) + "\n")
    return mail


def _failed(row: Notification, error: str) -> None:
    row.email_status = "failed"
    row.email_error = error[:300]
    # The notification's id and the error's kind only: no address, no message text.
    _log.warning("mail for notification %s not sent: %s", row.id, error)


def send_pending(
    session: Session, app_config: Mapping[str, Any], *, limit: int = 500
) -> tuple[int, int]:
    """Send the mails waiting (at most ``limit``); return (sent, failed).

    Never raises for a mail server that refuses or cannot be reached: those mails are marked
    failed, with the error.
    """
    if not app_config.get("MAIL_ENABLED"):
        return 0, 0
    # Rows another tick is sending right now are skipped (PostgreSQL), never sent twice.
    rows = list(
        session.scalars(
            select(Notification)
            .join(User, Notification.user_id == User.id)
            # Those who chose a daily digest get theirs from send_digests.
            .where(Notification.email_status == "pending", User.mail_delivery != "daily")
            .order_by(Notification.id)
            .limit(limit)
            .with_for_update(of=Notification, skip_locked=True)
        )
    )
    if not rows:
        return 0, 0
    try:
        smtp = _connect(app_config)
    except (OSError, smtplib.SMTPException) as exc:
        error = _error_text(exc)
        for row in rows:
            _failed(row, error)
        session.flush()
        return 0, len(rows)
    sent = failed = 0
    try:
        for row in rows:
            if not row.user.email:
                _failed(row, "no e-mail address")
                failed += 1
                continue
            try:
                smtp.send_message(compose(row, app_config))
            # ValueError and MessageError: an address no mail header can carry.
            except (OSError, smtplib.SMTPException, ValueError, MessageError) as exc:
                _failed(row, _error_text(exc))
                failed += 1
                continue
            row.email_status = "sent"
            row.emailed_at = utcnow()
            row.email_error = None
            sent += 1
    finally:
        _quit(smtp)
    session.flush()
    return sent, failed


def _quit(smtp: smtplib.SMTP) -> None:
    """End the SMTP session politely, or just close it when the server is gone."""
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


# --- the daily digest ---------------------------------------------------------------------------


def set_mail_delivery(user: User, delivery: str, *, actor: Any) -> bool:
    """Set how ``user`` gets mail (``MAIL_DELIVERIES``); return whether it changed (audited)."""
    if delivery not in MAIL_DELIVERIES:
        raise ValueError(f"unknown mail delivery {delivery!r}")
    before = user.mail_delivery
    if before == delivery:
        return False
    session = object_session(user)
    assert session is not None
    user.mail_delivery = delivery
    record_event(
        session,
        actor,
        "user.mail_delivery_changed",
        Entity("user", user.id),
        before={"mail_delivery": before},
        after={"mail_delivery": delivery},
    )
    return True


def compose_digest(
    user: User, rows: list[Notification], config: Mapping[str, Any], day: str
) -> EmailMessage:
    """Return one mail listing ``rows`` (oldest first), each line with its link."""
    base = str(config.get("BASE_URL") or "").rstrip("/")
    mail = EmailMessage()
    mail["Subject"] = f"【劳模评选推荐】{day} 通知摘要({len(rows)} 条)"
    mail["From"] = config.get("MAIL_FROM") or "noreply@localhost"
    mail["To"] = user.email
    mail["Date"] = formatdate(usegmt=True)
    domain = parseaddr(str(mail["From"]))[1].rpartition("@")[2]
    mail["Message-ID"] = make_msgid(domain=domain or None)
    lines = [
        f"您有 {len(rows)} 条新通知:",
        f"{len(rows)} new notification(s) for you:",
        "",
    ]
    for number, row in enumerate(rows, 1):
        message = row.message or {}
        zh = message.get("zh") or message.get("en") or ""
        en = message.get("en") or ""
        lines += [f"{number}. {zh}", f"   {en}", f"   {base}{row.url}", ""]
    lines.append(_SIGNATURE)
    mail.set_content("\n".join(lines) + "\n")
    return mail


def send_digests(
    session: Session, app_config: Mapping[str, Any], now: datetime | None = None
) -> tuple[int, int]:
    """Send each daily-digest user one mail of what waits, once a local day; return (sent, failed).

    A user's notifications wait (pending) until the first tick of a local day later than that
    of their last digest; like ``send_pending`` it never raises for a refusing mail server.
    """
    if not app_config.get("MAIL_ENABLED"):
        return 0, 0
    now = now or utcnow()
    cal = engine.calendar()
    today = _local_day(cal, now)
    rows = list(
        session.scalars(
            select(Notification)
            .join(User, Notification.user_id == User.id)
            .where(Notification.email_status == "pending", User.mail_delivery == "daily")
            .order_by(Notification.user_id, Notification.id)
            .with_for_update(of=Notification, skip_locked=True)
        )
    )
    waiting: dict[int, list[Notification]] = {}
    for row in rows:
        last = row.user.digest_sent_at
        if last is None or _local_day(cal, last) < today:
            waiting.setdefault(row.user_id, []).append(row)
    if not waiting:
        return 0, 0
    try:
        smtp = _connect(app_config)
    except (OSError, smtplib.SMTPException) as exc:
        error = _error_text(exc)
        for batch in waiting.values():
            for row in batch:
                _failed(row, error)
        session.flush()
        return 0, len(waiting)
    sent = failed = 0
    try:
        for batch in waiting.values():
            user = batch[0].user
            try:
                if not user.email:
                    raise LookupError("no e-mail address")
                smtp.send_message(compose_digest(user, batch, app_config, today))
            # ValueError and MessageError: an address no mail header can carry.
            except LookupError as exc:
                error = str(exc)
            except (OSError, smtplib.SMTPException, ValueError, MessageError) as exc:
                error = _error_text(exc)
            else:
                for row in batch:
                    row.email_status = "sent"
                    row.emailed_at = now
                    row.email_error = None
                user.digest_sent_at = now
                sent += 1
                continue
            for row in batch:
                _failed(row, error)
            failed += 1
    finally:
        _quit(smtp)
    session.flush()
    return sent, failed
