"""The ``nomination`` command: database, demo data, serving, timers, workflows, audit, tokens."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from nomination import db


def _create_app() -> Flask:
    from nomination import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def main() -> None:
    """Award nominations: labour honours, public notice, audit trail, archive."""


@contextlib.contextmanager
def transaction() -> Iterator[None]:
    """Commit once at the end of a command, or roll everything back."""
    from nomination.errors import OperationError
    from nomination.workdays import UnknownCalendarYear

    try:
        yield
        db.session.commit()
    except (OperationError, UnknownCalendarYear) as exc:
        # A refusal the user can act on: say it plainly, without a traceback.
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    except BaseException:
        db.session.rollback()
        raise


def _upgrade() -> None:
    from nomination.migrate import upgrade

    upgrade(current_app.extensions["nomination.engine"])


# --- database ------------------------------------------------------------------------------


@main.group("db")
def db_group() -> None:
    """Database migrations."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Bring the database schema up to date."""
    _upgrade()
    click.echo("database is up to date")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    from nomination.migrate import revision

    revision(current_app.extensions["nomination.engine"], message)


# --- demo and serving ------------------------------------------------------------------------


@main.command("demo")
@click.option(
    "--password", default="demo-password", show_default=True, help="Password of every demo user."
)
@with_appcontext
def demo(password: str) -> None:
    """Load the demo federation (idempotent) and print the demo logins."""
    from nomination.demo import DEMO_USERS, load_demo

    _upgrade()
    with transaction():
        created = load_demo(db.session, password=password)
    if created:
        click.echo("demo data loaded")
        click.echo(f"demo logins (password: {password}):")
    else:
        # The users keep the password they were created with; do not claim another one.
        click.echo("demo data already present; nothing duplicated")
        click.echo("demo logins (password as given when the demo was first loaded):")
    for username, description in DEMO_USERS:
        click.echo(f"  {username:<16} {description}")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=None, type=int, help="Worker processes (default: one per core).")
@with_appcontext
def serve(host: str, port: int, workers: int | None) -> None:
    """Serve the application with gunicorn (sync workers), bringing the database up to date."""
    from nomination.serve import run

    _upgrade()
    click.echo(f"serving on http://{host}:{port}/")
    sys.stdout.flush()
    run(host, port, workers or os.cpu_count() or 1)


# --- timers ----------------------------------------------------------------------------------


@main.command("tick")
@click.option("--now", "now_text", default=None, help="ISO time to act as now (default: now).")
@with_appcontext
def tick(now_text: str | None) -> None:
    """Fire every due timer (idempotent: running it twice changes nothing more)."""
    from nomination.engine import apply_due_timers

    try:
        now = datetime.fromisoformat(now_text) if now_text else None
    except ValueError:
        raise click.BadParameter(
            f"{now_text!r} is not an ISO time, e.g. 2026-12-04T17:00:00+08:00", param_hint="--now"
        ) from None
    if now is not None and now.tzinfo is None:
        raise click.BadParameter(
            "give a time zone, e.g. 2026-12-04T17:00:00+08:00", param_hint="--now"
        )
    with transaction():
        fired = apply_due_timers(db.session, now)
    click.echo(f"{len(fired)} timer(s) fired")
    for n in fired:
        click.echo(f"  nomination {n.id}: now {n.state}")


# --- workflows -------------------------------------------------------------------------------


@main.group("workflow")
def workflow_group() -> None:
    """Workflow definitions."""


@workflow_group.command("check")
def workflow_check() -> None:
    """Load and check every workflow and form definition; exit 1 naming the first problem."""
    from nomination.engine.definitions import load_all
    from nomination.formdefs import DefinitionError

    try:
        workflows = load_all()
    except DefinitionError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    for wf in workflows.values():
        click.echo(
            f"ok  {wf.name:<12} {len(wf.states)} states, {len(wf.transitions)} transitions, "
            f"version {wf.hash[:12]}  ({wf.source})"
        )


@workflow_group.command("graph")
@click.argument("name")
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="SVG file to write (default: NAME.svg).",
)
@click.option("--language", type=click.Choice(["zh", "en"]), default="zh")
def workflow_graph(name: str, out: str | None, language: str) -> None:
    """Write the diagram of workflow NAME as SVG."""
    from nomination.engine.definitions import load_all
    from nomination.engine.diagram import svg

    workflows = load_all()
    if name not in workflows:
        raise click.BadParameter(f"no workflow {name!r}; known: {', '.join(workflows)}")
    path = Path(out or f"{name}.svg")
    path.write_text(svg(workflows[name], language=language), encoding="utf-8")
    click.echo(str(path))


# --- audit -----------------------------------------------------------------------------------


@main.group("audit")
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Re-compute the hash chain; exit 1 naming the first bad event."""
    from nomination.audit import verify_chain

    result = verify_chain(db.session)
    db.session.rollback()
    click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
    if not result.ok:
        click.echo(
            f"audit trail FAILED at event {result.first_bad_seq}: {result.problem}", err=True
        )
        sys.exit(1)


# --- API tokens ------------------------------------------------------------------------------


@main.group("token")
def token_group() -> None:
    """API tokens."""


def _user(username: str):
    from nomination.models import User

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.BadParameter(f"no user {username!r}", param_hint="USERNAME")
    return user


@token_group.command("create")
@click.argument("username")
@click.option("--name", default="cli", show_default=True, help="A name to recognise the token by.")
@with_appcontext
def token_create(username: str, name: str) -> None:
    """Create an API token for USERNAME and print it once (only its hash is stored)."""
    from nomination.actors import SYSTEM
    from nomination.operations import create_api_token

    with transaction():
        token = create_api_token(db.session, _user(username), name=name, actor=SYSTEM)
    click.echo(token)


@token_group.command("revoke")
@click.argument("username")
@click.option("--name", default=None, help="Revoke only the tokens with this name.")
@with_appcontext
def token_revoke(username: str, name: str | None) -> None:
    """Revoke USERNAME's API tokens."""
    from nomination.actors import SYSTEM
    from nomination.operations import revoke_api_tokens

    with transaction():
        count = revoke_api_tokens(db.session, _user(username), actor=SYSTEM, name=name)
    click.echo(f"{count} token(s) revoked")


def register_commands(app: Flask) -> None:
    """Nothing to add to ``app.cli``: the commands live on the ``nomination`` group."""
