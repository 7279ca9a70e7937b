"""Security headers on pages, the API, files and errors; when the session cookie is Secure."""

from __future__ import annotations

import re

import pytest

from nomination.accounts import create_api_token

from factories import PASSWORD


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {
        part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()
    }


def assert_protected(response) -> dict[str, str]:
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer")
    policy = directives(response)
    assert policy["frame-ancestors"] == "'none'"
    return policy


def assert_strict_page_policy(response) -> None:
    policy = assert_protected(response)
    assert policy["script-src"] == "'self'"
    for name in ("script-src", "style-src", "default-src"):
        assert "unsafe-inline" not in policy.get(name, "")
        assert "unsafe-eval" not in policy.get(name, "")
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"


@pytest.mark.parametrize("path", ["/login", "/notices/", "/no-such-page"])
def test_public_pages_and_errors_carry_the_headers(client, session, path):
    response = client.get(path)
    assert response.status_code in (200, 404)
    assert_strict_page_policy(response)


def test_signed_in_pages_carry_the_headers(client, session, tree):
    session.commit()
    client.post("/login", data={"username": "unit1", "password": PASSWORD})
    for path in ("/", "/notifications/", "/password"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_strict_page_policy(response)


def test_api_answers_and_errors_allow_nothing(client, session, tree):
    token = create_api_token(session, tree.users["unit1"], name="t", actor=tree.users["unit1"])
    session.commit()
    bearer = {"Authorization": f"Bearer {token}"}
    for response in (
        client.get("/api/v1/me", headers=bearer),
        client.get("/api/v1/nominations/999999", headers=bearer),
        client.get("/api/v1/me"),
        client.delete("/api/v1/me", headers=bearer),
    ):
        policy = assert_protected(response)
        assert policy["default-src"] == "'none'"


def test_static_files_carry_the_headers(client, session):
    with client.get("/static/app.css") as response:
        assert response.status_code == 200
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_icon_is_named_and_served(client, session):
    page = client.get("/login").text
    assert 'rel="icon"' in page and "/static/favicon.svg" in page
    asked = client.get("/favicon.ico")
    assert asked.status_code == 301 and asked.location.endswith("/static/favicon.svg")
    with client.get("/static/favicon.svg") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"


def test_a_print_pages_styles_carry_the_responses_nonce(app, session):
    with app.test_request_context("/"):
        from flask import render_template_string

        page = render_template_string('<style nonce="{{ csp_nonce() }}">p{}</style>')
        nonce = re.search(r'nonce="([^"]+)"', page).group(1)
        response = app.make_response(page)
        response = app.process_response(response)
        assert f"'nonce-{nonce}'" in directives(response)["style-src"]


def test_templates_hold_no_inline_scripts_handlers_or_style_attributes():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    found = []
    for path in root.rglob("*.html"):
        text = path.read_text()
        for pattern in (
            r"<script(?![^>]*\bsrc=)",
            r"\son[a-z]+\s*=",
            r"\sstyle\s*=",
            r"<style(?![^>]*nonce)",
        ):
            for match in re.finditer(pattern, text):
                found.append(f"{path.relative_to(root)}: {match.group(0)!r}")
    assert not found, found


def set_cookie(response) -> str:
    cookies = [v for k, v in response.headers.items() if k == "Set-Cookie"]
    (session_cookie,) = [c for c in cookies if c.startswith("session=")]
    return session_cookie


def _login(client, base_url: str):
    return client.post(
        "/login", data={"username": "unit1", "password": PASSWORD}, base_url=base_url
    )


def test_the_session_cookie_is_secure_over_https_by_default(client, session, tree, app):
    session.commit()
    assert app.config["SECURE_COOKIES"] == "auto"
    assert "; Secure" in set_cookie(_login(client, "https://localhost"))


def test_the_session_cookie_still_works_over_plain_http_by_default(client, session, tree):
    # `nomination serve` on http://localhost: a Secure cookie would never come back.
    session.commit()
    response = _login(client, "http://localhost")
    assert response.status_code == 302
    assert "; Secure" not in set_cookie(response)
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(("setting", "secure"), [(True, True), ("true", True), ("off", False)])
def test_secure_cookies_setting_forces_the_flag(
    client, session, tree, app, monkeypatch, setting, secure
):
    session.commit()
    monkeypatch.setitem(app.config, "SECURE_COOKIES", setting)
    base = "http://localhost" if secure else "https://localhost"
    assert ("; Secure" in set_cookie(_login(client, base))) is secure
