"""nomination: a workflow engine for award nominations."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from nomination.paths import data_dir


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the application."""
    app = Flask(
        __name__,
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

    # The definitions are checked at start-up: a broken file stops the application here, with
    # the file and entry named, rather than at the first nomination that meets it.
    current_definitions()
    app.extensions["nomination.engine"] = db.init_engine(app.config["DATABASE_URL"])

    proxies = int(app.config["PROXY_COUNT"])
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    from nomination import notifications
    from nomination.web import setup

    # Once per process: the listeners write notifications in the operations' transactions.
    notifications.connect()
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
