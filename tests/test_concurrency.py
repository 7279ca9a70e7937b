"""Concurrent actions on committed data: one wins, the other gets a clear conflict."""

from __future__ import annotations

import threading
import uuid
from datetime import date

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from nomination import db
from nomination.actors import SYSTEM
from nomination.audit import verify_chain
from nomination.engine import fire
from nomination.errors import Conflict
from nomination.models import Nomination, Organisation, RoleAssignment, User
from nomination.operations import create_campaign, create_nomination

from factories import NOW, person_data, recommendation


@pytest.fixture
def committed(app):
    """A small federation committed for real (unique codes), for tests that need commits."""
    tag = uuid.uuid4().hex[:8]
    with app.app_context():
        s = db.session

        def org(code, kind, parent=None):
            o = Organisation(code=f"{code}-{tag}", name=code, kind=kind, parent=parent)
            s.add(o)
            s.flush()
            o.path = (parent.path if parent else "/") + f"{o.id}/"
            return o

        fed = org("F", "federation")
        committee = org("C", "committee", fed)
        unit = org("U", "unit", committee)
        pw = generate_password_hash("x", method="pbkdf2:sha256:1000")

        def user(name, role, where):
            u = User(username=f"{name}-{tag}", display_name=name, password_hash=pw)
            u.roles.append(RoleAssignment(role=role, organisation=where))
            s.add(u)
            return u

        submitter = user("unit", "unit_submitter", unit)
        user("committee", "committee_reviewer", committee)
        campaign = create_campaign(
            s,
            actor=SYSTEM,
            year=2026,
            name=f"并发测试 {tag}",
            federation=fed,
            nomination_deadline=date(2026, 12, 31),
            awards={"individual": ("首都劳动奖章", "Capital Labour Medal")},
        )
        n = create_nomination(
            s, actor=submitter, campaign=campaign, kind="individual", unit=unit, data=person_data()
        )
        fire(n, "recommend", submitter, data=recommendation(), now=NOW)
        s.commit()
        ids = {"nomination": n.id, "committee": f"committee-{tag}"}
        db.session.remove()
    return ids


def _forward(app, ids, version, results, barrier):
    with app.app_context():
        try:
            n = db.session.get(Nomination, ids["nomination"])
            reviewer = db.session.scalar(select(User).where(User.username == ids["committee"]))
            db.session.commit()  # end the read, as a request would
            barrier.wait(timeout=30)
            fire(n, "forward", reviewer, version=version, data={"comment": "同意"}, now=NOW)
            db.session.commit()
            results.append("ok")
        except Conflict:
            db.session.rollback()
            results.append("conflict")
        finally:
            db.session.remove()


def test_two_reviewers_forward_at_once(app, committed):
    with app.app_context():
        version = db.session.get(Nomination, committed["nomination"]).version
        db.session.remove()
    results: list[str] = []
    barrier = threading.Barrier(2)
    threads = [
        threading.Thread(target=_forward, args=(app, committed, version, results, barrier))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["conflict", "ok"]
    with app.app_context():
        n = db.session.get(Nomination, committed["nomination"])
        assert n.state == "federation_review"
        assert n.version == version + 1
        # Exactly one forward was recorded.
        forwards = [o for o in n.evidence["opinions"] if o["trigger"] == "forward"]
        assert len(forwards) == 1
        assert verify_chain(db.session).ok
        db.session.remove()
