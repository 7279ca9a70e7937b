"""Tests that run threads, each its own request and transaction, on data committed for real.

The usual rolled-back transaction of a test is invisible to other connections, so these tests
commit a federation of their own (codes made unique by a tag) and report what each thread met.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from nomination import db
from nomination.actors import SYSTEM
from nomination.administration.campaigns import create_campaign
from nomination.errors import Conflict, GuardBlocked, NotFound
from nomination.models import Campaign, Nomination, Organisation, RoleAssignment, User


class CommittedFederation:
    """A federation, a committee and a unit with a reviewer each, to be committed by the caller.

    ``users`` holds "unit", "committee" and "federation"; ``org`` and ``user`` add more.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.tag = uuid.uuid4().hex[:8]
        #: A cheap hash: these users never log in through the slow default.
        self.password_hash = generate_password_hash("x", method="pbkdf2:sha256:1000")
        self.fed = self.org("F", "federation")
        self.committee = self.org("C", "committee", self.fed)
        self.unit = self.org("U", "unit", self.committee)
        self.users = {
            "unit": self.user("unit", "unit_submitter", self.unit),
            "committee": self.user("committee", "committee_reviewer", self.committee),
            "federation": self.user("federation", "federation_reviewer", self.fed),
        }

    def org(self, code: str, kind: str, parent: Organisation | None = None) -> Organisation:
        """Add an organisation whose code carries the tag."""
        o = Organisation(code=f"{code}-{self.tag}", name=code, kind=kind, parent=parent)
        self.session.add(o)
        self.session.flush()
        o.path = (parent.path if parent else "/") + f"{o.id}/"
        return o

    def user(self, name: str, role: str, where: Organisation) -> User:
        """Add a user holding ``role`` at ``where``."""
        u = User(username=f"{name}-{self.tag}", display_name=name, password_hash=self.password_hash)
        u.roles.append(RoleAssignment(role=role, organisation=where))
        self.session.add(u)
        return u

    def campaign(self, name: str) -> Campaign:
        """Open a campaign for the Capital Labour Medal named ``name`` and the tag."""
        return create_campaign(
            self.session,
            actor=SYSTEM,
            year=2026,
            name=f"{name} {self.tag}",
            federation=self.fed,
            nomination_deadline=date(2026, 12, 31),
            awards={"individual": ("首都劳动奖章", "Capital Labour Medal")},
            objection_contact={"body": "劳模办", "phone": "010-65099999"},
        )


def outcome(exc: BaseException) -> str:
    """Name an expected refusal; anything else is reported as the error it was."""
    if isinstance(exc, Conflict):
        return "conflict"
    if isinstance(exc, NotFound):
        return "not_found"
    if isinstance(exc, GuardBlocked):
        return "blocked"
    return f"error: {exc!r}"


def in_threads(app: Any, *acts: Callable[[threading.Barrier], Any]) -> list[str]:
    """Run each ``act(barrier)`` in its own thread and transaction; return their outcomes.

    The outcomes are in the order of ``acts``: "ok", a refusal named by ``outcome``, or "hung".
    """
    results: dict[int, str] = {}
    barrier = threading.Barrier(len(acts))

    def run(i: int, act: Callable[[threading.Barrier], Any]) -> None:
        with app.app_context():
            try:
                act(barrier)
                db.session.commit()
                results[i] = "ok"
            except Exception as exc:  # every outcome is reported, not only refusals
                db.session.rollback()
                results[i] = outcome(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(acts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return [results.get(i, "hung") for i in range(len(acts))]


#: What ``race`` runs in each thread: ``act(start, meet)``.
Racer = Callable[[threading.Barrier, Callable[[Nomination], None]], Any]


def race(app: Any, act: Racer) -> list[str]:
    """Run ``act(start, meet)`` in two threads at once, each its own request; return outcomes.

    Each ``act`` reads what it needs and commits (as the page the user submits from did), waits
    at ``start``, then calls ``meet(nomination)`` before acting. On PostgreSQL ``meet`` reads the
    nomination in the new transaction and waits until the other thread has read it too, so both
    really act on the same version and one's UPDATE waits for the other's row lock. On SQLite,
    BEGIN IMMEDIATE lets one writer in at a time, so the second reads after the first committed.
    """
    both_read = threading.Barrier(2)
    postgres = app.config["BACKEND"] == "postgresql"

    def meet(nomination: Nomination) -> None:
        assert nomination.version  # expired at the commit: read again in this transaction
        if postgres:
            both_read.wait(timeout=30)

    def racer(start: threading.Barrier) -> None:
        act(start, meet)

    return in_threads(app, racer, racer)
