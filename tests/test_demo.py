"""The demo federation: users, organisations, states, archive, audit chain, idempotency."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from nomination import engine
from nomination.audit.chain import verify_chain
from nomination.db import Base
from nomination.demo import DEMO_USERS, FEDERATION_CODE, load_demo
from nomination.engine import calendar
from nomination.models import (
    AuditEvent,
    Campaign,
    HonourRecord,
    Nomination,
    Organisation,
    Quota,
    Team,
    User,
)

from factories import NOW, PASSWORD

#: This year's nominations by state, as the demo walks them.
CURRENT_STATES = {
    "draft": 3,
    "committee_review": 3,
    "returned": 2,
    "federation_review": 3,
    "consultation": 2,
    "selection": 3,
    "reserve": 1,
    "public_notice": 2,
    "objection_review": 1,
    "rejected": 2,
    "withdrawn": 1,
}


@pytest.fixture
def demo(session):
    # A fixed clock keeps the dates inside the years the holiday calendar knows.
    assert load_demo(session, password=PASSWORD, now=NOW) is True
    return session


# Other tests may have committed rows of their own: look only at the demo federation's.


def federation(session) -> Organisation:
    return session.scalar(select(Organisation).where(Organisation.code == FEDERATION_CODE))


def campaigns(session) -> tuple[Campaign, Campaign]:
    previous, current = session.scalars(
        select(Campaign)
        .where(Campaign.federation_id == federation(session).id)
        .order_by(Campaign.year)
    ).all()
    return previous, current


def user(session, username: str) -> User:
    return session.scalar(select(User).where(User.username == username))


def test_users_and_organisations(demo):
    names = [u for u, _ in DEMO_USERS]
    required = {"admin", "unit1", "unit2", "unit3", "committee1", "committee2", "federation"}
    required |= {"approver", "auditor", "judge1", "judge2", "judge3", "dept-hr", "dept-safety"}
    required |= {"dept-env", "dept-tax", "dept-market", "dept-discipline"}
    assert required <= set(names)
    users = demo.scalars(select(User).where(User.username.in_(names))).all()
    assert len(users) == len(names)
    # The administrator comes from the first start; one hash is shared by every other user,
    # so checking it once checks them all.
    others = [u for u in users if u.username != "admin"]
    assert len({u.password_hash for u in others}) == 1
    assert others[0].check_password(PASSWORD)
    assert next(u for u in users if u.username == "admin").check_password(PASSWORD)
    assert not any(u.display_name.isascii() for u in users)  # Chinese display names

    def org_of(username):
        return user(demo, username).roles[0].organisation

    unit1, unit2, unit3 = org_of("unit1"), org_of("unit2"), org_of("unit3")
    assert unit1.kind == unit2.kind == unit3.kind == "unit"
    assert unit1.committee() == unit2.committee() == org_of("committee1")
    assert unit3.committee() == org_of("committee2") != org_of("committee1")
    departments = [org_of(u) for u in names if u.startswith("dept-")]
    assert len(departments) == 6
    assert {d.kind for d in departments} == {"department"}

    fed = federation(demo)
    orgs = demo.scalars(select(Organisation).where(Organisation.path.startswith(fed.path))).all()
    assert Counter(o.kind for o in orgs) == {
        "federation": 1,
        "committee": 7,
        "unit": 14,
        "department": 6,
    }
    for org in orgs:
        assert org.path.endswith(f"/{org.id}/")
        if org is not fed:
            assert org.parent.kind == ("committee" if org.kind == "unit" else "federation")
    units = [o.id for o in orgs if o.kind == "unit"]
    assert demo.scalar(select(func.count(Team.id)).where(Team.unit_id.in_(units))) == 8


def test_current_campaign_is_open_with_states_spread(demo):
    _, current = campaigns(demo)
    today = NOW.astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert current.status == "open" and current.year == today.year
    assert today < current.nomination_deadline <= date.fromordinal(today.toordinal() + 42)
    assert {a.kind for a in current.awards} == {"individual", "unit", "team"}
    assert current.objection_contact["body"] == "朝阳区总工会劳模办"
    assert current.objection_contact["phone"].startswith("010-")

    places = Counter()
    for quota in demo.scalars(select(Quota).where(Quota.campaign_id == current.id)):
        places[quota.kind] += quota.places
    assert places == {"individual": 25, "unit": 6, "team": 12}

    rows = demo.scalars(select(Nomination).where(Nomination.campaign_id == current.id)).all()
    assert Counter(n.state for n in rows) == CURRENT_STATES
    assert Counter(n.kind for n in rows) == {"individual": 15, "unit": 2, "team": 6}

    cal = calendar()
    for n in rows:
        opinions = n.evidence.get("opinions", [])
        if n.state in ("returned", "rejected", "withdrawn"):
            assert opinions[-1]["text"], n.nominee_name
        unit_files = {a.purpose for a in n.attachments if a.objection_id is None}
        if n.state != "draft" and n.evidence.get("unit_recommendation"):
            # Recommended: with every file its definition requires (DOMAIN.md §7).
            recommend = engine.workflow_for(n).transition("draft", "recommend")
            assert recommend is not None
            assert set(recommend.required_files) <= unit_files, n.nominee_name
            assert {"congress_minutes", "unit_notice", "deeds"} <= unit_files, n.nominee_name
        if n.state not in ("draft", "withdrawn"):
            rec = n.evidence["unit_recommendation"]
            start = date.fromisoformat(rec["notice_start"])
            end = date.fromisoformat(rec["notice_end"])
            assert cal.working_days_between(start, end) >= 5
            assert end < today
            assert rec["votes_for"] * 2 > rec["members_present"]
    notice = [n for n in rows if n.state == "public_notice"]
    # Opened on Wednesday 18 November 2026: five working days close on Tuesday 24th, 17:00.
    assert {(n.timer_trigger, n.timer_due_at) for n in notice} == {
        ("close_notice", datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    }
    (objected,) = [n for n in rows if n.state == "objection_review"]
    assert [o.status for o in objected.objections] == ["open"]


def test_archive_holds_last_years_honours(demo):
    previous, _ = campaigns(demo)
    assert previous.status == "closed"
    rows = demo.scalars(select(Nomination).where(Nomination.campaign_id == previous.id)).all()
    assert Counter(n.state for n in rows) == {"approved": 10, "rejected": 1}
    records = demo.scalars(
        select(HonourRecord).where(HonourRecord.nomination_id.in_([n.id for n in rows]))
    ).all()
    assert len(records) == 10
    assert Counter(r.kind for r in records) == {"individual": 6, "unit": 2, "team": 2}
    assert {r.year for r in records} == {previous.year}
    assert all(r.decision_number and r.decision_date.year == previous.year for r in records)
    # The path was walked on last year's dates, not all at once today.
    approvals = demo.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "transition.approve", AuditEvent.campaign_id == previous.id
        )
    ).all()
    assert len(approvals) == 10
    assert {e.occurred_at.year for e in approvals} == {previous.year}


def test_loading_twice_changes_nothing_and_the_chain_verifies(session):
    def counts():
        return {
            table.name: session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }

    def actions():
        return Counter(session.scalars(select(AuditEvent.action)).all())

    empty, empty_actions = counts(), actions()
    assert load_demo(session, password=PASSWORD, now=NOW) is True
    loaded = counts()
    assert loaded["nomination"] - empty["nomination"] == 34
    assert loaded["user_account"] - empty["user_account"] == len(DEMO_USERS)
    assert loaded["honour_record"] - empty["honour_record"] == 10

    assert load_demo(session, password="another password", now=NOW) is False
    assert counts() == loaded
    assert user(session, "admin").check_password(PASSWORD)

    result = verify_chain(session)
    assert result.ok, result
    # Organisations, users, quotas and every step are recorded in the chain.
    added = actions() - empty_actions
    assert added["organisation.create"] == 28
    assert added["team.create"] == 8
    assert added["user.create"] == len(DEMO_USERS)
    assert added["campaign.create"] == 2
    assert added["quota.set"] == 2 * 21
    assert added["nomination.create"] == 34
    assert added["transition.recommend"] == 30
    assert added["transition.approve"] == 10


def test_the_demo_joins_an_installation_set_up_already(session, create_org, create_user):
    from nomination.models import InstanceSettings

    other = create_org("XC-ZGH", "federation", name="西城区总工会")
    create_user("xc-admin", [("admin", other)])
    assert load_demo(session, password=PASSWORD, now=NOW) is True
    admin = session.scalar(select(User).where(User.username == "admin"))
    assert admin.check_password(PASSWORD)
    assert [(r.role, r.organisation.code) for r in admin.roles] == [("admin", "CY-ZGH")]
    # The installation was set up before the demo came: the demo does not set it up again.
    assert session.get(InstanceSettings, 1) is None
