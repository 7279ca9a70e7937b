"""``nomination calendar``: show a year, enter its arrangement, confirm a provisional one."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from nomination import db
from nomination.calendar import store
from nomination.calendar.operations import PERIOD_LABELS, Recount


def _transaction() -> Any:
    from nomination.cli import transaction

    return transaction()


def _print_recounts(recounts: list[Recount], *, would: bool) -> None:
    cal = store.current()
    verb = "would move" if would else "moved"
    if not recounts:
        click.echo(f"no open period {verb}")
    for r in recounts:
        before = cal.local(r.ends_before).strftime("%Y-%m-%d %H:%M")
        after = cal.local(r.ends_after).strftime("%Y-%m-%d %H:%M")
        grade = "provisional" if r.provisional_after else "settled"
        change = f"{before} -> {after}" if r.moved else f"{before}, unchanged"
        click.echo(
            f"  nomination {r.nomination_id}: {PERIOD_LABELS[r.period]['en']} {change} ({grade})"
        )


@click.group("calendar")
def calendar_group() -> None:
    """The working-day calendar: official, provisional and confirmed years."""


@calendar_group.command("show")
@click.argument("year", type=int)
@with_appcontext
def calendar_show(year: int) -> None:
    """Print YEAR's grade, its weekdays off and its weekend days worked."""
    from nomination.calendar.queries import year_view
    from nomination.calendar.workdays import DateOutOfRange

    try:
        view = year_view(db.session, store.current(), year)
    except DateOutOfRange as exc:
        raise click.BadParameter(exc.message["en"], param_hint="YEAR") from None
    click.echo(f"{year}: {view.grade.value} ({view.label['zh']}) — {view.source['zh']}")
    title = "days off" if view.grade.value == "official" else "statutory days off"
    click.echo(f"{title}: " + (", ".join(d.isoformat() for d in view.holidays) or "none"))
    click.echo(
        "weekend days worked: " + (", ".join(d.isoformat() for d in view.workdays) or "none")
    )


def _read_file(path: str, year: int) -> dict[str, Any]:
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise click.BadParameter(str(exc), param_hint="--file") from None
    entry = raw.get(str(year))
    if not isinstance(entry, dict):
        raise click.BadParameter(f"the file has no [{year}] table", param_hint="--file")
    return entry


@calendar_group.command("set")
@click.argument("year", type=int)
@click.option(
    "--file",
    "path",
    default=None,
    help="A TOML file with a [YEAR] table: holidays, workdays, source (default: the holidays "
    "file, NOMINATION_HOLIDAYS_FILE).",
)
@click.option("--source", default=None, help="The State Council notice (文号), if not in the file.")
@click.option("--dry-run", is_flag=True, help="Check and show which open periods would move.")
@with_appcontext
def calendar_set(year: int, path: str | None, source: str | None, dry_run: bool) -> None:
    """Enter YEAR's official arrangement and recount the open periods it moves."""
    from nomination.actors import SYSTEM
    from nomination.calendar.operations import (
        parse_arrangement,
        preview_arrangement,
        set_arrangement,
    )
    from nomination.errors import InvalidData

    path = path or current_app.config.get("HOLIDAYS_FILE")
    if not path or not Path(path).is_file():
        raise click.BadParameter(f"no file {path!r}", param_hint="--file")
    entry = _read_file(path, year)
    holidays, workdays = entry.get("holidays", []), entry.get("workdays", [])
    with _transaction():
        try:
            if dry_run:
                arrangement = parse_arrangement(year, holidays, workdays)
                _print_recounts(preview_arrangement(db.session, year, arrangement), would=True)
                db.session.rollback()
                return
            moved = set_arrangement(
                db.session,
                actor=SYSTEM,
                year=year,
                holidays=holidays,
                workdays=workdays,
                source=source or entry.get("source", ""),
            )
        except InvalidData as exc:
            # Each field's errors on a line of its own; the transaction then refuses.
            for name, messages in (exc.fields or {}).items():
                for message in messages:
                    click.echo(f"{name}: {message}", err=True)
            raise
        _print_recounts(moved, would=False)
    click.echo(f"{year} is official")


@calendar_group.command("confirm")
@click.argument("year", type=int)
@click.option("--reason", required=True, help="Why the provisional calendar is accepted.")
@with_appcontext
def calendar_confirm(year: int, reason: str) -> None:
    """Accept YEAR's provisional calendar: its periods may close at their provisional ends."""
    from nomination.actors import SYSTEM
    from nomination.calendar.operations import confirm_year

    with _transaction():
        moved = confirm_year(db.session, actor=SYSTEM, year=year, reason=reason)
        _print_recounts(moved, would=False)
    click.echo(f"{year} is confirmed")
