"""Security headers on every response, and when the session cookie is ``Secure``.

Pages get a strict Content-Security-Policy: scripts and styles only from the application's own
files (the standalone print pages' ``<style>`` blocks carry the response's nonce), nothing may
frame a page, forms post only here. The API's JSON gets a policy that allows nothing at all;
files (PDFs, spreadsheets) get the other headers only, so that browsers' viewers show them.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from flask.sessions import SecureCookieSessionInterface

#: Pages: everything from this origin; Bootstrap's icons are data: images in its CSS.
_PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: JSON: nothing in it runs or loads anything.
_NOTHING_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

_HEADERS = {
    # For browsers that know no frame-ancestors.
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Not no-referrer: Flask-WTF checks the Referer of forms posted over HTTPS.
    "Referrer-Policy": "same-origin",
}


def csp_nonce() -> str:
    """Return this response's nonce, for the ``<style>`` blocks of standalone pages."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    nonce: str = g.csp_nonce
    return nonce


def _add_headers(response: Response) -> Response:
    for name, value in _HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        policy = _PAGE_POLICY.format(nonce=csp_nonce())
    elif response.is_json:
        policy = _NOTHING_POLICY
    else:
        # Files (PDF, spreadsheets, CSS, scripts) are left to the browser's own viewers.
        return response
    response.headers.setdefault("Content-Security-Policy", policy)
    return response


def secure_cookies_setting(value: Any) -> bool | None:
    """Return ``SECURE_COOKIES`` read from its setting: True, False, or None for automatic."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "auto")):
        return None
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off")
    return bool(value)


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, ``Secure`` as ``SECURE_COOKIES`` says.

    Automatic (the default): ``Secure`` whenever the request came over HTTPS (behind a proxy,
    as its X-Forwarded-Proto says when ``PROXY_COUNT`` is set), so that a cookie set over HTTPS
    is never sent in clear, while ``nomination serve`` on http://localhost still logs in.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        """Return whether the session cookie of this response is ``Secure``."""
        setting = secure_cookies_setting(app.config.get("SECURE_COOKIES"))
        if setting is None:
            return has_request_context() and request.is_secure
        return setting


def init_app(app: Flask) -> None:
    """Add the security headers to every response and decide the cookies' ``Secure`` flag."""
    setting = secure_cookies_setting(app.config.get("SECURE_COOKIES"))
    app.session_interface = _SessionInterface()
    # Flask-Login's remember-me cookie (never set today) follows a forced setting only.
    app.config["REMEMBER_COOKIE_SECURE"] = setting is not False
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.after_request(_add_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
