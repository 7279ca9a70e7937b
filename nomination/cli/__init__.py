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
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext
from sqlalchemy import select

from nomination import db


def _create_app() -> Flask:
    from nomination import create_app
    from nomination.definitions.forms import DefinitionError

    try:
        return create_app()
    except DefinitionError as exc:
        # A definition file is wrong: say which file and entry, without a traceback.
        raise click.ClickException(f"the definitions are not valid: {exc}") from None


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def main() -> None:
    """Award nominations: labour honours, public notice, audit trail, archive."""


@contextlib.contextmanager
def transaction() -> Iterator[None]:
    """Commit once at the end of a command, or roll everything back."""
    from nomination.calendar.workdays import DateOutOfRange
    from nomination.errors import OperationError

    try:
        yield
        db.session.commit()
    except (OperationError, DateOutOfRange) as exc:
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
    """Load the demo federation (idempotent) and print the demo logins.

    Without an audit signing key, one is made first, so that the demo's stages are signed.
    """
    from nomination.audit.checkpoints import (
        CheckpointError,
        generate_keys,
        key_directory,
        signing_key,
    )
    from nomination.demo import DEMO_USERS, load_demo

    _upgrade()
    try:
        has_key = signing_key() is not None
    except CheckpointError:
        has_key = True  # configured but unreadable: the operator's to fix, not to replace
    if not has_key:
        _, public = generate_keys(key_directory())
        click.echo(f"audit signing key made; its public key: {public}", err=True)
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
    _print_first_start(f"http://{host}:{port}")
    sys.stdout.flush()
    run(host, port, workers or os.cpu_count() or 1)


def _print_first_start(base: str) -> None:
    """Print the set-up address while the instance has not been set up."""
    from nomination.administration.first_start import is_set_up, setup_token

    with current_app.app_context():
        if is_set_up(db.session):
            return
        token = setup_token(current_app.config["SECRET_KEY"])
    click.echo(f"first start: set the instance up at {base}/setup?token={token}")
    click.echo("  (or run `nomination init` on this server)")


@main.command("init")
@click.option("--federation-code", required=True, help="The federation's code, e.g. CY-ZGH.")
@click.option("--federation-name", required=True, help="Its name, e.g. 北京市朝阳区总工会.")
@click.option("--federation-name-en", default=None, help="Its name in English.")
@click.option("--admin", "username", required=True, help="The first administrator's user name.")
@click.option("--admin-name", "display_name", required=True, help="The administrator's name.")
@click.option("--email", default=None, help="The administrator's e-mail address.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    envvar="NOMINATION_INIT_PASSWORD",
    help="The administrator's password (asked for; or NOMINATION_INIT_PASSWORD).",
)
@click.option("--timezone", default="Asia/Shanghai", show_default=True)
@click.option("--closing-hour", type=int, default=17, show_default=True)
@with_appcontext
def init(**details: object) -> None:
    """Set a fresh instance up: its federation and first administrator (once only)."""
    from nomination.administration.first_start import set_up_instance
    from nomination.errors import InvalidData

    _upgrade()
    with transaction():
        try:
            admin = set_up_instance(db.session, **details)  # type: ignore[arg-type]
        except InvalidData as exc:
            for name, messages in exc.fields.items():
                for message in messages:
                    click.echo(f"{name}: {message}", err=True)
            raise
        username = admin.username
    click.echo(f"set up: log in as {username}")


# --- timers ----------------------------------------------------------------------------------


