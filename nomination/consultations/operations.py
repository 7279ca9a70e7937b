"""Department consultation (征求意见): who is consulted on whom, and the opinions they give.

Entering ``consultation`` opens one request per department the campaign's rules name for the
nominee. Any adverse opinion vetoes (一票否决); when every opinion is in and clear, the
nomination moves on to selection. Both moves are fired by the system, in the transaction of
the opinion that caused them, and audited like every other transition.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from nomination import engine, signals
from nomination.actors import SYSTEM
from nomination.audit.chain import nomination_entity, record_event
from nomination.db import rows_where, utcnow
from nomination.engine.core import stale_is_conflict
from nomination.errors import (
    Conflict,
    InvalidData,
    PermissionDenied,
    require_valid,
    require_visible,
)
from nomination.i18n import pick
from nomination.models import (
    Attachment,
    AuditEvent,
    Campaign,
    ConsultationRequest,
    Nomination,
    Organisation,
)
from nomination.nominations.operations import record_attachment
from nomination.permissions import can_answer_consultation, can_read_consultation, department_ids
from nomination.uploads import StoredFile

OPINIONS = ("clear", "adverse")
#: What a file given with an opinion is for.
OPINION_FILE_PURPOSE = "consultation_opinion"
#: The filters of a department's list: awaiting its answer, answered, everything.
LIST_FILTERS = ("open", "answered", "all")


def _matches(when: dict[str, Any], nomination: Nomination) -> bool:
    data = nomination.data or {}
    for key, wanted in when.items():
        values = wanted if isinstance(wanted, list) else [wanted]
        actual = nomination.kind if key == "kind" else data.get(key)
        if actual not in values:
            return False
    return True


def department_codes(campaign: Campaign, nomination: Nomination) -> list[str]:
    """Return the codes of the departments the campaign's rules name for ``nomination``.

    In the order the rules first name them, each once.
    """
    codes: list[str] = []
    for rule in campaign.consultation_rules or []:
        if _matches(rule.get("when") or {}, nomination):
            codes.extend(c for c in rule.get("departments", []) if c not in codes)
    return codes


def check_rules(session: Session, federation: Organisation, rules: Any) -> list[str]:
    """Return what is wrong with consultation ``rules`` for ``federation`` (empty: fine)."""
    if not isinstance(rules, list):
        return [pick({"zh": "规则应为列表", "en": "The rules must be a list"})]
    problems = []
    known = set(
        session.scalars(
            select(Organisation.code).where(
                Organisation.kind == "department", Organisation.parent_id == federation.id
            )
        )
    )
    for i, rule in enumerate(rules, 1):
        if not isinstance(rule, dict) or not isinstance(rule.get("departments"), list):
            problems.append(
                pick(
                    {"zh": f"第 {i} 条规则缺少部门", "en": f"Rule {i} needs a list of departments"}
                )
            )
            continue
        if not isinstance(rule.get("when", {}), dict):
            problems.append(
                pick(
                    {
                        "zh": f"第 {i} 条规则的条件格式错误",
                        "en": f"Rule {i}: 'when' must be an object",
                    }
                )
            )
        for code in rule["departments"]:
            if code not in known:
                problems.append(
                    pick(
                        {
                            "zh": f"第 {i} 条规则:{code} 不是本总工会的征求意见部门",
                            "en": f"Rule {i}: {code} is not a department of this federation",
                        }
                    )
                )
    return problems


def open_requests(
    session: Session,
    nomination: Nomination,
    *,
    now: datetime,
    due_at: datetime,
    working_days: int | None = None,
    provisional: bool = False,
) -> list[ConsultationRequest]:
    """Create the opinion requests for ``nomination`` entering consultation.

    ``working_days`` and ``provisional`` say how ``due_at`` was counted, so that it can be
    counted again when a year of the calendar becomes official.
    """
    codes = department_codes(nomination.campaign, nomination)
    departments = {
        d.code: d
        for d in session.scalars(
            select(Organisation).where(
                Organisation.code.in_(codes),
                Organisation.kind == "department",
                Organisation.parent_id == nomination.campaign.federation_id,
            )
        )
    }
    missing = [c for c in codes if c not in departments]
    if missing:
        # A rule naming a department that does not exist would otherwise skip a veto holder.
        raise InvalidData(
            "the campaign's consultation rules name unknown departments: " + ", ".join(missing),
            fields={"consultation_rules": [", ".join(missing)]},
        )
    requests = [
        ConsultationRequest(
            nomination=nomination,
            department=departments[code],
            status="open",
            due_at=due_at,
            working_days=working_days,
            due_provisional=provisional,
            created_at=now,
        )
        for code in codes
    ]
    session.add_all(requests)
    session.flush()
    return requests


def requests_of(session: Session, nomination: Nomination) -> list[ConsultationRequest]:
    """Return the requests of ``nomination``'s current (or last) consultation."""
    return rows_where(session, ConsultationRequest.nomination_id, nomination.id)


