"""Read-side queries, scoped by the same rules as the permission predicates."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, false, func, or_, select
from sqlalchemy.orm import Session

from nomination import engine
from nomination.actors import PUBLIC
from nomination.db import utcnow
from nomination.definitions.forms import FormDef
from nomination.errors import require_visible
from nomination.models import (
    ArchivePerson,
    AuditEvent,
    AuditHead,
    Campaign,
    ConsultationRequest,
    HonourRecord,
    Nomination,
    NoticeEntry,
    Objection,
    Organisation,
    Studio,
)
from nomination.notices import publication as notices
from nomination.permissions import (
    ARCHIVE_MANAGERS,
    ARCHIVE_READERS,
    archive_scope,
    can_manage_archive,
    can_view_nomination,
    can_view_person,
    can_view_studio,
    in_subtrees,
    nomination_scope,
    role_paths,
    submitter_units,
)


def visible_nominations(
    user: Any,
    *,
    state: str | None = None,
    campaign_id: int | None = None,
    kind: str | None = None,
    unit_id: int | None = None,
    category: str | None = None,
    overdue: bool = False,
) -> Select:
    """Return a query of the nominations ``user`` may see, newest first, optionally filtered.

    ``unit_id`` keeps one nominating unit's; ``category`` the nominees of a person category;
    ``overdue`` those past a deadline now (see ``overdue_clause``).
    """
    query = (
        select(Nomination)
        .join(Organisation, Nomination.unit_id == Organisation.id)
        .where(nomination_scope(user))
        .order_by(Nomination.updated_at.desc(), Nomination.id.desc())
    )
    if state:
        query = query.where(Nomination.state == state)
    if campaign_id:
        query = query.where(Nomination.campaign_id == campaign_id)
    if kind:
        query = query.where(Nomination.kind == kind)
    if unit_id:
        query = query.where(Nomination.unit_id == unit_id)
    if category:
        query = query.where(Nomination.data["category"].as_string() == category)
    if overdue:
        query = query.where(overdue_clause(utcnow()))
    return query


def _open_request(now: datetime | None = None) -> ColumnElement[bool]:
    """Return the condition on ConsultationRequest: open (and past due at ``now``, if given)."""
    if now is not None:
        return ConsultationRequest.overdue_at(now)
    return ConsultationRequest.status == "open"


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    """Return a WHERE clause over Nomination: past a deadline at ``now``.

    In consultation with an open opinion request past its due time, or with a timer that was
    due and has not fired (a guard holds it, or no tick or read has applied it yet).
    """
    late_request = exists().where(
        ConsultationRequest.nomination_id == Nomination.id, _open_request(now)
    )
    return or_(
        and_(Nomination.state == "consultation", late_request),
        and_(
            Nomination.timer_due_at.is_not(None),
            Nomination.timer_due_at <= now,
            # A provisional end waits for its year: not late.
            Nomination.timer_provisional.is_(False),
        ),
    )


@dataclass(frozen=True)
class Deadline:
    """When a nomination's current stage ends, and whether that is already past."""

    at: datetime | None
    overdue: bool
    #: Counted on a provisional year (shown as 暂定).
    provisional: bool = False


def deadlines(
    session: Session, ids: Collection[int], now: datetime | None = None
) -> dict[int, Deadline]:
    """Return the deadline of each nomination in ``ids`` (the same rule as ``overdue_clause``).

    In consultation: the earliest due time of its open opinion requests; otherwise its timer.
    """
    if not ids:
        return {}
    now = now or utcnow()
    ids = list(ids)
    requests = {
        nomination_id: (due, bool(provisional))
        for nomination_id, due, provisional in session.execute(
            select(
                ConsultationRequest.nomination_id,
                func.min(ConsultationRequest.due_at),
                func.max(case((ConsultationRequest.due_provisional.is_(True), 1), else_=0)),
            )
            .where(ConsultationRequest.nomination_id.in_(ids), _open_request())
            .group_by(ConsultationRequest.nomination_id)
        )
    }
    out = {}
    for nomination_id, state, timer_due_at, timer_provisional in session.execute(
        select(
            Nomination.id, Nomination.state, Nomination.timer_due_at, Nomination.timer_provisional
        ).where(Nomination.id.in_(ids))
    ):
        consulting, consulting_provisional = (
            requests.get(nomination_id, (None, False)) if state == "consultation" else (None, False)
        )
        late = (consulting is not None and consulting <= now and not consulting_provisional) or (
            timer_due_at is not None and timer_due_at <= now and not timer_provisional
        )
        out[nomination_id] = Deadline(
            at=consulting or timer_due_at,
            overdue=late,
            provisional=consulting_provisional if consulting else bool(timer_provisional),
        )
    return out