@main.command("tick")
@click.option("--now", "now_text", default=None, help="ISO time to act as now (default: now).")
@with_appcontext
def tick(now_text: str | None) -> None:
    """Fire every due timer (idempotent: running it twice changes nothing more).

    Also signs the day's audit checkpoint, deletes forms kept past their time (see
    ``nomination.web.kept_forms``), writes the reminders of near and missed deadlines and
    sends the notification mails waiting (see ``nomination.notifications``).
    """
    from nomination.actors import SYSTEM
    from nomination.db import utcnow
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
    from nomination.calendar import store
    from nomination.calendar.operations import recount_stale, remind_missing

    with transaction():
        # A period another host opened on an older calendar is counted on today's first.
        recounted = recount_stale(db.session, actor=SYSTEM, now=now)
    if recounted:
        click.echo(f"{len(recounted)} period(s) recounted on the calendar in force")
    with transaction():
        fired = apply_due_timers(db.session, now)
    click.echo(f"{len(fired)} timer(s) fired")
    with transaction():
        missing = remind_missing(db.session, store.current(), now or utcnow())
    if missing:
        click.echo(
            "warning: the official holiday arrangement of "
            + ", ".join(str(y) for y in missing)
            + " is not entered: periods into it are provisional (nomination calendar set YEAR)",
            err=True,
        )
    for n in fired:
        click.echo(f"  nomination {n.id}: now {n.state}")
    _daily_checkpoint()
    from nomination.web.kept_forms import forget_old

    with transaction():
        forgotten = forget_old(db.session, now)
    if forgotten:
        click.echo(f"{forgotten} kept form(s) past their time deleted")
    from nomination.notifications import send_digests, send_pending, sweep

    # Reminders after the timers: a nomination that just lapsed needs none. Counts are
    # printed only when something happened, like the kept forms above.
    with transaction():
        reminded = sweep(db.session, now)
    if reminded:
        click.echo(f"{reminded} reminder(s) written")
    # Small batches, each committed: the write lock is never held over a long SMTP session,
    # and a crash can re-send at most one batch.
    sent = failed = 0
    while True:
        with transaction():
            batch_sent, batch_failed = send_pending(db.session, current_app.config, limit=20)
        sent, failed = sent + batch_sent, failed + batch_failed
        if batch_sent + batch_failed < 20:
            break
    if sent or failed:
        click.echo(f"{sent} mail(s) sent, {failed} failed")
    # Those who chose one mail a day: their digest, on the first tick of a new local day.
    with transaction():
        digests, digests_failed = send_digests(db.session, current_app.config, now)
    if digests or digests_failed:
        click.echo(f"{digests} digest(s) sent, {digests_failed} failed")


# --- workflows -------------------------------------------------------------------------------


@main.group("workflow")
def workflow_group() -> None:
    """Workflow definitions."""


@workflow_group.command("check")
def workflow_check() -> None:
    """Load and check every workflow and form definition; exit 1 naming the first problem."""
    from nomination.definitions.forms import DefinitionError
    from nomination.engine.definitions import load_all

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
    # For those who write definitions: each state's name beside its label.
    path.write_text(svg(workflows[name], language=language, codes=True), encoding="utf-8")
    click.echo(str(path))


# --- audit -----------------------------------------------------------------------------------


@main.group("audit")
def audit_group() -> None:
    """The audit trail: verification, signed checkpoints, exports."""


def _load_app() -> None:
    """Push the application's context, as ``with_appcontext`` does, for one branch of a command."""
    ctx = click.get_current_context()
    if not current_app:
        app = ctx.ensure_object(ScriptInfo).load_app()
        ctx.with_resource(app.app_context())