def close_open(session: Session, nomination: Nomination) -> int:
    """Mark the requests still open as no longer needed; return how many."""
    closed = 0
    for request in requests_of(session, nomination):
        if request.status == "open":
            request.status = "closed"
            closed += 1
    return closed


def give_opinion(
    session: Session,
    request: ConsultationRequest,
    actor: Any,
    *,
    opinion: str,
    reason: str | None = None,
    version: int | None = None,
    attachment: StoredFile | None = None,
    now: datetime | None = None,
) -> ConsultationRequest:
    """Record a department's opinion; a veto or the last clear opinion moves the nomination.

    ``attachment`` is a checked, stored file given with the opinion. Refused when the actor
    does not answer for that department (403), the request is no longer open or ``version``
    is stale (409), or the opinion is invalid (422).
    """
    now = now or utcnow()
    if not can_answer_consultation(actor, request):
        raise PermissionDenied("this request is not addressed to your department")
    _lock(session, request)
    if version is not None and version != request.version:
        raise Conflict(
            "the request was answered by someone else; reload it", version=request.version
        )
    if request.status != "open" or request.nomination.state != "consultation":
        raise Conflict("this request is no longer open", version=request.version)
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip() or None
    if opinion not in OPINIONS:
        errors["opinion"] = ["one of clear, adverse"]
    if opinion == "adverse" and not reason:
        errors["reason"] = ["an adverse opinion needs its reason"]
    if reason and len(reason) > 1000:
        errors["reason"] = ["at most 1000 characters"]
    require_valid(errors)

    request.status = opinion
    request.reason = reason
    request.answered_by_id = actor.id
    request.answered_at = now
    with stale_is_conflict():
        session.flush()
    nomination = request.nomination
    record_event(
        session,
        actor,
        "consultation.opinion",
        nomination_entity(nomination),
        role="department",
        before={"request": request.id, "status": "open"},
        after={
            "request": request.id,
            "department": request.department.code,
            "status": opinion,
            "version": request.version,
        },
        comment=reason,
        now=now,
    )
    if attachment is not None:
        _attach_opinion_file(session, request, attachment, actor, now)
    signals.consultation_answered.send(request, actor=actor)
    follow_up(session, nomination, now=now)
    return request


def _lock(session: Session, request: ConsultationRequest) -> None:
    """Lock the request's nomination and read it and all its requests afresh.

    Two departments answering the last two requests at once would otherwise each see the
    other's still open, and neither would move the nomination on; two people of one department
    answering at once would both see it open. Locking the nomination before writing anything
    also takes the locks in the order transitions take them (nomination, then requests).
    """
    session.execute(
        select(Nomination)
        .where(Nomination.id == request.nomination_id)
        .with_for_update(of=Nomination)
        .execution_options(populate_existing=True)
    )
    session.scalars(
        select(ConsultationRequest)
        .where(ConsultationRequest.nomination_id == request.nomination_id)
        .execution_options(populate_existing=True)
    ).all()


def _attach_opinion_file(
    session: Session,
    request: ConsultationRequest,
    stored: StoredFile,
    actor: Any,
    now: datetime,
) -> Attachment:
    """Record a stored file as given with ``request``'s opinion, and audit it with its hash."""
    # Imported here: operations imports this module (a campaign checks its rules).
    return record_attachment(
        session,
        request.nomination,
        stored,
        OPINION_FILE_PURPOSE,
        actor=actor,
        role="department",
        consultation_request=request,
        now=now,
    )


