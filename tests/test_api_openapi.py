"""The OpenAPI document: valid OpenAPI 3.1, complete, and true to what the API answers."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from nomination.api.openapi import document

from factories import recommendation
from test_api_support import OBJECTION, Api


@pytest.fixture
def api(client, session, tree) -> Api:
    return Api(client, session, tree)


def conforms(doc: dict, schema_name: str, instance: object) -> None:
    """Assert that ``instance`` matches the named component schema of ``doc``."""
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": doc["components"]}
    errors = [e.message for e in Draft202012Validator(schema).iter_errors(instance)]
    assert errors == [], (schema_name, errors)


def test_document_is_valid_openapi_31(api):
    response = api.get("/openapi.json")  # no login needed
    assert response.status_code == 200
    doc = response.json
    assert doc["openapi"].startswith("3.1")
    validate(doc)
    assert doc == document()


def test_every_route_is_documented(app):
    documented = {
        (path, method.upper())
        for path, item in document()["paths"].items()
        for method in item
        if method != "parameters"
    }
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed == documented


def test_public_operations_are_marked_public(app):
    public = {
        path
        for path, item in document()["paths"].items()
        for method, op in item.items()
        if method != "parameters" and op.get("security") == []
    }
    views = app.view_functions
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            assert (path in public) == getattr(views[rule.endpoint], "public", False), path


def test_answers_match_the_schemas(api, session, tree):
    doc = document()
    conforms(doc, "User", api.get("/me", "unit1").json)
    conforms(doc, "CampaignList", api.get("/campaigns", "unit1").json)
    conforms(doc, "Campaign", api.get(f"/campaigns/{tree.campaign.id}", "unit1").json)

    created = api.create("unit1")
    conforms(doc, "Nomination", created)
    conforms(doc, "NominationList", api.get("/nominations", "unit1").json)
    n = api.walk_to_notice(created)
    conforms(doc, "Nomination", n)
    assert n["timer"] is not None
    conforms(doc, "NoticeList", api.get("/notices").json)
    conforms(doc, "ObjectionRequest", OBJECTION)
    filed = api.post(f"/notices/{n['id']}/objections", json=OBJECTION).json
    conforms(doc, "ObjectionStatus", filed)
    conforms(doc, "ObjectionStatus", api.get(f"/objections/{filed['reference']}").json)
    conforms(doc, "History", api.get(f"/nominations/{n['id']}/history", "unit1").json)
    # The objection in both shapes: status only for the unit, in full for its handler.
    for user in ("unit1", "federation"):
        seen = api.get(f"/nominations/{n['id']}", user).json
        assert len(seen["objections"]) == 1
        conforms(doc, "Nomination", seen)
    conforms(doc, "VerifyResult", api.get("/audit/verify", "auditor").json)

    errors = [
        api.get("/me"),
        api.get("/audit/verify", "unit1"),
        api.get(f"/nominations/{n['id']}", "unit2"),
        api.post(
            f"/nominations/{n['id']}/transitions",
            "unit1",
            json={"trigger": "recommend", "version": 1, **recommendation()},
        ),
        api.post("/nominations", "unit1", json={}),
        api.post("/nominations", "unit1", data="x", content_type="text/plain"),
    ]
    assert [e.status_code for e in errors] == [401, 403, 404, 409, 422, 400]
    for error in errors:
        conforms(doc, "Error", error.json)


def test_the_schemas_reject_what_the_api_would_not_answer():
    doc = document()
    bad_nomination = {"id": "1", "state": "draft"}
    schema = {"$ref": "#/components/schemas/Nomination", "components": doc["components"]}
    assert list(Draft202012Validator(schema).iter_errors(bad_nomination))
    schema = {"$ref": "#/components/schemas/ObjectionRequest", "components": doc["components"]}
    assert list(Draft202012Validator(schema).iter_errors({**OBJECTION, "objector_id": 1}))


def request_schema(doc: dict, path: str, method: str) -> dict:
    """Return the JSON body schema of an operation, resolvable against ``doc``."""
    body = doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return {**body, "components": doc["components"]}


def _org(tree, **fields) -> dict:
    return {
        "code": "NEW-1",
        "name": "新单位",
        "kind": "unit",
        "parent_id": tree.committee1.id,
        **fields,
    }


@pytest.mark.parametrize(
    ("path", "method", "user", "body"),
    [
        (
            "/nominations/{nomination_id}/transitions",
            "post",
            "unit1",
            {"trigger": "", "version": 1},
        ),
        (
            "/nominations/bulk-transitions",
            "post",
            "unit1",
            {"trigger": "", "items": [{"id": 1, "version": 1}]},
        ),
        ("/nominations", "post", "unit1", {"campaign_id": 2**31, "award_kind": "individual"}),
        ("/admin/organisations", "post", "admin", "org:code="),
        ("/admin/organisations", "post", "admin", "org:code=" + "C" * 33),
        ("/admin/organisations", "post", "admin", "org:name= "),
        ("/admin/organisations", "post", "admin", "org:name=" + "名" * 201),
        ("/admin/organisations", "post", "admin", "org:contact_person=" + "人" * 101),
        (
            "/admin/organisations/{org_id}/active",
            "post",
            "admin",
            {"active": False, "reason": "  "},
        ),
        ("/admin/users", "post", "admin", {"username": "a", "display_name": "某", "roles": []}),
        (
            "/admin/users",
            "post",
            "admin",
            {"username": "someone", "display_name": " ", "roles": []},
        ),
        ("/admin/campaigns/{campaign_id}", "patch", "admin", {"name": "名" * 201}),
    ],
)
def test_request_schemas_allow_no_value_the_server_rejects(api, tree, path, method, user, body):
    if isinstance(body, str):
        field, value = body.removeprefix("org:").split("=", 1)
        body = _org(tree, **{field: value})
    doc = document()
    errors = list(Draft202012Validator(request_schema(doc, path, method)).iter_errors(body))
    assert errors, f"the document allows {body}"
    n = api.create("unit1")
    url = path.format(nomination_id=n["id"], org_id=tree.unit1.id, campaign_id=tree.campaign.id)
    response = api.call(method.upper(), url, user, json=body)
    # And the server does refuse it: the document says no more than the truth.
    assert response.status_code in (400, 409, 422), (response.status_code, response.json)


def test_path_and_body_integers_are_bounded_by_the_databases(api):
    doc = document()
    nomination_id = doc["components"]["parameters"]["NominationId"]["schema"]
    assert (nomination_id["minimum"], nomination_id["maximum"]) == (0, 2**31 - 1)
    create = doc["components"]["schemas"]["NominationCreate"]["properties"]["campaign_id"]
    assert create["maximum"] == 2**31 - 1
