"""Department consultation (征求意见): who is consulted on whom, and the opinions they give.

Entering ``consultation`` opens one request per department the campaign's rules name for the
nominee. Any adverse opinion vetoes (一票否决); when every opinion is in and clear, the
nomination moves on to selection. Both moves are fired by the system, in the transaction of
the opinion that caused them, and audited like every other transition.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nomination import engine, signals
from nomination.actors import SYSTEM
from nomination.audit import append_event
from nomination.db import utcnow
from nomination.engine.core import stale_is_conflict
from nomination.errors import Conflict, InvalidData, PermissionDenied
from nomination.models import Campaign, ConsultationRequest, Nomination, Organisation
from nomination.permissions import can_answer_consultation

OPINIONS = ("clear", "adverse")


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
        return ["the rules must be a list"]
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
            problems.append(f"rule {i}: needs a list of departments")
            continue
        if not isinstance(rule.get("when", {}), dict):
            problems.append(f"rule {i}: 'when' must be an object")
        for code in rule["departments"]:
            if code not in known:
                problems.append(f"rule {i}: {code} is not a department of this federation")
    return problems


def open_requests(
    session: Session, nomination: Nomination, *, now: datetime, due_at: datetime
) -> list[ConsultationRequest]:
    """Create the opinion requests for ``nomination`` entering consultation."""
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
            created_at=now,
        )
        for code in codes
    ]
    session.add_all(requests)
    session.flush()
    return requests


def requests_of(session: Session, nomination: Nomination) -> list[ConsultationRequest]:
    """Return the requests of ``nomination``'s current (or last) consultation."""
    return list(
        session.scalars(
            select(ConsultationRequest)
            .where(ConsultationRequest.nomination_id == nomination.id)
            .order_by(ConsultationRequest.id)
        )
    )


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
    now: datetime | None = None,
) -> ConsultationRequest:
    """Record a department's opinion; a veto or the last clear opinion moves the nomination.

    Refused when the actor does not answer for that department (403), the request is no
    longer open or ``version`` is stale (409), or the opinion is invalid (422).
    """
    now = now or utcnow()
    if not can_answer_consultation(actor, request):
        raise PermissionDenied("this request is not addressed to your department")
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
    if errors:
        raise InvalidData("some fields are invalid", fields=errors)

    request.status = opinion
    request.reason = reason
    request.answered_by_id = actor.id
    request.answered_at = now
    with stale_is_conflict():
        session.flush()
    nomination = request.nomination
    append_event(
        session,
        action="consultation.opinion",
        actor_id=actor.id,
        actor_name=actor.name,
        role="department",
        organisation_id=nomination.unit_id,
        campaign_id=nomination.campaign_id,
        entity_type="nomination",
        entity_id=nomination.id,
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
    signals.consultation_answered.send(request, actor=actor)
    follow_up(session, nomination, now=now)
    return request


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
