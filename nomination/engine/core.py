"""The engine's narrow surface: ``available`` and ``fire``, plus due timers.

Its subjects are nominations and archive cases (revocations, annual verification): any row
with a pinned ``definition_hash``, ``state``, ``version``, the ``unit`` it concerns,
``campaign``/``campaign_id`` (None for cases), timer columns and an ``AUDIT_ENTITY`` name.
Guards and effects find it as ``ctx.nomination`` (``ctx.subject``).

One ``transitions`` machine per definition version is shared by every nomination on that
version; rows are passed to ``machine.events[trigger].trigger(row)`` and never registered, so
memory does not grow with the number of nominations and loading a row never resets its state.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.exc import StaleDataError

from nomination import signals
from nomination.actors import SYSTEM
from nomination.db import utcnow
from nomination.definitions.forms import validate
from nomination.engine.definitions import (
    TransitionDef,
    Workflow,
    from_content,
    load_all,
)
from nomination.engine.registry import (
    FORM_GUARDS,
    GUARD_CONDITIONS,
    GUARD_LABELS,
    GUARDS,
    Context,
    service,
)
from nomination.errors import (
    Conflict,
    GuardBlocked,
    InvalidData,
    PermissionDenied,
)
from nomination.i18n import pick
from nomination.models import ArchiveCase, DefinitionVersion, Nomination
from nomination.paths import definition_folders

if TYPE_CHECKING:
    from nomination.calendar.workdays import WorkCalendar

_log = logging.getLogger(__name__)

#: What the engine moves: a nomination, or an archive case (revocation, annual verification).
Subject = Nomination | ArchiveCase
SubjectT = TypeVar("SubjectT", bound=Subject)

#: Workflows by definition hash; each holds the one machine for its version.
_WORKFLOWS: dict[str, Workflow] = {}


def calendar() -> WorkCalendar:
    """Return the working-day calendar in force (the packaged years and those entered)."""
    return service("calendar")()


_FILES_CACHE: dict[tuple, dict[str, Workflow]] = {}


def current_definitions() -> dict[str, Workflow]:
    """Return the workflows in the definition files, re-read only when a file changed."""
    signature = tuple(
        (str(p), p.stat().st_mtime_ns, p.stat().st_size)
        for folder in (*definition_folders("workflows"), *definition_folders("forms"))
        for p in sorted(folder.glob("*.toml"))
    )
    if signature not in _FILES_CACHE:
        _FILES_CACHE.clear()
        _FILES_CACHE[signature] = load_all()
    return _FILES_CACHE[signature]


def award_kinds(holder: str | None = None) -> tuple[str, ...]:
    """Return the award kinds the definitions offer, in their order (``position``, then name).

    With ``holder`` (person, unit, team): only the kinds whose nominee is one.
    """
    awards = [
        wf
        for wf in current_definitions().values()
        if wf.is_award and (holder is None or wf.holder == holder)
    ]
    return tuple(wf.name for wf in sorted(awards, key=lambda wf: (wf.position, wf.name)))


def states_tagged(tag: str) -> frozenset[str]:
    """Return the states that carry ``tag`` in any current definition (for queries over kinds)."""
    return frozenset().union(*(wf.states_tagged(tag) for wf in current_definitions().values()))


def pin_definition(session: Session, name: str) -> Workflow:
    """Store the current files' version of workflow ``name`` (if new) and return it."""
    workflows = current_definitions()
    if name not in workflows:
        raise KeyError(f"no workflow definition named {name!r}")
    wf = workflows[name]
    if session.get(DefinitionVersion, wf.hash) is None:
        session.add(DefinitionVersion(hash=wf.hash, name=wf.name, content=wf.content))
        session.flush()
    _WORKFLOWS.setdefault(wf.hash, wf)
    return _WORKFLOWS[wf.hash]


def workflow_by_hash(session: Session, definition_hash: str) -> Workflow:
    """Return the workflow of a pinned version, loading it from the database once."""
    wf = _WORKFLOWS.get(definition_hash)
    if wf is None:
        row = session.get(DefinitionVersion, definition_hash)
        if row is None:
            raise LookupError(f"definition version {definition_hash} is not stored")
        wf = from_content(
            row.content,
            f"definition {row.name}@{definition_hash[:12]}",
            today=current_definitions().get(row.name),
        )
        _WORKFLOWS[definition_hash] = wf
    return wf


def workflow_for(nomination: Subject) -> Workflow:
    """Return the workflow ``nomination`` runs on."""
    session = object_session(nomination)
    assert session is not None, "the nomination must belong to a session"
    return workflow_by_hash(session, nomination.definition_hash)


@dataclass(frozen=True)
class Met:
    """One condition of a guard as a line of the checklist: met or missing."""

    key: str
    label: str
    met: bool