def load_nomination(session: Session, nomination_id: int, user: Any) -> Nomination:
    """Return the nomination if ``user`` may see it, after applying its due timers.

    Raises NotFound when there is none, and OutOfScope (also a 404) when it is not theirs.
    """
    found = session.get(Nomination, nomination_id)
    nomination = require_visible(found, user, can_view_nomination, "nomination")
    # Lazy timers: a notice whose period ended is closed before anyone reads it.
    engine.apply_due_timers(session, ids=[nomination.id])
    return nomination


def work_queue(
    session: Session, user: Any, limit: int, **filters: Any
) -> list[tuple[Nomination, list[engine.Available]]]:
    """Return the visible nominations in which ``user`` has a transition now (from the engine).

    At most ``limit`` candidates are examined, most recently changed first; ``filters`` are
    those of ``visible_nominations``.
    """
    held = {r.role for r in user.roles}
    hashes = session.scalars(
        visible_nominations(user)
        .with_only_columns(Nomination.definition_hash)
        .distinct()
        .order_by(None)
    ).all()
    # Narrow the candidates to states some transition for a held role leaves from; the
    # engine's available() then decides, scope and guards included.
    states: set[str] = set()
    for definition_hash in hashes:
        wf = engine.workflow_by_hash(session, definition_hash)
        for t in wf.transitions:
            if held & set(t.roles):
                states.update(t.sources)
    if not states:
        return []
    candidates = session.scalars(
        visible_nominations(user, **filters).where(Nomination.state.in_(states)).limit(limit)
    ).all()
    queue = []
    for nomination in candidates:
        options = engine.available(nomination, user)
        if options:
            queue.append((nomination, options))
    return queue


def on_notice(session: Session) -> list[Nomination]:
    """Return the nominations on public notice in open campaigns, after due timers."""
    engine.apply_due_timers(session)
    return list(
        session.scalars(
            select(Nomination)
            .join(Campaign, Nomination.campaign_id == Campaign.id)
            .where(Nomination.state.in_(engine.states_tagged("notice")), Campaign.status == "open")
            .order_by(Nomination.campaign_id, Nomination.kind, Nomination.unit_id, Nomination.id)
        )
    )


def notice_board(
    session: Session, *, campaign_id: int | None = None, kind: str | None = None
) -> list[NoticeEntry]:
    """Return the entries on the public notice now, as published, after due timers.

    A nomination on notice whose definition version predates publication snapshots has no
    entry: it is shown from its data (which cannot change while it is on notice), unsaved.
    """
    nominations = on_notice(session)
    if campaign_id is not None:
        nominations = [n for n in nominations if n.campaign_id == campaign_id]
    if kind is not None:
        nominations = [n for n in nominations if n.kind == kind]
    if not nominations:
        return []
    by_nomination = {
        e.nomination_id: e
        for e in session.scalars(
            select(NoticeEntry).where(
                NoticeEntry.nomination_id.in_([n.id for n in nominations]),
                NoticeEntry.closed_at.is_(None),
            )
        )
    }
    return notices.sort_entries(
        by_nomination.get(n.id) or _unsaved_entry(session, n) for n in nominations
    )


def _unsaved_entry(session: Session, nomination: Nomination) -> NoticeEntry:
    return notices.snapshot(
        session,
        nomination,
        engine.workflow_for(nomination),
        published_at=nomination.state_entered_at,
        ends_at=nomination.timer_due_at,
    )


def notice_entry_of(session: Session, nomination: Nomination) -> NoticeEntry:
    """Return the entry as published of a nomination on notice (see ``notice_board``)."""
    found = notices.open_entries(session, nomination.id)
    return found[-1] if found else _unsaved_entry(session, nomination)


def _off_the_board() -> Any:
    # Closed entries, and those of a closed campaign, which no longer shows its notices.
    return or_(NoticeEntry.closed_at.is_not(None), Campaign.status == "closed")


def notice_archive(
    session: Session, *, campaign_id: int | None = None, kind: str | None = None
) -> list[NoticeEntry]:
    """Return the closed notice entries (of a campaign and award kind), after due timers."""
    engine.apply_due_timers(session)
    query = select(NoticeEntry).join(Campaign).where(_off_the_board())
    if campaign_id is not None:
        query = query.where(NoticeEntry.campaign_id == campaign_id)
    if kind is not None:
        query = query.where(NoticeEntry.kind == kind)
    return notices.sort_entries(session.scalars(query))


