"""The API with the web session cookie: reads work, writes need the CSRF header."""

from __future__ import annotations

import pytest
from itsdangerous import URLSafeTimedSerializer

from factories import PASSWORD
from test_api_support import Api


@pytest.fixture
def api(client, session, tree) -> Api:
    return Api(client, session, tree)


@pytest.fixture
def logged_in(api, client) -> Api:
    """The test client holds unit1's session cookie."""
    response = client.post("/login", data={"username": "unit1", "password": PASSWORD})
    assert response.status_code == 302
    return api


def test_cookie_authenticates_reads(logged_in):
    response = logged_in.get("/me")
    assert response.status_code == 200
    assert response.json["username"] == "unit1"


def test_cookie_writes_need_the_csrf_header(logged_in, app, client, tree, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    body = {"campaign_id": tree.campaign.id, "award_kind": "individual", "data": {}}
    refused = logged_in.post("/nominations", json=body)
    assert refused.status_code == 400
    assert refused.json["error"]["code"] == "bad_request"
    assert logged_in.get("/nominations").json["total"] == 0

    # Flask-WTF's token: a random value kept in the session, sent back signed.
    with client.session_transaction() as cookie_session:
        cookie_session["csrf_token"] = "0123456789abcdef"
    signed = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps("0123456789abcdef")
    accepted = logged_in.post("/nominations", json=body, headers={"X-CSRFToken": signed})
    assert accepted.status_code == 201, accepted.json
    assert logged_in.get("/nominations").json["total"] == 1


def test_bearer_token_needs_no_csrf_header(api, app, monkeypatch, tree):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    body = {"campaign_id": tree.campaign.id, "award_kind": "individual", "data": {}}
    assert api.post("/nominations", "unit1", json=body).status_code == 201
