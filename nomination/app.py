"""Create the application: configuration, database, the areas' rules, signal receivers, blueprints.

Everything that connects one part of the package to another at start-up happens here, once:
the engine knows no area, so the areas lend it their guards, effects, audit journal, roles and
calendar through :func:`connect_areas`.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from nomination.paths import data_dir


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the application."""
    app = Flask(
        "nomination",
        instance_path=os.environ.get("NOMINATION_INSTANCE_PATH") or None,
        instance_relative_config=True,
        template_folder=str(data_dir("templates")),
    )
    if test_config and test_config.get("INSTANCE_PATH"):
        app.instance_path = test_config["INSTANCE_PATH"]

    from nomination.config import configure

    configure(app, test_config)

    from nomination import db
    from nomination.engine import current_definitions

    connect_areas()
    # The definitions are checked at start-up: a broken file stops the application here, with
    # the file and entry named, rather than at the first nomination that meets it.
    current_definitions()
    app.extensions["nomination.engine"] = db.init_engine(app.config["DATABASE_URL"])

    proxies = int(app.config["PROXY_COUNT"])
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    from nomination.web import setup

    setup.init_app(app)
    _follow_first_start(app)
    return app


def _follow_first_start(app: Flask) -> None:
    """Take the time zone and closing hour the first start set (when the database has them)."""
    from sqlalchemy.exc import SQLAlchemyError

    from nomination import db
    from nomination.administration.first_start import apply_settings

    with app.app_context():
        try:
            apply_settings(app, db.session)
        except SQLAlchemyError:
            # The database is not reachable yet: each request looks again until it is.
            db.session.rollback()
        finally:
            db.session.remove()


def connect_areas() -> None:
    """Register the areas' guards and effects, the engine's services and the signal receivers.

    Idempotent; the application, the command line and the tests call it before the engine runs.
    """
    from nomination import notifications, signals
    from nomination.archive import revocation_rules, verification_rules
    from nomination.audit import checkpoints
    from nomination.audit.chain import append_event
    from nomination.calendar import store as calendar_store
    from nomination.engine import registry
    from nomination.nominations import effects, guards
    from nomination.permissions.core import firing_role

    if registry.SERVICES.connected:
        return
    # Importing the rule modules registered their guards and effects by name.
    del effects, guards, revocation_rules, verification_rules
    registry.provide(journal=append_event, firing_role=firing_role, calendar=calendar_store.current)
    # Strong references: these module functions live as long as the process anyway. The
    # receivers write in the operations' transactions.
    signals.nomination_transitioned.connect(checkpoints.on_nomination_transitioned, weak=False)
    notifications.connect()