def archived_notice_index(session: Session) -> list[dict[str, Any]]:
    """Return, per campaign and award kind, how many closed entries there are and when."""
    engine.apply_due_timers(session)
    rows = session.execute(
        select(
            NoticeEntry.campaign_id,
            NoticeEntry.kind,
            func.count(NoticeEntry.id),
            func.min(NoticeEntry.published_at),
            func.max(NoticeEntry.closed_at),
        )
        .join(Campaign)
        .where(_off_the_board())
        .group_by(NoticeEntry.campaign_id, NoticeEntry.kind)
    ).all()
    found = campaigns_by_id(session, {r[0] for r in rows})
    kinds = {kind: i for i, kind in enumerate(engine.award_kinds())}
    index = [
        {
            "campaign": found[campaign_id],
            "kind": kind,
            "count": count,
            "first_published_at": first,
            "last_closed_at": last,
        }
        for campaign_id, kind, count, first, last in rows
    ]
    return sorted(
        index, key=lambda i: (-i["campaign"].year, i["campaign"].id, kinds.get(i["kind"], 99))
    )


def recent_notice_entries(session: Session, limit: int = 500) -> list[NoticeEntry]:
    """Return the latest published entries, newest first (for the feed), after due timers."""
    engine.apply_due_timers(session)
    return list(
        session.scalars(
            select(NoticeEntry)
            .order_by(NoticeEntry.published_at.desc(), NoticeEntry.id.desc())
            .limit(limit)
        )
    )


def grouped(session: Session, entries: list[NoticeEntry]) -> list[notices.Notice]:
    """Return ``entries`` as notices per campaign and award kind, each in its order."""
    return notices.group(entries, campaigns_by_id(session, {e.campaign_id for e in entries}))


def campaigns_by_id(session: Session, ids: set[int]) -> dict[int, Campaign]:
    """Return the campaigns with ``ids``, by id."""
    if not ids:
        return {}
    return {c.id: c for c in session.scalars(select(Campaign).where(Campaign.id.in_(ids)))}


def history(session: Session, nomination: Nomination) -> list[AuditEvent]:
    """Return the audit events of ``nomination`` in order."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.entity_type == "nomination", AuditEvent.entity_id == str(nomination.id)
            )
            .order_by(AuditEvent.seq)
        )
    )


def open_campaigns(session: Session) -> list[Campaign]:
    """Return the campaigns open for nominations, newest first."""
    return list(
        session.scalars(
            select(Campaign).where(Campaign.status == "open").order_by(Campaign.year.desc())
        )
    )


def submitter_unit_choices(session: Session, user: Any) -> list[Organisation]:
    """Return the units for which ``user`` may create nominations, by code."""
    paths = role_paths(user, "unit_submitter")
    if not paths:
        return []
    units = session.scalars(
        select(Organisation)
        .where(
            Organisation.kind == "unit",
            Organisation.active,
            in_subtrees(paths),
        )
        .order_by(Organisation.code)
    )
    return submitter_units(user, list(units))


def load_on_notice(session: Session, nomination_id: int) -> Nomination | None:
    """Return the nomination if it is on public notice in an open campaign, after due timers."""
    engine.apply_due_timers(session, ids=[nomination_id])
    nomination = session.get(Nomination, nomination_id)
    if nomination is None or not engine.workflow_for(nomination).tagged(nomination.state, "notice"):
        return None
    return nomination if nomination.campaign.status == "open" else None


def load_objectable(session: Session, nomination_id: int) -> tuple[Nomination, NoticeEntry] | None:
    """Return a nomination the public may object to, with the entry the public was shown.

    On notice now, or once (an objection after the notice closed is taken and marked late);
    None for one that was never published. Due timers are applied first.
    """
    engine.apply_due_timers(session, ids=[nomination_id])
    nomination = session.get(Nomination, nomination_id)
    if nomination is None:
        return None
    if engine.workflow_for(nomination).tagged(nomination.state, "notice"):
        return nomination, notice_entry_of(session, nomination)
    entry = session.scalar(
        select(NoticeEntry)
        .where(NoticeEntry.nomination_id == nomination.id)
        .order_by(NoticeEntry.sequence.desc())
        .limit(1)
    )
    return (nomination, entry) if entry is not None else None


def objections_from(session: Session, client: str, since: datetime) -> int:
    """Count the objections sent by ``client`` (a keyed pseudonym) since ``since``."""
    return session.execute(
        select(func.count(Objection.id)).where(
            Objection.client_key == client, Objection.received_at >= since
        )
    ).scalar_one()


def objection_form(nomination: Nomination) -> FormDef | None:
    """Return the form in which the public may object to ``nomination`` now, or None.

    The definition decides: it is the form of the transition the public may fire from the
    nomination's state.
    """
    wf = engine.workflow_for(nomination)
    for option in engine.available(nomination, PUBLIC):
        if option.transition.form:
            return wf.forms[option.transition.form]
    return None


def visible_honours(user: Any, *, year: int | None = None) -> Select:
    """Return a query of the archive records ``user`` may see, newest first."""
    query = (
        select(HonourRecord)
        .join(Organisation, HonourRecord.unit_id == Organisation.id)
        .where(archive_scope(user))
        .order_by(HonourRecord.year.desc(), HonourRecord.decision_date.desc(), HonourRecord.id)
    )
    if year:
        query = query.where(HonourRecord.year == year)
    return query


def honour_of(session: Session, nomination: Nomination) -> HonourRecord | None:
    """Return the archive record an approved nomination created, if any."""
    return session.scalar(select(HonourRecord).where(HonourRecord.nomination_id == nomination.id))


def audit_events(
    session: Session,
    *,
    action: str | None = None,
    nomination_id: int | None = None,
    limit: int = 100,
) -> list[AuditEvent]:
    """Return the latest audit events, newest first: ``action`` is a prefix of the action."""
    query = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if nomination_id is not None:
        query = query.where(
            AuditEvent.entity_type == "nomination", AuditEvent.entity_id == str(nomination_id)
        )
    return list(session.scalars(query))


def audit_head(session: Session) -> AuditHead | None:
    """Return the row holding the chain's last sequence number and hash."""
    return session.get(AuditHead, 1)


