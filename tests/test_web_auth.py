"""Logging in and out through the web pages: sessions, rate limit, CSRF, language."""

from __future__ import annotations

import re

import pytest

from nomination.labels import ROLE_LABELS
from nomination.models import ROLES

from factories import PASSWORD
from test_web_support import login

#: The fixtures (web_client, new_web_client, web) are shared by the web tests.
pytest_plugins = ["test_web_support"]
pytestmark = pytest.mark.usefixtures("web")


def test_login_and_logout_end_a_copied_cookie(web_client, new_web_client):
    page = web_client.get("/login")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    assert "/bootstrap/static/css/bootstrap.min.css" in page.text

    response = login(web_client, "unit1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    dashboard = web_client.get("/")
    assert dashboard.status_code == 200
    assert "unit1" in dashboard.text
    assert 'action="/logout"' in dashboard.text

    # Someone copies the session cookie into another browser: it works until logout.
    thief = new_web_client()
    thief.set_cookie("session", web_client.get_cookie("session").value)
    assert thief.get("/").status_code == 200

    assert web_client.get("/logout").status_code == 405  # logging out is a POST form only
    response = web_client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert web_client.get("/").status_code == 302
    stolen = thief.get("/")
    assert stolen.status_code == 302
    assert stolen.headers["Location"].startswith("/login")


def test_wrong_password_is_shown_next_to_the_field(web_client):
    response = login(web_client, "unit1", "not the password")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.text
    assert "is-invalid" in response.text
    assert 'value="unit1"' in response.text  # the user name typed is kept
    assert web_client.get("/").status_code == 302


def test_login_is_rate_limited_after_five_failures(web_client):
    for _ in range(5):
        assert login(web_client, "unit2", "wrong password").status_code == 200
    # Even the right password is refused now.
    response = login(web_client, "unit2")
    assert response.status_code == 429
    assert "登录失败次数过多" in response.text
    assert web_client.get("/").status_code == 302
    # Another user is not affected.
    assert login(web_client, "unit1").status_code == 302


def test_login_never_redirects_off_site(web_client):
    response = login(web_client, "unit1", query_string={"next": "//evil.example/steal"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_form_post_without_csrf_token_is_refused(app, web_client, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    refused = login(web_client, "unit1")
    assert refused.status_code == 400
    assert web_client.get("/").status_code == 302

    page = web_client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    assert token, "the login form carries a CSRF token"
    accepted = web_client.post(
        "/login", data={"username": "unit1", "password": PASSWORD, "csrf_token": token[1]}
    )
    assert accepted.status_code == 302
    # The logout form in the navigation carries a token too, and logging out needs it.
    dashboard = web_client.get("/")
    logout_token = re.search(
        r'action="/logout".*?name="csrf_token" value="([^"]+)"', dashboard.text, re.S
    )
    assert logout_token
    assert web_client.post("/logout").status_code == 400
    assert web_client.post("/logout", data={"csrf_token": logout_token[1]}).status_code == 302


def test_language_switch_to_english(web_client):
    response = web_client.get("/language/en", query_string={"next": "/login"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    page = web_client.get("/login")
    assert '<html lang="en">' in page.text
    assert "User name" in page.text
    assert "用户名" not in page.text
    web_client.get("/language/zh")
    assert "用户名" in web_client.get("/login").text


def test_every_role_has_a_label_in_both_languages():
    for role in ROLES:
        assert set(ROLE_LABELS[role]) == {"zh", "en"}


def test_password_change_ends_other_sessions(web_client, new_web_client):
    login(web_client, "unit1")
    other = new_web_client()
    login(other, "unit1")
    response = web_client.post(
        "/password",
        data={"current": PASSWORD, "new": "a new long password", "confirm": "a new long password"},
    )
    assert response.status_code == 302
    assert web_client.get("/").status_code == 200
    assert other.get("/").status_code == 302


def test_navigation_follows_roles(web_client, new_web_client):
    login(web_client, "auditor")
    assert 'href="/audit/"' in web_client.get("/").text
    unit = new_web_client()
    login(unit, "unit1")
    page = unit.get("/").text
    assert 'href="/audit/"' not in page
    assert 'href="/notices/"' in page
    # The public sees the notices and a login link, no dashboard.
    public = new_web_client().get("/notices/").text
    assert 'href="/login"' in public
    assert 'action="/logout"' not in public