def follow_up(
    session: Session, nomination: Nomination, *, now: datetime | None = None
) -> str | None:
    """Veto or clear ``nomination`` when its opinions decide it; return the trigger fired."""
    if nomination.state != "consultation":
        return None
    requests = [r for r in requests_of(session, nomination) if r.status != "closed"]
    adverse = [r for r in requests if r.status == "adverse"]
    if adverse:
        first = adverse[0]
        reason = f"{first.department.name}:{first.reason}"
        engine.fire(nomination, "veto", SYSTEM, data={"reason": reason[:1000]}, now=now)
        return "veto"
    if requests and all(r.status == "clear" for r in requests):
        names = "、".join(r.department.name for r in requests)
        comment = f"{names}均无异议"
        engine.fire(
            nomination, "consultation_clear", SYSTEM, data={"comment": comment[:1000]}, now=now
        )
        return "consultation_clear"
    return None


# --- reading: a department's requests, and who sees what ----------------------------------------


def load_request(session: Session, request_id: int, user: Any) -> ConsultationRequest:
    """Return the request if it is addressed to a department ``user`` answers for.

    Another department's request is answered like a missing one (404), so that nobody learns
    which nominations are consulted on elsewhere.
    """
    request = session.get(ConsultationRequest, request_id)
    return require_visible(request, user, can_answer_consultation, "consultation request")


def _filtered(query: Any, status: str) -> Any:
    if status == "open":
        return query.where(ConsultationRequest.status == "open")
    if status == "answered":
        return query.where(ConsultationRequest.status.in_(OPINIONS))
    return query


def department_requests(
    session: Session, user: Any, *, status: str = "open"
) -> list[ConsultationRequest]:
    """Return the requests addressed to ``user``'s departments, open ones first.

    Open requests by deadline, the nearest first; then the others, the latest answered first.
    ``status`` is one of LIST_FILTERS.
    """
    if status not in LIST_FILTERS:
        raise InvalidData(
            "unknown status filter", fields={"status": ["one of " + ", ".join(LIST_FILTERS)]}
        )
    departments = department_ids(user)
    if not departments:
        return []
    is_open = ConsultationRequest.status == "open"
    query = _filtered(
        select(ConsultationRequest).where(ConsultationRequest.department_id.in_(departments)),
        status,
    ).order_by(
        case((is_open, 0), else_=1),
        case((is_open, ConsultationRequest.due_at)),
        ConsultationRequest.answered_at.desc().nulls_last(),
        ConsultationRequest.id.desc(),
    )
    return list(session.scalars(query))


def department_counts(session: Session, user: Any, *, now: datetime) -> dict[str, int]:
    """Return how many of ``user``'s requests are open, overdue, answered, and in all."""
    counts = {"open": 0, "overdue": 0, "answered": 0, "all": 0}
    departments = department_ids(user)
    if not departments:
        return counts
    mine = ConsultationRequest.department_id.in_(departments)
    by_status = session.execute(
        select(ConsultationRequest.status, func.count())
        .where(mine)
        .group_by(ConsultationRequest.status)
    ).all()
    for status, count in by_status:
        counts["all"] += count
        if status == "open":
            counts["open"] = count
        elif status in OPINIONS:
            counts["answered"] += count
    counts["overdue"] = (
        session.scalar(select(func.count()).where(mine, ConsultationRequest.overdue_at(now))) or 0
    )
    return counts


def opinion_files(session: Session, request: ConsultationRequest) -> list[Attachment]:
    """Return the files given with ``request``'s opinion."""
    return rows_where(session, Attachment.consultation_request_id, request.id)


def consult_data(request: ConsultationRequest) -> list[tuple[Any, Any]]:
    """Return (field definition, stored value) for each field a department is shown."""
    data = request.nomination.data or {}
    form = engine.workflow_for(request.nomination).nominee_form
    return [(f, data.get(f.name)) for f in form.consult_fields()]


def _about_an_opinion(event: AuditEvent) -> bool:
    if event.action == "consultation.opinion":
        return True
    return event.action == "attachment.add" and (event.after or {}).get("purpose") == (
        OPINION_FILE_PURPOSE
    )


def visible_events(
    user: Any, nomination: Nomination, events: Iterable[AuditEvent]
) -> list[AuditEvent]:
    """Return those of a nomination's ``events`` that ``user`` may read.

    Only the consultation's readers see each department's opinion and the files given with
    it; for everyone else the opinions stay out of the timeline, and a veto shows through the
    transition that records its reason.
    """
    if can_read_consultation(user, nomination):
        return list(events)
    return [e for e in events if not _about_an_opinion(e)]