# --- the archive's person records and studios (劳模档案) ---------------------------------------


def _below(paths: list[str]) -> Select:
    """Return a query of the ids of the organisations at or below any of ``paths``."""
    return select(Organisation.id).where(in_subtrees(paths))


def _archive_clauses(user: Any, federation_col: Any, unit_col: Any) -> list[ColumnElement[bool]]:
    """Return the WHERE clauses giving ``user`` a federation's archive rows or a unit's own."""
    clauses: list[ColumnElement[bool]] = []
    # A federation's managers and readers: every row of a federation at or below their role.
    paths = role_paths(user, *ARCHIVE_MANAGERS, *ARCHIVE_READERS)
    if paths:
        clauses.append(federation_col.in_(_below(paths)))
    units = role_paths(user, "unit_submitter")
    if units:
        clauses.append(unit_col.in_(_below(units)))
    return clauses


def person_scope(user: Any) -> ColumnElement[bool]:
    """Return a WHERE clause limiting a query over ArchivePerson to what ``user`` may see.

    The same rule as ``can_view_person``: a unit's submitters see the people working there
    or holding an honour of theirs; the federation's managers, approvers and auditors all.
    """
    clauses = _archive_clauses(user, ArchivePerson.federation_id, ArchivePerson.unit_id)
    units = role_paths(user, "unit_submitter")
    if units:
        honoured_here = exists().where(
            HonourRecord.person_id == ArchivePerson.id, HonourRecord.unit_id.in_(_below(units))
        )
        clauses.append(honoured_here)
    return or_(*clauses) if clauses else false()


def load_person(session: Session, person_id: int, user: Any) -> Any:
    """Return the archived person if ``user`` may see them; 404 alike when absent or hidden."""
    return require_visible(session.get(ArchivePerson, person_id), user, can_view_person, "person")


def visible_studios(session: Session, user: Any) -> list[Any]:
    """Return the innovation studios ``user`` may see, by name."""
    clauses = _archive_clauses(user, Studio.federation_id, Studio.unit_id)
    if not clauses:
        return []
    return list(session.scalars(select(Studio).where(or_(*clauses)).order_by(Studio.name)))


def load_studio(session: Session, studio_id: int, user: Any) -> Any:
    """Return the studio if ``user`` may see it; 404 alike when absent or hidden."""
    return require_visible(session.get(Studio, studio_id), user, can_view_studio, "studio")


def managed_federations(session: Session, user: Any) -> list[Organisation]:
    """Return the federations whose archive ``user`` manages, by code."""
    rows = session.scalars(
        select(Organisation).where(Organisation.kind == "federation").order_by(Organisation.code)
    )
    return [f for f in rows if can_manage_archive(user, f)]


def units_below(session: Session, orgs: Collection[Organisation]) -> list[Organisation]:
    """Return the units at or below any of ``orgs``, by code."""
    if not orgs:
        return []
    return list(
        session.scalars(
            select(Organisation)
            .where(Organisation.kind == "unit", Organisation.id.in_(_below([o.path for o in orgs])))
            .order_by(Organisation.code)
        )
    )
