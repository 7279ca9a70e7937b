"""Configuration: defaults, the instance folder, then ``NOMINATION_*`` environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

#: Defaults; every key may be overridden by an environment variable ``NOMINATION_<KEY>``.
DEFAULTS: dict[str, Any] = {
    "TIMEZONE": "Asia/Shanghai",
    # Notice periods and deadlines close at this local hour on their last working day.
    "CLOSING_HOUR": 17,
    # Failed logins allowed per user name, and per client address, within the window.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
    # Reverse proxies in front of the application whose X-Forwarded-* headers are trusted
    # (0: none). Set it behind a load balancer, so that client addresses are the clients'.
    "PROXY_COUNT": 0,
    "LOGIN_WINDOW_SECONDS": 900,
    # Public objections: at most this many per sender address within the window; the form
    # must be sent back at least OBJECTION_MIN_SECONDS after it was shown, and within the
    # maximum age (see nomination/web/objection_form.py).
    "OBJECTION_MAX_PER_CLIENT": 5,
    "OBJECTION_WINDOW_SECONDS": 3600,
    "OBJECTION_MIN_SECONDS": 3,
    "OBJECTION_FORM_MAX_AGE_SECONDS": 86400,
    # Seconds a verification of the audit trail run from the web or the API may take; the
    # command line has no limit. A run cut short reports how far it got.
    "AUDIT_VERIFY_SECONDS": 20,
    "BABEL_DEFAULT_LOCALE": "zh",
    "LANGUAGES": ["zh", "en"],
    "WTF_CSRF_TIME_LIMIT": None,
    # CSRF is checked in one before_request hook so that bearer-token API calls can skip it.
    "WTF_CSRF_CHECK_DEFAULT": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Whether the session cookie is Secure (sent over HTTPS only): "auto" makes it Secure on
    # every request that came over HTTPS; true always (even over http); false never.
    "SECURE_COOKIES": "auto",
    "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
    # Largest single uploaded file (nomination.uploads); MAX_CONTENT_LENGTH bounds a request.
    "UPLOAD_MAX_BYTES": 20 * 1024 * 1024,
    "BOOTSTRAP_SERVE_LOCAL": True,
    # E-mail for notifications (nomination.notifications), sent by `nomination tick`; off
    # unless enabled. MAIL_USE_SSL connects with TLS at once, MAIL_USE_TLS upgrades (STARTTLS).
    "MAIL_ENABLED": False,
    "MAIL_SERVER": "localhost",
    "MAIL_PORT": 25,
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_FROM": "noreply@localhost",
    "MAIL_TIMEOUT": 30,
    # Where users reach the application (scheme, host and any mount path, e.g.
    # "https://honours.example.org"): mails link to BASE_URL + the item's path.
    "BASE_URL": "",
}


def _secret_key(instance: Path) -> str:
    """Return the instance's secret key, creating it (mode 0600) on first use."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def configure(app: Flask, test_config: dict[str, Any] | None = None) -> None:
    """Fill ``app.config`` from defaults, environment and an optional test mapping."""
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("NOMINATION")
    if test_config:
        app.config.update(test_config)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.setdefault("DATABASE_URL", f"sqlite:///{instance / 'nomination.sqlite3'}")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(instance)
    app.config.setdefault("HOLIDAYS_FILE", str(instance / "holidays.toml"))
    # The deployment's own definitions (each folder holding workflows/ and forms/), searched
    # before the packaged ones; separated by the system's path separator.
    app.config.setdefault("DEFINITIONS_PATH", str(instance / "definitions"))
    app.config.setdefault("AUDIT_KEY_DIR", str(instance / "keys"))
    # Uploaded files, stored by content hash; outside any folder the web server serves.
    app.config.setdefault("UPLOAD_DIR", str(instance / "uploads"))
