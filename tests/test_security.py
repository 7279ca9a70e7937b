"""Hardening found in review: CSRF by how the caller authenticated, login limits, scopes."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from test_engine_rules import advance

from nomination.accounts import change_password, create_api_token
from nomination.actors import PUBLIC, SYSTEM
from nomination.administration.campaigns import create_campaign
from nomination.administration.organisations import create_organisation
from nomination.administration.people import create_user
from nomination.audit.chain import REDACTED, event_views, verify_chain
from nomination.audit.erasure import erase_person
from nomination.engine import fire
from nomination.models import ApiToken, AuditEvent
from nomination.nominations.queries import visible_nominations
from nomination.permissions import can_view_nomination
from nomination.selection.operations import open_round

from factories import PASSWORD


def last_event(session, action):
    return session.scalar(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq.desc())
    )


def test_an_invalid_bearer_header_does_not_skip_csrf_for_a_cookie(
    client, session, tree, app, monkeypatch
):
    session.commit()
    assert client.post("/login", data={"username": "unit1", "password": PASSWORD}).status_code
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    body = {"campaign_id": tree.campaign.id, "award_kind": "individual", "data": {}}
    forged = client.post(
        "/api/v1/nominations", json=body, headers={"Authorization": "Bearer not-a-token"}
    )
    assert forged.status_code == 400  # the cookie authenticated: the CSRF token is required


def test_login_is_limited_per_address_across_names(client, session, tree, app, monkeypatch):
    session.commit()
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ADDRESS", 3)
    for name in ("unit1", "unit2", "unit3"):
        response = client.post("/login", data={"username": name, "password": "Password1"})
        assert response.status_code == 200
    # A fourth name, with the right password even, from the same address is refused.
    refused = client.post("/login", data={"username": "federation", "password": PASSWORD})
    assert refused.status_code == 429
    other_address = client.post(
        "/login",
        data={"username": "federation", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert other_address.status_code == 302


def test_unknown_login_names_are_kept_only_as_a_hash(client, session, tree):
    session.commit()
    client.post("/login", data={"username": "my secret password", "password": "x"})
    event = last_event(session, "auth.login_failed")
    assert "my secret password" not in event.payload
    assert event.entity_id.startswith("unknown:")
    client.post("/login", data={"username": "unit1", "password": "x"})
    assert last_event(session, "auth.login_failed").entity_id == "unit1"


def test_password_change_revokes_api_tokens(session, tree):
    user = tree.users["unit1"]
    create_api_token(session, user, name="sync", actor=user)
    change_password(user, actor=user, password="a much better password")
    tokens = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    assert tokens and all(t.revoked_at is not None for t in tokens)


def test_departments_and_judges_see_only_their_own_federation(session, tree, create_nomination_for):
    other_fed = create_organisation(
        session, actor=SYSTEM, code="F2", name="另一区总工会", kind="federation"
    )
    committee = create_organisation(
        session, actor=SYSTEM, code="F2C", name="工委", kind="committee", parent=other_fed
    )
    unit = create_organisation(
        session, actor=SYSTEM, code="F2U", name="单位", kind="unit", parent=committee
    )
    dept = create_organisation(
        session, actor=SYSTEM, code="F2D", name="人社局", kind="department", parent=other_fed
    )
    other_dept_user = create_user(
        session,
        actor=SYSTEM,
        username="f2-dept",
        display_name="f2-dept",
        roles=[("department", dept)],
        password_hash="x",
    )
    other_judge = create_user(
        session,
        actor=SYSTEM,
        username="f2-judge",
        display_name="f2-judge",
        roles=[("judge", other_fed)],
        password_hash="x",
    )
    in_consultation = create_nomination_for()
    advance(in_consultation, tree, "consultation")
    in_selection = create_nomination_for(unit_user="unit2")
    advance(in_selection, tree, "selection")
    # Judges read what they judge: judge1 sits in the round that votes on it.
    judge1 = tree.users["judge1"]
    open_round(
        session,
        tree.campaign,
        "individual",
        tree.users["federation"],
        judge_ids=[judge1.id],
        chair_id=judge1.id,
        nomination_ids=[in_selection.id],
    )

    # A department answers requests addressed to it and reads no nomination in full.
    assert not can_view_nomination(tree.users["dept-hr"], in_consultation)
    assert not can_view_nomination(tree.users["dept-hr"], in_selection)
    assert can_view_nomination(tree.users["judge1"], in_selection)
    assert not can_view_nomination(tree.users["judge1"], in_consultation)
    for outsider in (other_dept_user, other_judge):
        assert not can_view_nomination(outsider, in_consultation)
        assert not can_view_nomination(outsider, in_selection)
        assert session.scalars(visible_nominations(outsider)).all() == []
    assert unit.path.startswith(other_fed.path)


def test_objection_reference_stays_out_of_the_history(session, tree, create_nomination_for):
    n = create_nomination_for()
    advance(n, tree, "public_notice")
    fire(
        n,
        "object",
        PUBLIC,
        data={
            "objector_name": "钱某",
            "objector_phone": "13800138001",
            "objector_address": "北京市朝阳区某路2号",
            "facts": "所报业绩与实际不符,存在夸大。",
        },
    )
    event = last_event(session, "transition.object")
    reference = n.objections[0].reference
    assert reference not in event.payload
    assert "钱某" not in event.payload and "13800138001" not in event.payload


def test_only_administrators_administer(session, tree):
    from nomination.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        create_organisation(
            session,
            actor=tree.users["federation"],
            code="X",
            name="X",
            kind="unit",
            parent=tree.committee1,
        )
    with pytest.raises(PermissionDenied):
        create_campaign(
            session,
            actor=tree.users["unit1"],
            year=2027,
            name="x",
            federation=tree.federation,
            nomination_deadline=date(2027, 3, 1),
            awards={"individual": ("奖章", "Medal")},
        )
    created = create_organisation(
        session,
        actor=tree.users["admin"],
        code="X",
        name="X",
        kind="unit",
        parent=tree.committee1,
    )
    assert created.path.startswith(tree.committee1.path)


def test_login_addresses_are_erasable_personal_data(client, session, tree):
    session.commit()
    address = "203.0.113.77"
    client.post(
        "/login",
        data={"username": "unit1", "password": "wrong"},
        environ_base={"REMOTE_ADDR": address},
    )
    client.post(
        "/login",
        data={"username": "unit1", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": address},
    )
    failed, ok = last_event(session, "auth.login_failed"), last_event(session, "auth.login")
    for event in (failed, ok):
        # Only a salted commitment enters the hashed record; the auditor still reads it.
        assert address not in event.payload
        assert event_views(session, [event])[0].after == {"client": {"address": address}}
    # Failures are counted under a keyed pseudonym, not the address.
    assert failed.comment.startswith("client:") and address not in failed.comment
    erase_person(session, subject=f"user:{tree.users['unit1'].id}", reason="test", actor=SYSTEM)
    assert event_views(session, [ok])[0].after == {"client": {"address": REDACTED}}
    assert verify_chain(session).ok


@pytest.fixture
def hash_checks(monkeypatch):
    """Count the password hashes checked (werkzeug's check, wherever it is called from)."""
    import werkzeug.security

    import nomination.accounts
    import nomination.models.users

    checked: list[str] = []

    def counting(pwhash: str, password: str) -> bool:
        checked.append(pwhash.split("$", 1)[0])
        return werkzeug.security.check_password_hash(pwhash, password)

    monkeypatch.setattr(nomination.models.users, "check_password_hash", counting)
    monkeypatch.setattr(nomination.accounts, "check_password_hash", counting, raising=False)
    return checked


def test_an_unknown_login_name_costs_the_same_password_check(client, session, tree, hash_checks):
    session.commit()
    known = client.post("/login", data={"username": "unit1", "password": "wrong password"})
    assert known.status_code == 200 and len(hash_checks) == 1
    unknown = client.post("/login", data={"username": "nobody-here", "password": "wrong"})
    assert unknown.status_code == 200
    # One scrypt check each: how long a refusal takes does not tell which names exist.
    assert hash_checks == ["scrypt:32768:8:1", "scrypt:32768:8:1"]


def test_an_inactive_account_costs_the_same_password_check(client, session, tree, hash_checks):
    tree.users["unit2"].active = False
    session.commit()
    refused = client.post("/login", data={"username": "unit2", "password": PASSWORD})
    assert refused.status_code == 200
    assert len(hash_checks) == 1


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/nominations", {"GET", "POST"}),
        ("PUT", "/login", {"GET", "POST"}),
        ("GET", "/logout", {"POST"}),
    ],
)
def test_a_405_names_the_allowed_methods(client, session, method, path, allowed):
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_a_bearer_post_to_an_unknown_url_is_404_not_a_csrf_error(
    client, session, tree, app, monkeypatch
):
    token = create_api_token(session, tree.users["unit1"], name="t", actor=tree.users["unit1"])
    session.commit()
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    bearer = {"Authorization": f"Bearer {token}"}
    api = client.post("/api/v1/no-such-thing", json={}, headers=bearer)
    assert api.status_code == 404 and api.json["error"]["code"] == "not_found"
    assert client.post("/no-such-page", data={}).status_code == 404