@dataclass(frozen=True)
class Check:
    """One guard of a transition as a checklist item: passed, refused (why), or not judged yet.

    Guards that read the transition's own form are judged only when it is submitted
    (``passed`` is None until then). A guard that checks several things (the files a step
    requires) lists each in ``conditions``, so the checklist says which one is missing.
    """

    guard: str
    label: str
    passed: bool | None
    reason: str = ""
    conditions: tuple[Met, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """Return the check as the API reports it."""
        return {
            "guard": self.guard,
            "label": self.label,
            "passed": self.passed,
            "reason": self.reason,
            "conditions": [{"key": c.key, "label": c.label, "met": c.met} for c in self.conditions],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Check:
        """Return the check :meth:`as_json` described (carried by a refusal)."""
        return cls(
            data["guard"],
            data["label"],
            data["passed"],
            data.get("reason", ""),
            tuple(Met(c["key"], c["label"], c["met"]) for c in data.get("conditions", ())),
        )


@dataclass
class Available:
    """A transition the actor holds a role for, and whether its guards let it fire now."""

    transition: TransitionDef
    role: str
    reasons: list[str]
    #: Every guard of the transition, in order, as a checklist.
    checks: tuple[Check, ...] = ()

    @property
    def allowed(self) -> bool:
        """Return whether it may fire now."""
        return not self.reasons


def _context(
    nomination: Subject,
    transition: TransitionDef,
    actor: Any,
    role: str,
    data: dict[str, Any],
    now: datetime,
    wf: Workflow,
    firing: bool = False,
) -> Context:
    session = object_session(nomination)
    assert session is not None
    return Context(
        session=session,
        # Typed for the rules of nominations; those of cases read it as ``ctx.subject``.
        nomination=cast(Nomination, nomination),
        actor=actor,
        role=role,
        transition=transition,
        workflow=wf,
        data=data,
        now=now,
        calendar=calendar(),
        firing=firing,
    )


def _checks(ctx: Context, with_form: bool = True) -> tuple[Check, ...]:
    checks = []
    for name in ctx.transition.guards:
        label = pick(GUARD_LABELS.get(name, {"zh": name, "en": name}))
        if not with_form and name in FORM_GUARDS:
            checks.append(Check(name, label, None))
            continue
        reason = GUARDS[name](ctx)
        conditions = tuple(
            Met(c.key, pick(c.label), c.met) for c in GUARD_CONDITIONS.get(name, _none)(ctx)
        )
        checks.append(Check(name, label, not reason, pick(reason) if reason else "", conditions))
    return tuple(checks)


def _none(ctx: Context) -> list[Any]:
    """A guard that lists no conditions of its own."""
    return []


def available(nomination: Subject, actor: Any, now: datetime | None = None) -> list[Available]:
    """Return the transitions from the current state that ``actor`` holds a role for.

    Each comes with the reasons its guards give for refusing it now (none: it may fire).
    Guards that depend on form data see an empty form here and are checked again by ``fire``.
    """
    wf = workflow_for(nomination)
    now = now or utcnow()
    out = []
    for t in wf.transitions_from(nomination.state):
        role = service("firing_role")(actor, nomination, t)
        if role is None:
            continue
        ctx = _context(nomination, t, actor, role, {}, now, wf)
        checks = _checks(ctx, with_form=not t.form)
        reasons = [c.reason for c in checks if c.passed is False]
        out.append(Available(t, role, reasons, checks))
    return out


def _schedule_timer(
    nomination: Subject, wf: Workflow, entered_at: datetime, days: int | None = None
) -> None:
    timer = wf.state(nomination.state).timer
    if timer is None:
        nomination.timer_trigger = None
        nomination.timer_due_at = None
        if isinstance(nomination, Nomination):
            nomination.timer_started_at = None
            nomination.timer_working_days = None
            nomination.timer_provisional = False
        return
    nomination.timer_trigger = timer.trigger
    working_days = days or timer.days(nomination.campaign)
    period = calendar().period(entered_at, working_days)
    nomination.timer_due_at = period.ends_at
    # Only nominations keep what a later change of the calendar needs to count again.
    if isinstance(nomination, Nomination):
        nomination.timer_started_at = entered_at
        nomination.timer_working_days = working_days
        nomination.timer_provisional = period.provisional


@contextlib.contextmanager
def stale_is_conflict() -> Iterator[None]:
    """Turn a flush that found the row changed by someone else into a clear Conflict."""
    try:
        yield
    except StaleDataError:
        raise Conflict("it was changed by someone else; reload it and try again") from None


def fire(
    nomination: SubjectT,
    trigger: str,
    actor: Any,
    *,
    version: int | None = None,
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
    effective_at: datetime | None = None,
) -> SubjectT:
    """Fire ``trigger`` on ``nomination`` as ``actor``, in the caller's transaction.

    Checks, in order: the transition exists from the current state (409), ``version`` is
    current (409), the actor may fire it (403), the form data is valid (422), the guards pass
    (422). Then the state changes, effects run, the next timer is set and the audit event is
    appended. Nothing is committed: any error lets the caller roll all of it back.
    ``effective_at`` is when a timer was due, so that tick and lazy reads agree.
    """
    session = object_session(nomination)
    assert session is not None, "the nomination must belong to a session"
    now = now or utcnow()
    wf = workflow_for(nomination)
    transition = wf.transition(nomination.state, trigger)
    if transition is None:
        raise Conflict(
            f"'{trigger}' is not possible from state '{nomination.state}'",
            state=nomination.state,
            version=nomination.version,
        )
    # A stale version first: a colleague who acted meanwhile may have moved the nomination to a
    # state where this actor holds no role, and that is a conflict to reload, not a refusal.
    if version is not None and version != nomination.version:
        raise Conflict(
            "the nomination was changed by someone else; reload it and try again",
            state=nomination.state,
            version=nomination.version,
        )
    role = service("firing_role")(actor, nomination, transition)
    if role is None:
        raise PermissionDenied(f"you may not fire '{trigger}' on this nomination")
    clean: dict[str, Any] = {}
    if transition.form:
        clean, errors = validate(wf.forms[transition.form], data or {})
        if errors:
            raise InvalidData("some fields are invalid", fields=errors)
    ctx = _context(nomination, transition, actor, role, clean, now, wf, firing=True)
    checks = _checks(ctx)
    reasons = [c.reason for c in checks if c.passed is False]
    if reasons:
        # Every condition as judged, so that the caller can say which one failed.
        raise GuardBlocked(
            "; ".join(reasons), reasons=reasons, checks=[c.as_json() for c in checks]
        )

    before_state, before_version = nomination.state, nomination.version
    # Every UPDATE of the row carries "WHERE version = <the version read>": if another
    # transaction changed it since, the flush (here, or earlier inside an effect) matches
    # nothing, so two concurrent firings never both succeed. On PostgreSQL the UPDATE also
    # waits for the other transaction's row lock first.
    with stale_is_conflict():
        wf.machine.events[trigger].trigger(nomination, ctx=ctx)
        entered_at = effective_at or now
        nomination.state_entered_at = entered_at
        _schedule_timer(nomination, wf, entered_at, ctx.timer_working_days)
        session.flush()
    after: dict[str, Any] = {"state": nomination.state, "version": nomination.version}
    if clean:
        after["data"] = clean
    if effective_at is not None:
        after["effective_at"] = effective_at
    after.update(ctx.notes)
    entity = type(nomination).AUDIT_ENTITY
    service("journal")(
        session,
        action=f"transition.{trigger}",
        actor_id=getattr(actor, "id", None),
        actor_name=actor.name,
        role=role,
        organisation_id=nomination.unit_id,
        campaign_id=nomination.campaign_id,
        entity_type=entity,
        entity_id=nomination.id,
        before={"state": before_state, "version": before_version},
        after=after,
        comment=clean.get("comment") or clean.get("reason"),
        now=now,
    )
    signal = (
        signals.nomination_transitioned if entity == "nomination" else signals.case_transitioned
    )
    signal.send(nomination, trigger=trigger, actor=actor, before=before_state)
    return nomination


def apply_due_timers(
    session: Session, now: datetime | None = None, ids: list[int] | None = None
) -> list[Nomination]:
    """Fire every timer due at ``now`` (optionally only for ``ids``); return what changed.

    ``nomination tick`` and reading a nomination both call this, so the result never depends
    on whether the tick ran. Firing clears or moves the timer, so running it twice is harmless.
    """
    now = now or utcnow()
    # Rows another transaction is firing right now are skipped (PostgreSQL): that one will
    # do it, and this caller must not wait for it or fail with it.
    query = (
        select(Nomination)
        .where(
            Nomination.timer_due_at.is_not(None),
            Nomination.timer_due_at <= now,
            # A due time counted on a provisional year waits until the year is official.
            Nomination.timer_provisional.is_(False),
        )
        .order_by(Nomination.timer_due_at, Nomination.id)
        .with_for_update(of=Nomination, skip_locked=True)
    )
    if ids is not None:
        if not ids:
            return []
        query = query.where(Nomination.id.in_(ids))
    fired = []
    for nomination in session.scalars(query).all():
        while (
            nomination.timer_due_at is not None
            and nomination.timer_due_at <= now
            and nomination.timer_trigger
            and not nomination.timer_provisional
        ):
            trigger = nomination.timer_trigger
            try:
                # A savepoint per timer: one that cannot fire leaves nothing half-done behind.
                with session.begin_nested():
                    fire(
                        nomination,
                        trigger,
                        SYSTEM,
                        now=now,
                        effective_at=nomination.timer_due_at,
                    )
            except (GuardBlocked, Conflict):
                # A guard holds the timer, or another transaction fired it first.
                break
            fired.append(nomination)
    return fired
