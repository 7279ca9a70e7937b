"""The administration's JSON API: every operation an administrator has, refused to the rest."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from nomination.api.openapi import document
from nomination.models import ApiToken

from test_api_support import Api

#: (method, path) of every administration route, with {org}, {user}, {campaign} filled in.
ROUTES = [
    ("GET", "/admin/organisations"),
    ("POST", "/admin/organisations"),
    ("GET", "/admin/organisations/{org}"),
    ("PATCH", "/admin/organisations/{org}"),
    ("POST", "/admin/organisations/{org}/move"),
    ("POST", "/admin/organisations/{org}/active"),
    ("GET", "/admin/users"),
    ("POST", "/admin/users"),
    ("GET", "/admin/users/{user}"),
    ("PATCH", "/admin/users/{user}"),
    ("POST", "/admin/users/{user}/password"),
    ("POST", "/admin/users/{user}/active"),
    ("GET", "/admin/campaigns"),
    ("POST", "/admin/campaigns"),
    ("GET", "/admin/campaigns/{campaign}"),
    ("PATCH", "/admin/campaigns/{campaign}"),
    ("POST", "/admin/campaigns/{campaign}/status"),
    ("PUT", "/admin/campaigns/{campaign}/quotas"),
    ("PUT", "/admin/campaigns/{campaign}/judges"),
    ("POST", "/admin/campaigns/{campaign}/bars"),
    ("POST", "/admin/campaigns/{campaign}/bars/1/lift"),
    ("POST", "/admin/users/{user}/tokens/1/revoke"),
    ("POST", "/admin/users/{user}/second-factor/remove"),
    ("GET", "/admin/security"),
    ("PUT", "/admin/security"),
]


@pytest.fixture
def api(client, session, tree) -> Api:
    return Api(client, session, tree)


def conforms(schema: dict, instance: object) -> None:
    schema = {**schema, "components": document()["components"]}
    assert [e.message for e in Draft202012Validator(schema).iter_errors(instance)] == []


def _schema(path: str, method: str, status: str) -> dict:
    op = document()["paths"][path][method]
    return op["responses"][status]["content"]["application/json"]["schema"]


def test_every_administration_route_is_listed_here(app):
    documented = {
        (method.upper(), path)
        for path, item in document()["paths"].items()
        if path.startswith("/admin/")
        for method in item
        if method != "parameters"
    }
    listed = {
        (
            m,
            p.replace("{org}", "{org_id}")
            .replace("{user}", "{user_id}")
            .replace("{campaign}", "{campaign_id}")
            .replace("/bars/1/", "/bars/{bar_id}/")
            .replace("/tokens/1/", "/tokens/{token_id}/"),
        )
        for m, p in ROUTES
    }
    assert listed == documented


@pytest.mark.parametrize(
    "username", ["unit1", "committee1", "federation", "approver", "auditor", "judge1", "dept-hr"]
)
def test_only_an_administrator_is_answered(api, tree, username):
    for method, path in ROUTES:
        filled = path.format(
            org=tree.unit1.id, user=tree.users["unit2"].id, campaign=tree.campaign.id
        )
        response = api.call(method, filled, username, json={})
        assert response.status_code == 403, (method, path, response.status_code)
    assert api.get("/admin/users").status_code == 401


def test_organisations_through_the_api(api, tree):
    created = api.post(
        "/admin/organisations",
        "admin",
        json={
            "code": "U-API",
            "name": "接口单位",
            "kind": "unit",
            "parent_id": tree.committee1.id,
            "uscc": "91110000600037341L",
        },
    )
    assert created.status_code == 201, created.json
    conforms(_schema("/admin/organisations", "post", "201"), created.json)
    org = created.json
    wrong = api.post(
        "/admin/organisations",
        "admin",
        json={"code": "U-API", "name": "", "kind": "unit", "parent_id": tree.committee1.id},
    )
    assert wrong.status_code == 422 and set(wrong.json["error"]["fields"]) == {"code", "name"}
    changed = api.patch(
        f"/admin/organisations/{org['id']}",
        "admin",
        json={"name": "接口单位(新)", "expected": org["version"]},
    )
    assert changed.status_code == 200 and changed.json["name"] == "接口单位(新)"
    stale = api.patch(
        f"/admin/organisations/{org['id']}",
        "admin",
        json={"name": "再改", "expected": org["version"]},
    )
    assert stale.status_code == 409
    moved = api.post(
        f"/admin/organisations/{org['id']}/move",
        "admin",
        json={"parent_id": tree.committee2.id, "reason": "调整"},
    )
    assert moved.status_code == 200 and moved.json["parent_id"] == tree.committee2.id
    off = api.post(
        f"/admin/organisations/{org['id']}/active",
        "admin",
        json={"active": False, "reason": "注销"},
    )
    assert off.status_code == 200 and off.json["active"] is False
    listed = api.get("/admin/organisations?kind=unit&q=接口", "admin")
    conforms(_schema("/admin/organisations", "get", "200"), listed.json)
    assert [o["code"] for o in listed.json["items"]] == ["U-API"]


def test_users_through_the_api(api, tree):
    created = api.post(
        "/admin/users",
        "admin",
        json={
            "username": "api.user",
            "display_name": "接口用户",
            "roles": [{"role": "unit_submitter", "organisation_id": tree.unit1.id}],
        },
    )
    assert created.status_code == 201, created.json
    conforms(_schema("/admin/users", "post", "201"), created.json)
    assert created.json["must_change_password"] and len(created.json["temporary_password"]) == 14
    clash = api.post(
        "/admin/users",
        "admin",
        json={
            "username": "clash",
            "display_name": "兼任",
            "roles": [
                {"role": "admin", "organisation_id": tree.federation.id},
                {"role": "judge", "organisation_id": tree.federation.id},
            ],
        },
    )
    assert clash.status_code == 422 and "roles" in clash.json["error"]["fields"]
    user_id = created.json["id"]
    patched = api.patch(f"/admin/users/{user_id}", "admin", json={"display_name": "改名"})
    assert patched.status_code == 200 and patched.json["display_name"] == "改名"
    link = api.post(f"/admin/users/{user_id}/password", "admin", json={"how": "link"})
    assert link.status_code == 200 and "/password/link/" in link.json["link"]
    last = api.post(
        f"/admin/users/{tree.users['admin'].id}/active",
        "admin",
        json={"active": False, "reason": "离职"},
    )
    assert last.status_code == 409


def test_campaigns_through_the_api(api, tree):
    copied = api.post(
        "/admin/campaigns",
        "admin",
        json={
            "copy_from": tree.campaign.id,
            "year": 2027,
            "name": "2027年评选",
            "nomination_deadline": "2027-12-31",
        },
    )
    assert copied.status_code == 201, copied.json
    conforms(_schema("/admin/campaigns", "post", "201"), copied.json)
    campaign = copied.json
    assert campaign["status"] == "draft" and set(campaign["awards"]) == {
        "individual",
        "unit",
        "team",
    }
    refused = api.call(
        "PUT",
        f"/admin/campaigns/{campaign['id']}/quotas",
        "admin",
        json={
            "quotas": [
                {"organisation_id": tree.committee1.id, "kind": "unit", "places": 3},
                {"organisation_id": tree.federation.id, "kind": "unit", "places": 3},
            ]
        },
    )
    assert refused.status_code == 422 and list(refused.json["error"]["fields"]) == ["quotas[1]"]
    assert (
        api.get(f"/admin/campaigns/{campaign['id']}", "admin").json["quotas"] == campaign["quotas"]
    ), "all or nothing"
    saved = api.call(
        "PUT",
        f"/admin/campaigns/{campaign['id']}/quotas",
        "admin",
        json={"quotas": [{"organisation_id": tree.committee1.id, "kind": "unit", "places": 3}]},
    )
    assert saved.status_code == 200
    assert {"organisation_id": tree.committee1.id, "kind": "unit", "places": 3} in saved.json[
        "quotas"
    ]
    judge = tree.users["judge1"].id
    judges = api.call(
        "PUT",
        f"/admin/campaigns/{campaign['id']}/judges",
        "admin",
        json={"members": [judge], "chair": judge},
    )
    assert judges.json["judges"] == [{"user_id": judge, "chair": True}]
    patched = api.patch(
        f"/admin/campaigns/{campaign['id']}",
        "admin",
        json={"notice_working_days": 7, "composition": {"women": {"min": 30}}},
    )
    assert patched.status_code == 200 and patched.json["notice_working_days"] == 7
    opened = api.post(f"/admin/campaigns/{campaign['id']}/status", "admin", json={"action": "open"})
    assert opened.status_code == 200 and opened.json["status"] == "open"
    again = api.post(f"/admin/campaigns/{campaign['id']}/status", "admin", json={"action": "open"})
    assert again.status_code == 409
    bar = api.post(
        f"/admin/campaigns/{campaign['id']}/bars",
        "admin",
        json={"organisation_id": tree.unit2.id, "reason": "欠薪"},
    )
    assert bar.status_code == 201 and bar.json["year"] == 2027
    listed = api.get("/admin/campaigns", "admin")
    conforms(_schema("/admin/campaigns", "get", "200"), listed.json)


def test_security_tokens_second_factor_and_bars_through_the_api(api, tree, session):
    from nomination.models import InstanceSettings

    session.add(
        InstanceSettings(
            id=1,
            federation_id=tree.federation.id,
            timezone="Asia/Shanghai",
            closing_hour=17,
            set_up_at=tree.campaign.created_at,
        )
    )
    session.commit()
    wrong = api.call("PUT", "/admin/security", "admin", json={"totp_roles": ["nobody"]})
    assert wrong.status_code == 422 and "roles" in wrong.json["error"]["fields"]
    saved = api.call("PUT", "/admin/security", "admin", json={"totp_roles": ["approver"]})
    assert saved.status_code == 200 and saved.json == {"totp_roles": ["approver"]}
    assert api.get("/admin/security", "admin").json == {"totp_roles": ["approver"]}
    unit2 = tree.users["unit2"]
    token_id = session.scalar(select(ApiToken.id).where(ApiToken.user_id == unit2.id))
    assert api.post(f"/admin/users/{unit2.id}/tokens/{token_id}/revoke", "admin").status_code == 200
    assert api.get("/me", "unit2").status_code == 401
    removed = api.post(f"/admin/users/{unit2.id}/second-factor/remove", "admin")
    assert removed.status_code == 200 and removed.json["second_factor"] is False
    bar = api.post(
        f"/admin/campaigns/{tree.campaign.id}/bars",
        "admin",
        json={"organisation_id": tree.unit2.id, "reason": "欠薪"},
    ).json
    lifted = api.post(
        f"/admin/campaigns/{tree.campaign.id}/bars/{bar['id']}/lift", "admin", json={"reason": ""}
    )
    assert lifted.status_code == 422
    lifted = api.post(
        f"/admin/campaigns/{tree.campaign.id}/bars/{bar['id']}/lift",
        "admin",
        json={"reason": "已补发工资"},
    )
    assert lifted.status_code == 200 and lifted.json == {"lifted": bar["id"]}


def test_no_password_for_a_deactivated_account_and_no_bar_in_an_archived_campaign(api, tree):
    unit2 = tree.users["unit2"].id
    api.post(f"/admin/users/{unit2}/active", "admin", json={"active": False, "reason": "离职"})
    refused = api.post(f"/admin/users/{unit2}/password", "admin", json={"how": "temporary"})
    assert refused.status_code == 409
    for action in ("close", "archive"):
        api.post(f"/admin/campaigns/{tree.campaign.id}/status", "admin", json={"action": action})
    bar = api.post(
        f"/admin/campaigns/{tree.campaign.id}/bars",
        "admin",
        json={"organisation_id": tree.unit1.id, "reason": "欠薪"},
    )
    assert bar.status_code == 409