@audit_group.command("verify", with_appcontext=False)
@click.option(
    "--export",
    "export_path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Verify this exported file offline, without the database or configuration.",
)
@click.option(
    "--checkpoint",
    "checkpoint_path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="The checkpoint JSON you kept: the log must still extend it.",
)
@click.option(
    "--public-key",
    "public_key_path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="The public key the checkpoints are signed with (PEM or base64).",
)
def audit_verify(
    export_path: str | None, checkpoint_path: str | None, public_key_path: str | None
) -> None:
    """Check the chain, the Merkle tree and every checkpoint; exit 1 naming the first bad one.

    With --checkpoint and --public-key, the database's log must also extend the checkpoint you
    kept. With --export, check an exported log offline against it instead.
    """
    if export_path:
        if not checkpoint_path or not public_key_path:
            raise click.UsageError("--export needs --checkpoint and --public-key")
        # Offline: nothing here loads the application, its configuration or its database.
        from nomination.audit.offline import report, verify_export_file

        out, err = report(verify_export_file(export_path, checkpoint_path, public_key_path))
        click.echo(out)
        if err:
            click.echo(err, err=True)
            sys.exit(1)
        return
    _load_app()
    from nomination.audit.checkpoints import verify_log
    from nomination.audit.offline import load_public_key

    extra = []
    if public_key_path:
        try:
            extra.append(load_public_key(Path(public_key_path).read_bytes()))
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--public-key") from None
    kept = None
    if checkpoint_path:
        if not public_key_path:
            # The kept checkpoint is judged with the key the auditor trusts, not the server's.
            raise click.UsageError("--checkpoint needs --public-key")
        try:
            kept = json.loads(Path(checkpoint_path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise click.BadParameter(str(exc), param_hint="--checkpoint") from None
        if not isinstance(kept, dict):
            raise click.BadParameter("not a checkpoint (a JSON object)", param_hint="--checkpoint")
    result = verify_log(db.session, extra, kept=kept)
    db.session.rollback()
    click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
    for warning in result.clock_warnings:
        click.echo(f"warning: {warning}", err=True)
    if not result.ok:
        if result.checkpoint_problem is not None:
            click.echo(f"audit trail FAILED at {result.checkpoint_problem}", err=True)
        else:
            click.echo(
                f"audit trail FAILED at event {result.chain.first_bad_seq}: {result.chain.problem}",
                err=True,
            )
        sys.exit(1)


@audit_group.command("keygen")
@click.option(
    "--force", is_flag=True, help="Replace the key (its public key is kept to verify old ones)."
)
@with_appcontext
def audit_keygen(force: bool) -> None:
    """Write the checkpoint signing key pair; print the public key file's path."""
    from nomination.audit.checkpoints import generate_keys, key_directory

    try:
        private, public = generate_keys(key_directory(), force=force)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"private key written to {private} (mode 0600): keep it out of the database's backups",
        err=True,
    )
    click.echo(str(public))


@audit_group.command("checkpoint")
@click.option("--note", default=None, help="A note stored with the checkpoint.")
@with_appcontext
def audit_checkpoint(note: str | None) -> None:
    """Sign a checkpoint of the audit trail now, store it, and write it to stdout as JSON."""
    from nomination.audit.checkpoints import (
        REASON_MANUAL,
        CheckpointError,
        checkpoint_json,
        create_checkpoint,
    )

    try:
        with transaction():
            cp = create_checkpoint(db.session, reason=REASON_MANUAL, note=note)
            data = checkpoint_json(cp)
    except CheckpointError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _moment(text: str | None, hint: str, *, end: bool) -> datetime | None:
    """Read --from/--to: an ISO time, or a local date (--to then means the end of that day)."""
    from datetime import date, time, timedelta
    from zoneinfo import ZoneInfo

    if not text:
        return None
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    try:
        if "T" not in text and " " not in text:
            day = date.fromisoformat(text) + timedelta(days=1 if end else 0)
            return datetime.combine(day, time(0), tz)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not an ISO date or time, e.g. 2026-11-18 or 2026-11-18T09:00:00+08:00",
            param_hint=hint,
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


@audit_group.command("export")
@click.option(
    "--out", "out_path", required=True, type=click.Path(dir_okay=False), help="File to write."
)
@click.option("--from", "from_text", default=None, help="Events at or after this ISO time/date.")
@click.option(
    "--to", "to_text", default=None, help="Events before this time (or to the end of this date)."
)
@click.option("--campaign", "campaign_id", type=int, default=None, help="Only this campaign's.")
@click.option(
    "--personal-data",
    is_flag=True,
    help="Include the kept personal values and their salts (checked against the commitments).",
)
@with_appcontext
def audit_export(
    out_path: str,
    from_text: str | None,
    to_text: str | None,
    campaign_id: int | None,
    personal_data: bool,
) -> None:
    """Export the audit trail as JSON Lines, with what an offline verification needs."""
    from nomination.audit.export import write_export

    start = _moment(from_text, "--from", end=False)
    end = _moment(to_text, "--to", end=True)
    with open(out_path, "w", encoding="utf-8", newline="\n") as out:
        summary = write_export(
            db.session,
            out,
            start=start,
            end=end,
            campaign_id=campaign_id,
            personal=personal_data,
        )
    db.session.rollback()
    click.echo(
        f"{summary.events} event(s) written to {out_path}; "
        f"the log: {summary.tree_size} events, root {summary.root_hash}"
    )
    if summary.checkpoint:
        click.echo(
            f"latest checkpoint: {summary.checkpoint['tree_size']} events, "
            f"signed {summary.checkpoint['signed_at']}"
        )
    else:
        click.echo("no checkpoint yet: sign one with `nomination audit checkpoint`", err=True)


@audit_group.command("erase")
@click.argument("subject")
@click.option("--reason", required=True, help="The request or legal ground, recorded with it.")
@with_appcontext
def audit_erase(subject: str, reason: str) -> None:
    """Erase a person's personal values from the audit trail.

    SUBJECT is a nomination id (the nominee's data) or a subject key: ``nomination:42``, or
    ``user:7`` for the addresses a user signed in from.

    The hashed records keep only salted commitments, so verification still passes and reports
    the values as redacted; the erasure itself is audited.
    """
    from nomination.actors import SYSTEM
    from nomination.audit.erasure import erase_person

    target: int | str = int(subject) if subject.isdigit() else subject
    with transaction():
        done = erase_person(db.session, actor=SYSTEM, subject=target, reason=reason)
    click.echo(f"erased {done.values} value(s) in {len(done.events)} event(s) of {done.subject}")


def _daily_checkpoint() -> None:
    """Sign the day's checkpoint when none was signed today (called by ``tick``)."""
    from nomination.audit.checkpoints import daily_checkpoint

    with transaction():
        cp = daily_checkpoint(db.session)
        signed = cp and (cp.id, cp.tree_size, cp.root_hash)
    if signed:
        click.echo(f"checkpoint {signed[0]} signed: {signed[1]} events, root {signed[2]}")


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
    from nomination.accounts import create_api_token
    from nomination.actors import SYSTEM

    with transaction():
        token = create_api_token(db.session, _user(username), name=name, actor=SYSTEM)
    click.echo(token)


@token_group.command("revoke")
@click.argument("username")
@click.option("--name", default=None, help="Revoke only the tokens with this name.")
@with_appcontext
def token_revoke(username: str, name: str | None) -> None:
    """Revoke USERNAME's API tokens."""
    from nomination.accounts import revoke_api_tokens
    from nomination.actors import SYSTEM

    with transaction():
        count = revoke_api_tokens(db.session, _user(username), actor=SYSTEM, name=name)
    click.echo(f"{count} token(s) revoked")


# --- campaign rules: allocations and barred units ----------------------------------------------


@main.group("campaign")
def campaign_group() -> None:
    """A campaign's allocations (quotas) and the units barred from nominating."""


def _organisation(code: str):
    from nomination.models import Organisation

    org = db.session.scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        raise click.BadParameter(f"no organisation {code!r}", param_hint="ORG_CODE")
    return org


@campaign_group.command("quota")
@click.argument("campaign_id", type=int)
@click.argument("org_code")
@click.argument("kind")
@click.argument("places", type=click.IntRange(min=0))
@with_appcontext
def campaign_quota(campaign_id: int, org_code: str, kind: str, places: int) -> None:
    """Set how many KIND nominations a working committee forwards, or a unit recommends."""
    from nomination.actors import SYSTEM
    from nomination.administration.campaigns import set_quota
    from nomination.models import Campaign

    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise click.BadParameter(f"no campaign {campaign_id}", param_hint="CAMPAIGN_ID")
    if campaign.award(kind) is None:
        offered = ", ".join(a.kind for a in campaign.awards)
        raise click.BadParameter(f"the campaign offers {offered}, not {kind!r}", param_hint="KIND")
    with transaction():
        quota = set_quota(
            db.session,
            actor=SYSTEM,
            campaign=campaign,
            committee=_organisation(org_code),
            kind=kind,
            places=places,
        )
        usable = quota.usable()
    click.echo(f"{org_code}: {places} place(s) for {kind}; {usable} with the campaign's pool")


@campaign_group.command("bar")
@click.argument("org_code")
@click.argument("year", type=int)
@click.option("--reason", required=True, help="Why (wage arrears, a safety accident …).")
@with_appcontext
def campaign_bar(org_code: str, year: int, reason: str) -> None:
    """Bar a unit (or every unit of a working committee) from nominating in YEAR."""
    from nomination.actors import SYSTEM
    from nomination.administration.campaigns import bar_unit

    with transaction():
        bar_unit(db.session, actor=SYSTEM, unit=_organisation(org_code), year=year, reason=reason)
    click.echo(f"{org_code} may not nominate in {year}: {reason}")


def _add_area_commands() -> None:
    from nomination.cli.calendar import calendar_group

    main.add_command(calendar_group)


_add_area_commands()
