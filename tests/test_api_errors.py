"""API errors: 400, 401, 403, 404, 409 and 422, each in the one JSON error shape."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from nomination.accounts import revoke_api_tokens
from nomination.audit.chain import verify_chain
from nomination.engine import apply_due_timers
from nomination.engine.registry import EFFECTS
from nomination.models import AuditEvent, AuditHead, HonourRecord, Nomination

from factories import DECIDED_AT, person_data, recommendation
from test_api_support import Api


@pytest.fixture
def api(client, session, tree) -> Api:
    return Api(client, session, tree)


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.json["error"]
    assert error["code"] == code
    assert error["message"]
    assert isinstance(error["fields"], dict)
    return error


def denials(session) -> int:
    return session.scalar(
        select(func.count(AuditEvent.seq)).where(AuditEvent.action == "auth.denied")
    )


# --- 401 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/me"),
        ("GET", "/campaigns"),
        ("GET", "/nominations"),
        ("POST", "/nominations"),
        ("GET", "/nominations/1"),
        ("PATCH", "/nominations/1"),
        ("POST", "/nominations/1/transitions"),
        ("GET", "/nominations/1/history"),
        ("GET", "/audit/verify"),
    ],
)
def test_protected_endpoints_answer_401_not_a_redirect(api, method, path):
    response = api.call(method, path, json={})
    assert_error(response, 401, "unauthorized")
    assert "Location" not in response.headers
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_or_revoked_token_is_401(api, session, tree):
    bad = api.get("/me", headers={"Authorization": "Bearer nom_not-a-token"})
    assert_error(bad, 401, "unauthorized")
    revoke_api_tokens(session, tree.users["unit1"], actor=tree.users["admin"])
    session.commit()
    assert_error(api.get("/me", "unit1"), 401, "unauthorized")
    assert api.get("/me", "unit2").status_code == 200


# --- 400 -------------------------------------------------------------------------------------


def test_non_json_body_is_400(api, tree):
    not_json = api.post("/nominations", "unit1", data="campaign_id=1", content_type="text/plain")
    assert_error(not_json, 400, "bad_request")
    broken = api.post("/nominations", "unit1", data="{", content_type="application/json")
    assert_error(broken, 400, "bad_request")
    a_list = api.post("/nominations", "unit1", json=[tree.campaign.id])
    assert_error(a_list, 400, "bad_request")


# --- 403 -------------------------------------------------------------------------------------


def test_firing_without_the_role_is_403_and_audited(api, session):
    n = api.create("unit1")
    before = denials(session)
    # The committee sees the draft but only the unit may recommend it.
    error = assert_error(
        api.post(
            f"/nominations/{n['id']}/transitions",
            "committee1",
            json={"trigger": "recommend", "version": n["version"], **recommendation()},
        ),
        403,
        "forbidden",
    )
    assert "recommend" in error["message"]
    assert denials(session) == before + 1
    assert session.get(Nomination, n["id"]).state == "draft"


def test_a_colleague_acting_first_is_a_conflict_not_a_refusal(api, session):
    n = api.fire(api.create("unit1"), "unit1", "recommend", **recommendation())
    moved = api.fire(n, "committee1", "forward", comment="同意推荐")
    assert moved["state"]["name"] == "federation_review"
    before = denials(session)
    # The same reviewer's other window returns it, with the version it read: from the state
    # it is in now only the federation may return it, but what happened is a race.
    error = assert_error(
        api.post(
            f"/nominations/{n['id']}/transitions",
            "committee1",
            json={"trigger": "return_to_unit", "version": n["version"], "reason": "请补充材料"},
        ),
        409,
        "conflict",
    )
    assert error["version"] == moved["version"]
    assert denials(session) == before


def test_editing_not_yours_or_not_editable_is_403(api):
    n = api.create("unit1")
    committee_edit = api.patch(
        f"/nominations/{n['id']}",
        "committee1",
        json={"version": n["version"], "data": {"post": "改"}},
    )
    assert_error(committee_edit, 403, "forbidden")
    n = api.fire(n, "unit1", "recommend", **recommendation())
    late_edit = api.patch(
        f"/nominations/{n['id']}", "unit1", json={"version": n["version"], "data": {"post": "改"}}
    )
    assert_error(late_edit, 403, "forbidden")


def test_audit_verify_is_for_auditors_only(api, session):
    before = denials(session)
    for user in ("unit1", "committee1", "federation", "approver"):
        assert_error(api.get("/audit/verify", user), 403, "forbidden")
    assert denials(session) == before + 4
    assert api.get("/audit/verify", "auditor").status_code == 200


def test_creating_for_another_unit_is_403(api, tree):
    response = api.post(
        "/nominations",
        "unit1",
        json={
            "campaign_id": tree.campaign.id,
            "award_kind": "individual",
            "unit_id": tree.unit2.id,
            "data": person_data(),
        },
    )
    assert_error(response, 403, "forbidden")
    # Reviewers nominate for no unit at all.
    response = api.post(
        "/nominations",
        "committee1",
        json={"campaign_id": tree.campaign.id, "award_kind": "individual", "data": {}},
    )
    assert_error(response, 403, "forbidden")


# --- 404 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("outsider", ["unit2", "unit3", "committee2", "judge1", "dept-hr"])
def test_another_units_nomination_is_404_like_a_missing_one(api, outsider):
    n = api.create("unit1")
    missing = api.get("/nominations/999999", outsider)
    assert_error(missing, 404, "not_found")
    for method, suffix, body in [
        ("GET", "", None),
        ("GET", "/history", None),
        ("PATCH", "", {"version": n["version"], "data": {"post": "x"}}),
        ("POST", "/transitions", {"trigger": "recommend", "version": n["version"]}),
    ]:
        response = api.call(method, f"/nominations/{n['id']}{suffix}", outsider, json=body)
        assert_error(response, 404, "not_found")
        # The same answer as for a nomination that does not exist: nothing is revealed.
        assert response.json == missing.json
    assert api.get(f"/nominations/{n['id']}", "committee1").status_code == 200


def test_unknown_api_path_is_json_404(api):
    assert_error(api.get("/no-such-thing", "unit1"), 404, "not_found")


# --- 409 -------------------------------------------------------------------------------------


def test_stale_version_is_409(api, session):
    n = api.create("unit1")
    edited = api.patch(
        f"/nominations/{n['id']}", "unit1", json={"version": n["version"], "data": {"post": "新"}}
    )
    assert edited.status_code == 200
    assert edited.json["version"] == n["version"] + 1
    # A second writer still holding the first version is refused, not silently applied.
    stale_edit = api.patch(
        f"/nominations/{n['id']}", "unit1", json={"version": n["version"], "data": {"post": "旧"}}
    )
    error = assert_error(stale_edit, 409, "conflict")
    assert error["version"] == edited.json["version"]
    stale_fire = api.post(
        f"/nominations/{n['id']}/transitions",
        "unit1",
        json={"trigger": "recommend", "version": n["version"], **recommendation()},
    )
    assert_error(stale_fire, 409, "conflict")
    row = session.get(Nomination, n["id"])
    assert row.data["post"] == "新"
    assert row.state == "draft"


def test_state_moved_on_is_409(api):
    n = api.create("unit1")
    n = api.fire(n, "unit1", "recommend", **recommendation())
    again = api.post(
        f"/nominations/{n['id']}/transitions",
        "unit1",
        json={"trigger": "recommend", "version": n["version"], **recommendation()},
    )
    error = assert_error(again, 409, "conflict")
    assert error["state"] == "committee_review"


# --- 422 -------------------------------------------------------------------------------------


def test_bad_id_number_is_422_naming_the_field(api, tree):
    response = api.post(
        "/nominations",
        "unit1",
        json={
            "campaign_id": tree.campaign.id,
            "award_kind": "individual",
            "data": person_data(id_number="110105194912310039", phone="12345"),
        },
    )
    error = assert_error(response, 422, "invalid")
    assert set(error["fields"]) == {"id_number", "phone"}
    assert error["fields"]["id_number"][0]


def test_bad_data_in_patch_is_422_and_changes_nothing(api, session):
    n = api.create("unit1")
    response = api.patch(
        f"/nominations/{n['id']}",
        "unit1",
        json={"version": n["version"], "data": {"id_number": "123", "unknown_key": 1}},
    )
    error = assert_error(response, 422, "invalid")
    assert set(error["fields"]) == {"id_number", "unknown_key"}
    assert session.get(Nomination, n["id"]).data["id_number"] == "110105194912310038"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"campaign_id", "award_kind"}),
        ({"campaign_id": "one", "award_kind": "individual"}, {"campaign_id"}),
        ({"campaign_id": True, "award_kind": "individual"}, {"campaign_id"}),
        ({"campaign_id": 999999, "award_kind": "individual"}, {"campaign_id"}),
        ({"award_kind": "individual", "data": []}, {"campaign_id", "data"}),
        ({"campaign_id": "CAMPAIGN", "award_kind": "medal"}, {"award_kind"}),
        ({"campaign_id": "CAMPAIGN", "award_kind": "individual", "name": "x"}, {"name"}),
        ({"campaign_id": "CAMPAIGN", "award_kind": "individual", "unit_id": 999999}, {"unit_id"}),
    ],
)
def test_bad_top_level_keys_are_422_naming_them(api, tree, body, fields):
    body = {k: tree.campaign.id if v == "CAMPAIGN" else v for k, v in body.items()}
    error = assert_error(api.post("/nominations", "unit1", json=body), 422, "invalid")
    assert set(error["fields"]) == fields


def test_transition_needs_trigger_and_version(api):
    n = api.create("unit1")
    error = assert_error(
        api.post(f"/nominations/{n['id']}/transitions", "unit1", json={"comment": "x"}),
        422,
        "invalid",
    )
    assert set(error["fields"]) == {"trigger", "version"}


def test_transition_form_errors_are_422_naming_the_fields(api):
    n = api.create("unit1")
    fields = recommendation()
    del fields["votes_for"]
    fields["notice_result"] = "maybe"
    error = assert_error(
        api.post(
            f"/nominations/{n['id']}/transitions",
            "unit1",
            json={"trigger": "recommend", "version": n["version"], **fields},
        ),
        422,
        "invalid",
    )
    assert set(error["fields"]) == {"votes_for", "notice_result"}


def test_guard_reasons_are_422(api, session):
    n = api.create("unit1")
    error = assert_error(
        api.post(
            f"/nominations/{n['id']}/transitions",
            "unit1",
            json={"trigger": "recommend", "version": n["version"], **recommendation(votes_for=50)},
        ),
        422,
        "guard_blocked",
    )
    assert len(error["reasons"]) == 1
    assert "50" in error["reasons"][0]
    assert session.get(Nomination, n["id"]).state == "draft"


def test_guard_reasons_show_before_firing(api):
    n = api.create("unit1", id_number=None)
    recommend = next(t for t in n["transitions"] if t["trigger"] == "recommend")
    assert recommend["allowed"] is False
    assert recommend["reasons"]
    assert_error(
        api.post(
            f"/nominations/{n['id']}/transitions",
            "unit1",
            json={"trigger": "recommend", "version": n["version"], **recommendation()},
        ),
        422,
        "guard_blocked",
    )


def test_bad_query_parameters_are_422(api):
    for query, name in [("limit=abc", "limit"), ("limit=0", "limit"), ("offset=-1", "offset")]:
        error = assert_error(api.get(f"/nominations?{query}", "unit1"), 422, "invalid")
        assert set(error["fields"]) == {name}


# --- 500 -------------------------------------------------------------------------------------


def test_a_request_that_fails_after_writing_leaves_nothing_behind(
    clock, api, session, app, monkeypatch
):
    n = api.walk_to_notice(api.create("unit1"))
    row = session.get(Nomination, n["id"])
    apply_due_timers(session, row.timer_due_at + timedelta(minutes=1))
    session.commit()
    n = api.get(f"/nominations/{n['id']}", "approver").json
    assert n["state"]["name"] == "final_approval"
    head = session.get(AuditHead, 1)
    head_before = (head.seq, head.hash)

    def explode(ctx):
        # The approval's changes reach the database before the archive fails.
        ctx.session.flush()
        raise RuntimeError("archive unavailable")

    monkeypatch.setitem(EFFECTS, "create_honour_record", explode)
    # Answer as in production (500) instead of raising into the test.
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    decision = {"decision_number": "京工发〔2026〕9号", "decision_date": "2026-11-27"}
    clock(DECIDED_AT)  # the decision follows the notice
    failed = api.post(
        f"/nominations/{n['id']}/transitions",
        "approver",
        json={"trigger": "approve", "version": n["version"], **decision},
    )
    assert failed.status_code == 500

    session.expire_all()
    row = session.get(Nomination, n["id"])
    assert (row.state, row.version, row.decision_number) == ("final_approval", n["version"], None)
    assert (
        session.scalar(
            select(func.count(HonourRecord.id)).where(HonourRecord.nomination_id == row.id)
        )
        == 0
    )
    head = session.get(AuditHead, 1)
    assert (head.seq, head.hash) == head_before
    assert verify_chain(session).ok

    # With the archive back, the same approval (same version) goes through.
    monkeypatch.undo()
    approved = api.fire(n, "approver", "approve", **decision)
    assert approved["state"]["name"] == "approved"


BEYOND = str(2**31)  # one past PostgreSQL's INTEGER, which every id column is


def test_an_id_past_the_databases_integers_is_404_not_500(api, client):
    assert_error(api.get(f"/nominations/{BEYOND}", "unit1"), 404, "not_found")
    assert_error(api.get(f"/nominations/{2**63}", "unit1"), 404, "not_found")
    # Also for the public, who need no login to reach an objection form.
    assert client.get(f"/notices/{BEYOND}/object").status_code == 404


def test_a_count_past_the_databases_integers_is_422_naming_it(api):
    error = assert_error(api.get(f"/nominations?offset={BEYOND}", "unit1"), 422, "invalid")
    assert "offset" in error["fields"]


@pytest.mark.parametrize(
    ("path", "field"),
    [("campaign_id", "campaign_id"), ("unit_id", "unit_id"), ("version", "version")],
)
def test_a_json_id_past_the_databases_integers_is_422_naming_it(api, tree, path, field):
    body = {"campaign_id": tree.campaign.id, "award_kind": "individual", "data": {}}
    body[path] = 2**31
    if path == "version":
        n = api.create("unit1")
        response = api.patch(f"/nominations/{n['id']}", "unit1", json={"version": 2**31})
    else:
        response = api.post("/nominations", "unit1", json=body)
    error = assert_error(response, 422, "invalid")
    assert field in error["fields"]


def test_a_nested_json_id_past_the_databases_integers_is_named_by_its_path(api):
    n = api.create("unit1")
    response = api.post(
        "/nominations/bulk-transitions",
        "unit1",
        json={"trigger": "recommend", "items": [{"id": n["id"], "version": 2**31}]},
    )
    error = assert_error(response, 422, "invalid")
    assert "items[0].version" in error["fields"]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PATCH", "/admin/campaigns/{campaign}", {"name": "名" * 201}, "name"),
        ("PATCH", "/admin/campaigns/{campaign}", {"name_en": "n" * 201}, "name_en"),
        (
            "PATCH",
            "/admin/campaigns/{campaign}",
            {"awards": {"individual": {"title": "奖" * 201}}},
            "award_individual",
        ),
        ("PATCH", "/admin/organisations/{unit}", {"contact_person": "人" * 101}, "contact_person"),
        ("PATCH", "/admin/organisations/{unit}", {"name_en": "n" * 201}, "name_en"),
    ],
)
def test_text_longer_than_its_column_is_422_naming_it(api, tree, method, path, body, field):
    # PostgreSQL refuses a value longer than its column (a 500 before); SQLite stores it.
    url = path.format(campaign=tree.campaign.id, unit=tree.unit1.id)
    error = assert_error(api.call(method, url, "admin", json=body), 422, "invalid")
    assert field in error["fields"]


def test_a_nul_character_in_a_query_or_body_is_422_naming_it(api, client, tree):
    # PostgreSQL stores no NUL in text: it answered 500.
    error = assert_error(api.get("/nominations?state=%00", "admin"), 422, "invalid")
    assert "state" in error["fields"]
    error = assert_error(api.get("/admin/users?q=a%00", "admin"), 422, "invalid")
    assert "q" in error["fields"]
    error = assert_error(
        api.post(
            f"/admin/organisations/{tree.unit1.id}/move",
            "admin",
            json={"parent_id": tree.committee2.id, "reason": "a\x00"},
        ),
        422,
        "invalid",
    )
    assert "reason" in error["fields"]
    assert client.get("/archive/?q=%00").status_code == 400
    assert "reference" in assert_error(api.get("/objections/ab%00cd"), 422, "invalid")["fields"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/admin/users", {"username": "someone", "display_name": "某", "roles": {}}, "roles"),
        ("/admin/security", {"totp_roles": {}}, "totp_roles"),
    ],
)
def test_a_json_value_of_the_wrong_kind_is_422_naming_it(api, path, body, field):
    method = "PUT" if path == "/admin/security" else "POST"
    error = assert_error(api.call(method, path, "admin", json=body), 422, "invalid")
    assert field in error["fields"]