def test_a_form_refused_for_its_csrf_token_shows_back_what_was_typed(
    client, session, tree, app, monkeypatch
):
    session.commit()
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    deeds = "二〇二五年带领班组完成热网改造,节能百分之十二。" * 20
    # The browser logged out in another tab: the session holds no CSRF token any more.
    response = client.post(
        "/nominations/new",
        data={"csrf_token": "stale", "name": "张某某", "deeds": deeds},
        headers={"Referer": "http://localhost/nominations/new", "Accept-Language": "en"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "log in again in another tab" in page.lower()
    assert deeds in page and "张某某" in page
    assert "stale" not in page
    zh = client.post(
        "/nominations/new", data={"deeds": deeds}, headers={"Accept-Language": "zh-CN"}
    )
    assert "重新登录" in zh.get_data(as_text=True)


def test_an_api_csrf_failure_is_json(client, session, tree, app, monkeypatch):
    session.commit()
    client.post("/login", data={"username": "unit1", "password": PASSWORD})
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post("/api/v1/nominations", json={})
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "bad_request" and "X-CSRFToken" in error["message"]


@pytest.mark.parametrize(
    ("language", "words"), [("zh-CN", "找不到这个页面"), ("en", "This page was not found")]
)
def test_a_404_page_speaks_the_readers_language(client, session, language, words):
    response = client.get("/no-such-page", headers={"Accept-Language": language})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert words in page
    assert "requested URL was not found" not in page


def test_a_413_page_speaks_the_readers_language(client, session, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    big = {"deeds": "x" * (2 * 1024 * 1024)}
    zh = client.post("/login", data=big, headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 413
    assert "提交的内容过大" in zh.get_data(as_text=True)
    en = client.post("/login", data=big, headers={"Accept-Language": "en"})
    assert "too large (at most 1 MB" in en.get_data(as_text=True)


def test_a_login_refused_for_its_csrf_token_never_shows_the_password(
    client, session, tree, app, monkeypatch
):
    session.commit()
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post(
        "/login", data={"csrf_token": "stale", "username": "unit1", "password": "s3cret-typed"}
    )
    assert response.status_code == 400
    assert "s3cret-typed" not in response.get_data(as_text=True)
