"""Create the application: configuration, database, the areas' rules, signal receivers, blueprints.

Everything that connects one part of the package to another at start-up happens here, once:
the engine knows no area, so the areas lend it their guards, effects, audit journal, roles and
calendar through :func:`connect_areas`.
"""

from __future__ import annotations

import os
from pathlib import Path
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
    from nomination.paths import use_definition_folders

    folders = str(app.config["DEFINITIONS_PATH"]).split(os.pathsep)
    use_definition_folders([Path(f) for f in folders if f])
    connect_areas()
    # The definitions are checked at start-up: a broken file stops the application here, with
    # the file and entry named, rather than at the first nomination that meets it.
    current_definitions()
    app.extensions["nomination.engine"] = db.init_engine(app.config["DATABASE_URL"])

    proxies = int(app.config["PROXY_COUNT"])
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Flask documents wrapping wsgi_app this way; mypy sees a method assigned.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    from nomination.web import headers, setup

    setup.init_app(app)
    headers.init_app(app)
    _register_blueprints(app)
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
    from nomination.archive import rules as archive_rules
    from nomination.audit import checkpoints
    from nomination.audit.chain import append_event
    from nomination.calendar import store as calendar_store
    from nomination.consultations import rules as consultation_rules
    from nomination.engine import registry
    from nomination.nominations import rules as nomination_rules
    from nomination.notices import rules as notice_rules
    from nomination.objections import rules as objection_rules
    from nomination.permissions import firing_role
    from nomination.selection import rules as selection_rules

    if registry.SERVICES.connected:
        return
    # Importing the rule modules registered their guards and effects by name.
    del archive_rules, consultation_rules, nomination_rules, notice_rules, objection_rules
    del selection_rules, revocation_rules, verification_rules
    registry.provide(journal=append_event, firing_role=firing_role, calendar=calendar_store.current)
    # Strong references: these module functions live as long as the process anyway. The
    # receivers write in the operations' transactions.
    signals.nomination_transitioned.connect(checkpoints.on_nomination_transitioned, weak=False)
    notifications.connect()


def _register_blueprints(app: Flask) -> None:
    """Register every page and API blueprint, and the error pages."""
    from nomination.api import administration as _api_administration  # noqa: F401  (its routes)
    from nomination.api import archive as _api_archive  # noqa: F401  (its routes)
    from nomination.api import archive_search as _api_archive_search  # noqa: F401  (its routes)
    from nomination.api import attachments as _api_attachments  # noqa: F401  (its routes)
    from nomination.api import bulk as _api_bulk  # noqa: F401  (its routes)
    from nomination.api import consultations as _api_consultations  # noqa: F401  (its routes)
    from nomination.api import notifications as _api_notifications  # noqa: F401  (its routes)
    from nomination.api import selection as _api_selection  # noqa: F401  (its routes)
    from nomination.api import verification as _api_verification  # noqa: F401  (its routes)
    from nomination.api.views import bp as api_bp
    from nomination.web.admin_campaigns import bp as admin_campaigns_bp
    from nomination.web.admin_organisations import bp as admin_organisations_bp
    from nomination.web.admin_people import bp as admin_people_bp
    from nomination.web.admin_sheets import bp as admin_sheets_bp
    from nomination.web.archive import bp as archive_bp
    from nomination.web.archive_tools import bp as archive_tools_bp
    from nomination.web.attachments import bp as attachments_bp
    from nomination.web.audit import bp as audit_bp
    from nomination.web.auth import bp as auth_bp
    from nomination.web.calendar import bp as calendar_bp
    from nomination.web.composition import bp as composition_bp
    from nomination.web.consultations import bp as consultations_bp
    from nomination.web.errors import register as register_errors
    from nomination.web.first_start import bp as first_start_bp
    from nomination.web.imports import bp as imports_bp
    from nomination.web.nominations import bp as nominations_bp
    from nomination.web.notifications import bp as notifications_bp
    from nomination.web.overview import bp as overview_bp
    from nomination.web.printform import bp as printform_bp
    from nomination.web.public import bp as public_bp
    from nomination.web.revocation import bp as revocation_bp
    from nomination.web.selection import bp as selection_bp
    from nomination.web.verification import bp as verification_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(nominations_bp)
    app.register_blueprint(printform_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(archive_bp)
    app.register_blueprint(archive_tools_bp)
    app.register_blueprint(revocation_bp)
    app.register_blueprint(attachments_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(composition_bp)
    app.register_blueprint(overview_bp)
    app.register_blueprint(selection_bp)
    app.register_blueprint(verification_bp)
    app.register_blueprint(consultations_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(calendar_bp)
    app.register_blueprint(first_start_bp)
    app.register_blueprint(admin_organisations_bp)
    app.register_blueprint(admin_people_bp)
    app.register_blueprint(admin_sheets_bp)
    app.register_blueprint(admin_campaigns_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(api_bp)
    register_errors(app)
