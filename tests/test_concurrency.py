"""Concurrent actions on committed data: one wins, the other gets a clear conflict."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from threads import CommittedFederation, race

from nomination import db
from nomination.actors import SYSTEM
from nomination.administration.campaigns import set_quota
from nomination.audit.chain import verify_chain
from nomination.engine import apply_due_timers, fire
from nomination.models import (
    AuditEvent,
    HonourRecord,
    Nomination,
    Objection,
    User,
)
from nomination.nominations.operations import create_nomination
from nomination.nominations.queries import load_on_notice
from nomination.objections.operations import AlreadyFiled, file_objection
from nomination.web.objection_form import file_with_retry

from factories import DECIDED_AT, NOW, attach_required_files, person_data, recommendation

#: The main path, trigger by trigger, with the role that fires it and its form data.
PATH = [
    ("recommend", "unit", recommendation()),
    ("forward", "committee", {"comment": "同意"}),
    ("accept", "federation", {"comment": "符合条件"}),
    ("consultation_clear", "federation", {"comment": "各部门无异议"}),
    ("select", "federation", {"comment": "评审通过"}),
]

OBJECTION = {
    "objector_name": "孙某某",
    "objector_phone": "13800138000",
    "objector_address": "北京市朝阳区某路2号",
    "facts": "该同志2025年曾因安全生产事故受到处分,不符合推荐条件。",
}


def _commit_federation(app, state):
    """Commit for real a small federation (unique codes) with a nomination in ``state``."""
    with app.app_context():
        s = db.session
        f = CommittedFederation(s)
        users = f.users
        users["approver"] = f.user("approver", "approver", f.fed)
        campaign = f.campaign("并发测试")
        n = create_nomination(
            s,
            actor=users["unit"],
            campaign=campaign,
            kind="individual",
            unit=f.unit,
            data=person_data(),
        )
        attach_required_files(n, users["unit"])
        for trigger, role, data in PATH:
            if n.state == state:
                break
            fire(n, trigger, users[role], data=data, now=NOW)
        if state == "final_approval":
            apply_due_timers(s, n.timer_due_at, ids=[n.id])
        assert n.state == state
        s.commit()
        ids = {"nomination": n.id, **{role: u.username for role, u in users.items()}}
        db.session.remove()
    return ids


def _version(app, nomination_id: int) -> int:
    with app.app_context():
        version = db.session.get(Nomination, nomination_id).version
        db.session.remove()
    return version


def _user(ids, role: str) -> User:
    return db.session.scalar(select(User).where(User.username == ids[role]))


def _events(nomination: Nomination, action: str) -> int:
    """Return how many ``action`` events the audit trail holds for ``nomination``."""
    return db.session.scalar(
        select(func.count(AuditEvent.seq)).where(
            AuditEvent.entity_type == "nomination",
            AuditEvent.entity_id == str(nomination.id),
            AuditEvent.action == action,
        )
    )


def test_two_reviewers_forward_at_once(app):
    ids = _commit_federation(app, "committee_review")
    version = _version(app, ids["nomination"])

    def forward(start, meet):
        n = db.session.get(Nomination, ids["nomination"])
        reviewer = _user(ids, "committee")
        db.session.commit()  # end the read, as a request would
        start.wait(timeout=30)
        meet(n)
        fire(n, "forward", reviewer, version=version, data={"comment": "同意"}, now=NOW)

    results = race(app, forward)
    assert sorted(results) == ["conflict", "ok"], results
    with app.app_context():
        n = db.session.get(Nomination, ids["nomination"])
        assert n.state == "federation_review"
        assert n.version == version + 1
        # Exactly one forward was recorded.
        forwards = [o for o in n.evidence["opinions"] if o["trigger"] == "forward"]
        assert len(forwards) == 1
        assert _events(n, "transition.forward") == 1
        assert verify_chain(db.session).ok
        db.session.remove()


def test_two_submitters_recommend_into_one_place_at_once(app):
    ids = _commit_federation(app, "draft")
    with app.app_context():
        first = db.session.get(Nomination, ids["nomination"])
        second = create_nomination(
            db.session,
            actor=_user(ids, "unit"),
            campaign=first.campaign,
            kind="individual",
            unit=first.unit,
            data=person_data(name="王芳"),
        )
        attach_required_files(second, _user(ids, "unit"))
        set_quota(
            db.session,
            actor=SYSTEM,
            campaign=first.campaign,
            committee=first.unit,
            kind="individual",
            places=1,
        )
        db.session.commit()
        both = [first.id, second.id]
        db.session.remove()
    turn = iter(both)
    lock = threading.Lock()

    def recommend(start, meet):
        with lock:
            nomination_id = next(turn)
        n = db.session.get(Nomination, nomination_id)
        submitter = _user(ids, "unit")
        db.session.commit()  # end the read, as a request would
        start.wait(timeout=30)
        meet(n)
        fire(n, "recommend", submitter, data=recommendation(), now=NOW)

    results = race(app, recommend)
    # The unit's allocation row is locked by the first: the second counts after it.
    assert sorted(results) == ["blocked", "ok"], results
    with app.app_context():
        states = sorted(db.session.get(Nomination, i).state for i in both)
        assert states == ["committee_review", "draft"]
        assert verify_chain(db.session).ok
        db.session.remove()


def test_two_objections_filed_at_once(app):
    ids = _commit_federation(app, "public_notice")

    def object_to(start, meet):
        # Both objectors opened the form while the nomination was on notice.
        n = load_on_notice(db.session, ids["nomination"])
        assert n is not None
        db.session.commit()  # end the read, as a request would
        start.wait(timeout=30)
        meet(n)
        file_objection(n, data=dict(OBJECTION))

    results = race(app, object_to)
    assert len(results) == 2
    # SQLite lets one writer in at a time: the second objection finds the review under way and
    # joins it. On PostgreSQL both acted on the same version: the second gets a conflict (the
    # pages retry it once, see test_objections), never a second review.
    assert "ok" in results and set(results) <= {"ok", "conflict"}, results
    with app.app_context():
        n = db.session.get(Nomination, ids["nomination"])
        assert n.state == "objection_review"
        objections = db.session.scalar(
            select(func.count(Objection.id)).where(Objection.nomination_id == n.id)
        )
        assert objections == results.count("ok")
        assert _events(n, "transition.object") == 1
        assert _events(n, "objection.receive") == results.count("ok") - 1
        assert verify_chain(db.session).ok
        db.session.remove()


def test_two_objections_sent_at_once_through_the_pages_are_both_kept(app):
    ids = _commit_federation(app, "public_notice")

    def object_to(start, meet):
        n = load_on_notice(db.session, ids["nomination"])
        db.session.commit()  # end the read, as a request would
        start.wait(timeout=30)
        meet(n)
        # What the objection page and the API call: a conflict is tried once more.
        file_with_retry(ids["nomination"], data=dict(OBJECTION))

    results = race(app, object_to)
    assert results == ["ok", "ok"], results
    with app.app_context():
        n = db.session.get(Nomination, ids["nomination"])
        assert n.state == "objection_review"
        assert len(n.objections) == 2 and not any(o.late for o in n.objections)
        assert _events(n, "transition.object") == 1
        assert _events(n, "objection.receive") == 1
        assert verify_chain(db.session).ok
        db.session.remove()


def test_two_approvers_approve_at_once(clock, app):
    ids = _commit_federation(app, "final_approval")
    version = _version(app, ids["nomination"])
    decision = {"decision_number": "京工发〔2026〕7号", "decision_date": "2026-11-27"}

    def approve(start, meet):
        n = db.session.get(Nomination, ids["nomination"])
        approver = _user(ids, "approver")
        db.session.commit()  # end the read, as a request would
        start.wait(timeout=30)
        meet(n)
        fire(n, "approve", approver, version=version, data=decision, now=DECIDED_AT)

    clock(DECIDED_AT)  # the decision follows the notice
    results = race(app, approve)
    assert sorted(results) == ["conflict", "ok"], results
    with app.app_context():
        n = db.session.get(Nomination, ids["nomination"])
        assert n.state == "approved"
        approvals = [o for o in n.evidence["opinions"] if o["trigger"] == "approve"]
        assert len(approvals) == 1
        records = db.session.scalar(
            select(func.count(HonourRecord.id)).where(HonourRecord.nomination_id == n.id)
        )
        assert records == 1
        assert _events(n, "transition.approve") == 1
        assert verify_chain(db.session).ok
        db.session.remove()


def test_two_administrators_confirm_a_year_at_once(app):
    from sqlalchemy import delete
    from threads import in_threads

    from nomination.calendar.operations import confirm_year
    from nomination.models import CalendarYear

    # A year no other test uses: the row is committed for real, and removed at the end.
    year = 2098

    def confirm(start):
        start.wait(timeout=30)
        confirm_year(db.session, actor=SYSTEM, year=year, reason="通知尚未发布")

    try:
        assert sorted(in_threads(app, confirm, confirm)) == ["conflict", "ok"]
        with app.app_context():
            [row] = db.session.scalars(select(CalendarYear).where(CalendarYear.year == year))
            assert row.grade == "confirmed"
            confirmations = db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "calendar.confirm", AuditEvent.entity_id == str(year))
            )
            assert confirmations == 1
            db.session.remove()
    finally:
        with app.app_context():
            db.session.execute(delete(CalendarYear).where(CalendarYear.year == year))
            db.session.commit()
            db.session.remove()


def _committed_admins(app):
    """Commit a federation with two administrators and a unit; return their ids."""
    from threads import CommittedFederation

    with app.app_context():
        fed = CommittedFederation(db.session)
        first = fed.user("admin1", "admin", fed.fed)
        second = fed.user("admin2", "admin", fed.fed)
        db.session.commit()
        ids = {"unit": fed.unit.id, "admin1": first.id, "admin2": second.id}
        db.session.remove()
    return ids


def test_two_administrators_rename_one_unit_from_the_same_form(app):
    from threads import in_threads

    from nomination.administration.organisations import fingerprint, update_organisation
    from nomination.models import Organisation

    ids = _committed_admins(app)
    with app.app_context():
        seen = fingerprint(db.session.get(Organisation, ids["unit"]))
        db.session.remove()

    def rename(name, who):
        def act(start):
            unit = db.session.get(Organisation, ids["unit"])
            admin = db.session.get(User, ids[who])
            db.session.commit()  # end the read, as a request would
            start.wait(timeout=30)
            update_organisation(unit, actor=admin, name=name, expected=seen)

        return act

    results = in_threads(app, rename("甲单位", "admin1"), rename("乙单位", "admin2"))
    assert sorted(results) == ["conflict", "ok"], results
    with app.app_context():
        renames = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action == "organisation.update",
                AuditEvent.entity_id == str(ids["unit"]),
            )
        )
        assert renames == 1
        db.session.remove()


def test_two_administrators_deactivate_each_other_at_once(app):
    from threads import in_threads

    from nomination.administration.people import set_user_active

    ids = _committed_admins(app)

    def remove(target, who):
        def act(start):
            user = db.session.get(User, ids[target])
            admin = db.session.get(User, ids[who])
            db.session.commit()  # end the read, as a request would
            start.wait(timeout=30)
            set_user_active(user, actor=admin, active=False, reason="离职")

        return act

    results = in_threads(app, remove("admin2", "admin1"), remove("admin1", "admin2"))
    # The second is refused: a conflict, or (where it waited for the first) no longer an
    # administrator at all.
    assert results.count("ok") == 1, results
    assert {"conflict", "error: PermissionDenied('only administrators may do this')"} & set(
        results
    ), results
    with app.app_context():
        active = [db.session.get(User, ids[k]).active for k in ("admin1", "admin2")]
        db.session.remove()
    assert active.count(True) == 1


@pytest.mark.parametrize("already_objected", [False, True])
def test_one_form_sent_twice_at_once_files_one_objection(app, already_objected):
    ids = _commit_federation(app, "public_notice")
    if already_objected:  # a review under way: the objection joins it, no transition
        with app.app_context():
            file_objection(db.session.get(Nomination, ids["nomination"]), data=dict(OBJECTION))
            db.session.commit()
            db.session.remove()
    refused: list[str] = []
    # Committed for real: one reference per test.
    reference = f"YY-{ids['nomination']:012d}"

    def object_to(start, meet):
        n = load_on_notice(db.session, ids["nomination"]) or db.session.get(
            Nomination, ids["nomination"]
        )
        db.session.commit()  # end the read, as a request would
        start.wait(timeout=30)
        meet(n)
        # The same form instance, so the same reference: the page's double click.
        try:
            file_with_retry(ids["nomination"], data=dict(OBJECTION), reference=reference)
        except AlreadyFiled:
            refused.append("already_filed")

    results = race(app, object_to)
    assert results == ["ok", "ok"] and refused == ["already_filed"], (results, refused)
    with app.app_context():
        n = db.session.get(Nomination, ids["nomination"])
        assert [o.reference for o in n.objections].count(reference) == 1
        assert len(n.objections) == 1 + already_objected
        assert verify_chain(db.session).ok
        db.session.remove()
