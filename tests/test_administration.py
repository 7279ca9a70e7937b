"""Administration operations: organisations, users, campaigns, and each one's refusals."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from nomination.actors import SYSTEM
from nomination.administration.campaigns import (
    copy_campaign,
    create_campaign,
    move_campaign,
    quota_used,
    set_awards,
    set_judges,
    set_quota,
    update_campaign,
)
from nomination.administration.organisations import (
    create_organisation,
    fingerprint,
    move_organisation,
    set_organisation_active,
    update_organisation,
)
from nomination.administration.people import (
    create_user,
    issue_temporary_password,
    password_link_token,
    set_password_from_link,
    set_user_active,
    update_user,
    user_for_link,
)
from nomination.errors import Conflict, InvalidData, PermissionDenied
from nomination.models import AuditEvent, Nomination
from nomination.models.audit import AuditPersonal
from nomination.permissions import can_fire, can_view_nomination
from tests.factories import PASSWORD

#: A valid unified social credit code (python-stdnum's own example).
USCC = "91110000600037341L"


def last_event(session, action):
    return session.scalar(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq.desc())
    )


def _unit(session, tree, code="U9", **kw):
    return create_organisation(
        session,
        actor=tree.users["admin"],
        code=code,
        name=kw.pop("name", "新单位"),
        kind="unit",
        parent=kw.pop("parent", tree.committee1),
        **kw,
    )


# --- organisations -------------------------------------------------------------------------


def test_a_unit_is_created_with_its_credit_code_and_contact_kept_as_personal_data(session, tree):
    unit = _unit(
        session, tree, uscc=USCC.lower(), contact_person="王联络", contact_phone="13910000001"
    )
    assert unit.uscc == USCC and unit.contact_phone == "+8613910000001"
    assert unit.path == f"{tree.committee1.path}{unit.id}/"
    event = last_event(session, "organisation.create")
    assert "王联络" not in event.payload and "13910000001" not in event.payload
    kept = session.scalars(select(AuditPersonal.value).where(AuditPersonal.seq == event.seq))
    assert '"王联络"' in set(kept)


def test_every_wrong_field_of_an_organisation_is_named_at_once(session, tree):
    _unit(session, tree, uscc=USCC)
    with pytest.raises(InvalidData) as caught:
        create_organisation(
            session,
            actor=tree.users["admin"],
            code="U1",
            name="",
            kind="unit",
            parent=tree.federation.parent,
            uscc=USCC,
            contact_phone="12",
        )
    assert set(caught.value.fields) == {"code", "name", "parent", "uscc", "contact_phone"}
    with pytest.raises(InvalidData) as caught:
        _unit(session, tree, code="U10", uscc="911100006000373410")
    assert "uscc" in caught.value.fields


def test_only_an_administrator_administers_organisations(session, tree):
    for name in ("federation", "auditor", "unit1", "approver"):
        with pytest.raises(PermissionDenied):
            create_organisation(
                session,
                actor=tree.users[name],
                code="X1",
                name="X",
                kind="unit",
                parent=tree.committee1,
            )


def test_renaming_is_audited_with_before_and_after_and_a_stale_form_is_a_conflict(session, tree):
    seen = fingerprint(tree.unit1)
    changed = update_organisation(
        tree.unit1, actor=tree.users["admin"], name="单位一(更名)", expected=seen
    )
    assert changed == ["name", "name_en"]
    event = last_event(session, "organisation.update")
    assert "单位一(更名)" in event.payload and '"单位一"' in event.payload
    with pytest.raises(Conflict):
        update_organisation(tree.unit1, actor=tree.users["admin"], name="再改", expected=seen)


def test_a_moved_unit_takes_its_open_nominations_to_the_new_committee(
    session, tree, create_nomination_for
):
    nomination = create_nomination_for("unit1")
    committee2 = tree.users["committee2"]
    assert not can_view_nomination(committee2, nomination)
    following = move_organisation(
        tree.unit1, actor=tree.users["admin"], parent=tree.committee2, reason="隶属关系调整"
    )
    assert following == [nomination.id]
    session.refresh(tree.unit1)
    assert tree.unit1.path.startswith(tree.committee2.path)
    nomination = session.get(Nomination, nomination.id)
    assert can_view_nomination(committee2, nomination)
    assert not can_view_nomination(tree.users["committee1"], nomination)
    event = last_event(session, "organisation.move")
    assert f'"nominations":[{nomination.id}]' in event.payload and "隶属关系调整" in event.payload


def test_a_move_needs_a_reason_and_a_committee(session, tree):
    with pytest.raises(InvalidData) as caught:
        move_organisation(tree.unit1, actor=tree.users["admin"], parent=tree.unit2, reason=" ")
    assert set(caught.value.fields) == {"parent", "reason"}


def test_deactivating_keeps_history_and_refuses_a_committee_with_active_units(
    session, tree, create_nomination_for
):
    with pytest.raises(Conflict):
        set_organisation_active(
            tree.committee2, actor=tree.users["admin"], active=False, reason="撤并"
        )
    set_organisation_active(tree.unit3, actor=tree.users["admin"], active=False, reason="注销")
    set_organisation_active(tree.committee2, actor=tree.users["admin"], active=False, reason="撤并")
    assert not tree.unit3.active
    with pytest.raises(Conflict):
        set_organisation_active(tree.unit3, actor=tree.users["admin"], active=True, reason="恢复")
    # A deactivated unit takes no new nomination.
    with pytest.raises(PermissionDenied):
        create_nomination_for("unit3")


# --- users ---------------------------------------------------------------------------------


def test_a_user_gets_roles_with_their_scope(session, tree):
    with pytest.raises(InvalidData) as caught:
        create_user(
            session,
            actor=tree.users["admin"],
            username="x",
            display_name="",
            roles=[("unit_submitter", tree.committee1), ("federation_reviewer", tree.unit1)],
            password="short",
        )
    assert set(caught.value.fields) == {"username", "display_name", "roles", "password"}
    assert len(caught.value.fields["roles"]) == 2


@pytest.mark.parametrize(
    "roles",
    [
        [("admin", "federation"), ("federation_reviewer", "federation")],
        [("admin", "federation"), ("judge", "federation")],
        [("admin", "federation"), ("unit_submitter", "unit1")],
        [("admin", "federation"), ("auditor", "federation")],
    ],
)
def test_duties_stay_separate(session, tree, roles):
    with pytest.raises(InvalidData) as caught:
        create_user(
            session,
            actor=tree.users["admin"],
            username="combined",
            display_name="兼职",
            roles=[(role, getattr(tree, org)) for role, org in roles],
            password=PASSWORD,
        )
    assert (
        "separation of duties" in caught.value.fields["roles"][0]
        or "职责分离" in (caught.value.fields["roles"][0])
    )


def test_an_administrator_never_fires_a_transition(session, tree, create_nomination_for):
    from nomination import engine

    nomination = create_nomination_for("unit1")
    admin = tree.users["admin"]
    wf = engine.workflow_for(nomination)
    assert not any(can_fire(admin, nomination, t) for t in wf.transitions)


def test_the_last_active_administrator_stays(session, tree):
    admin = tree.users["admin"]
    with pytest.raises(Conflict):
        set_user_active(admin, actor=admin, active=False, reason="离职")
    with pytest.raises(Conflict):
        update_user(
            admin,
            actor=admin,
            display_name="admin",
            email=None,
            roles=[("federation_reviewer", tree.federation)],
        )
    second = create_user(
        session,
        actor=admin,
        username="admin2",
        display_name="第二管理员",
        roles=[("admin", tree.federation)],
        password=PASSWORD,
    )
    set_user_active(admin, actor=second, active=False, reason="离职")
    assert not admin.active
    with pytest.raises(Conflict):
        set_user_active(second, actor=SYSTEM, active=False, reason="离职")


def test_a_temporary_password_must_be_changed_and_ends_the_old_one(session, tree):
    from nomination.accounts import change_password

    user = tree.users["unit1"]
    password = issue_temporary_password(user, actor=tree.users["admin"])
    assert user.must_change_password and user.check_password(password)
    assert not user.check_password(PASSWORD)
    change_password(user, actor=user, password="my own password")
    assert not user.must_change_password


def test_a_password_link_works_once(app, session, tree):
    user = tree.users["unit2"]
    with app.test_request_context():
        token = password_link_token(user, actor=tree.users["admin"])
        assert user_for_link(session, token) is user
        set_password_from_link(session, token, "a brand new password")
        assert user.check_password("a brand new password")
        with pytest.raises(Conflict):
            user_for_link(session, token)
        with pytest.raises(Conflict):
            user_for_link(session, token[:-2] + "xx")


def test_user_details_are_personal_data_in_the_audit(session, tree):
    create_user(
        session,
        actor=tree.users["admin"],
        username="li.si",
        display_name="李四",
        email="lisi@example.org",
        roles=[("unit_submitter", tree.unit1)],
        password=PASSWORD,
    )
    event = last_event(session, "user.create")
    assert "李四" not in event.payload and "lisi@example.org" not in event.payload
    assert '["unit_submitter","U1"]' in event.payload


# --- campaigns -----------------------------------------------------------------------------


def _draft(session, tree, **kw):
    return copy_campaign(
        tree.campaign,
        actor=tree.users["admin"],
        year=kw.pop("year", 2027),
        name=kw.pop("name", "2027年评选"),
        nomination_deadline=kw.pop("deadline", date(2027, 12, 31)),
    )


def test_copying_last_years_campaign_keeps_its_rules_awards_and_quotas(session, tree):
    draft = _draft(session, tree)
    assert draft.status == "draft" and draft.year == 2027
    assert [a.kind for a in draft.awards] == [a.kind for a in tree.campaign.awards]
    assert draft.objection_contact == tree.campaign.objection_contact
    assert {(q.committee_id, q.kind, q.places) for q in draft.quotas} == {
        (tree.committee1.id, "individual", 2)
    }
    assert f'"copied_from":{tree.campaign.id}' in last_event(session, "campaign.create").payload


def test_a_draft_takes_no_nomination_until_it_opens(session, tree):
    from nomination.nominations.operations import create_nomination
    from tests.factories import person_data

    draft = _draft(session, tree)
    with pytest.raises(Conflict):
        create_nomination(
            session,
            actor=tree.users["unit1"],
            campaign=draft,
            kind="individual",
            unit=tree.unit1,
            data=person_data(),
        )
    move_campaign(draft, actor=tree.users["admin"], action="open")
    assert draft.status == "open"
    assert '"pinned"' in last_event(session, "campaign.open").payload
    with pytest.raises(Conflict):
        move_campaign(draft, actor=tree.users["admin"], action="archive")
    move_campaign(draft, actor=tree.users["admin"], action="close")
    move_campaign(draft, actor=tree.users["admin"], action="archive")
    with pytest.raises(Conflict):
        update_campaign(draft, actor=tree.users["admin"], notice_working_days=7)


def test_campaign_settings_are_checked_field_by_field(session, tree):
    with pytest.raises(InvalidData) as caught:
        update_campaign(
            tree.campaign,
            actor=tree.users["admin"],
            name="",
            notice_working_days=0,
            pool_percent=90,
            selection_rule="3/4",
            composition={"women": {"min": 30, "max": 20}, "unknown": {}},
            consultation_rules=[{"departments": ["NOPE"]}],
        )
    assert set(caught.value.fields) == {
        "name",
        "notice_working_days",
        "pool_percent",
        "selection_rule",
        "composition",
        "consultation_rules",
    }
    changed = update_campaign(
        tree.campaign, actor=tree.users["admin"], notice_working_days=7, leader_share_max=20
    )
    assert changed == ["notice_working_days", "leader_share_max"]


def test_what_nominations_rely_on_cannot_change(session, tree, create_nomination_for):
    from nomination import engine

    nomination = create_nomination_for("unit1")
    engine.fire(nomination, "recommend", tree.users["unit1"], data=_recommendation())
    assert quota_used(session, tree.campaign, tree.unit1, "individual") == 1
    with pytest.raises(InvalidData) as caught:
        set_quota(
            session,
            actor=tree.users["admin"],
            campaign=tree.campaign,
            committee=tree.unit1,
            kind="individual",
            places=0,
        )
    assert "places" in caught.value.fields
    with pytest.raises(InvalidData):
        set_awards(tree.campaign, actor=tree.users["admin"], awards={"unit": ("奖状", None)})
    with pytest.raises(InvalidData):
        update_campaign(tree.campaign, actor=tree.users["admin"], year=2025)


def _recommendation():
    from tests.factories import recommendation

    return recommendation()


def test_the_selection_committee_has_judges_and_a_chair_among_them(session, tree):
    admin = tree.users["admin"]
    judge = tree.users["judge1"]
    with pytest.raises(InvalidData) as caught:
        set_judges(tree.campaign, actor=admin, members=[judge, tree.users["unit1"]], chair=None)
    assert set(caught.value.fields) == {"members", "chair"}
    set_judges(tree.campaign, actor=admin, members=[judge], chair=judge)
    assert [(j.user_id, j.chair) for j in tree.campaign.judges] == [(judge.id, True)]
    # Naming the same committee again changes nothing and is not audited twice.
    before = last_event(session, "campaign.judges").seq
    set_judges(tree.campaign, actor=admin, members=[judge], chair=judge)
    assert last_event(session, "campaign.judges").seq == before


def test_a_new_campaign_names_every_wrong_field(session, tree):
    with pytest.raises(InvalidData) as caught:
        create_campaign(
            session,
            actor=tree.users["admin"],
            year=1999,
            name=tree.campaign.name,
            federation=tree.federation,
            nomination_deadline=date(2027, 1, 1),
            awards={"individual": ("", None), "nonsense": ("x", None)},
            status="draft",
        )
    assert set(caught.value.fields) == {"year", "name", "awards", "award_individual"}
