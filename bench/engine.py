"""Benchmark of the workflow engine: fires per second against a bare transaction, and memory.

For SQLite (a temporary file in WAL mode, through ``nomination.db.make_engine``) and, when
``--postgres URL`` or ``NOMINATION_BENCH_POSTGRES_URL`` is given, PostgreSQL (in a temporary
schema that is dropped afterwards), it prints:

- the engine's fires per second: one realistic transition (a working committee returns a
  nomination, the unit resubmits it) with its audit append, one committed transaction each,
  loading the user and the nomination as a request would;
- a bare SQLAlchemy transaction on the same database in the same run (update one row, insert
  one row; Core, and for comparison the ORM), and the ratio engine / bare (goal: at least 0.6);
- the process's resident memory after touching 1,000 and 10,000 nominations (load each and call
  ``available()``): it stays flat because every nomination of a definition version shares one
  ``transitions`` machine.

The runs are interleaved in rounds, so that a busy shared machine slows all of them alike.
Nothing is left behind. A figure, not a test: nothing is asserted.

    .venv/bin/python bench/engine.py [--quick] [--postgres URL] [--seconds S]
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session

from nomination import engine as wf_engine
from nomination.actors import SYSTEM
from nomination.administration.campaigns import create_campaign
from nomination.audit.checkpoints import REASON_STAGE, sign_now
from nomination.db import make_engine
from nomination.demo import CURRENT
from nomination.engine import available, fire
from nomination.engine.core import _WORKFLOWS
from nomination.migrate import upgrade
from nomination.models import Nomination, Organisation, RoleAssignment, User
from nomination.nominations.operations import create_nomination

# --- the bare transaction's tables -------------------------------------------------------------

BARE = MetaData()
bench_counter = Table(
    "bench_counter", BARE, Column("id", Integer, primary_key=True), Column("value", Integer)
)
bench_log = Table(
    "bench_log",
    BARE,
    Column("id", Integer, primary_key=True),
    Column("counter_id", Integer),
    Column("at", DateTime),
    Column("note", String(200)),
)


class _BareBase(DeclarativeBase):
    metadata = BARE


class BenchCounter(_BareBase):
    """The ORM view of the bare counter table."""

    __table__ = bench_counter


class BenchLog(_BareBase):
    """The ORM view of the bare log table."""

    __table__ = bench_log


# --- set-up -----------------------------------------------------------------------------------

PERSON = CURRENT[0].data  # complete, valid individual data from the demo
RECOMMEND = {
    "members_present": 120,
    "votes_for": 110,
    "votes_against": 4,
    "votes_abstain": 6,
    "notice_result": "no_objection",
    "comment": "同意推荐。",
}


@dataclass
class World:
    """What the runs need: the database, the users and the nominations to act on."""

    engine: Engine
    unit_user: int
    committee_user: int
    reader: int
    campaign: int
    unit: int
    definition_hash: str
    cycling: list[int]


@contextmanager
def database(backend: str, url: str | None) -> Iterator[Engine]:
    """Yield a migrated engine on a throwaway database; remove every trace afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="nomination-bench-") as folder:
            engine = make_engine(f"sqlite:///{folder}/bench.sqlite3")
            try:
                upgrade(engine)
                BARE.create_all(engine)
                yield engine
            finally:
                engine.dispose()
        return
    assert url is not None
    schema = "bench_" + secrets.token_hex(4)
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(engine)
        BARE.create_all(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _org(session: Session, code: str, kind: str, parent: Organisation | None) -> Organisation:
    org = Organisation(code=code, name=code, kind=kind, parent=parent)
    session.add(org)
    session.flush()
    org.path = (parent.path if parent else "/") + f"{org.id}/"
    return org


def seed(engine: Engine, cycling: int) -> World:
    """Create a federation, a committee, a unit, users, a campaign and nominations in review."""
    cal = wf_engine.calendar()
    now = datetime.now(UTC)
    today = now.date()
    end = today - timedelta(days=1)
    while not cal.is_workday(end):
        end -= timedelta(days=1)
    start = end
    for _ in range(4):
        start -= timedelta(days=1)
        while not cal.is_workday(start):
            start -= timedelta(days=1)
    recommend = {
        **RECOMMEND,
        "congress_date": (start - timedelta(days=3)).isoformat(),
        "notice_start": start.isoformat(),
        "notice_end": end.isoformat(),
    }
    with Session(engine) as s, s.begin():
        fed = _org(s, "F", "federation", None)
        committee = _org(s, "C", "committee", fed)
        unit = _org(s, "U", "unit", committee)
        users = {}
        for name, roles in {
            "unit": [("unit_submitter", unit)],
            "committee": [("committee_reviewer", committee)],
            "reader": [
                ("unit_submitter", unit),
                ("committee_reviewer", committee),
                ("federation_reviewer", fed),
            ],
        }.items():
            users[name] = User(
                username=name,
                display_name=name,
                password_hash="-",
                roles=[RoleAssignment(role=r, organisation=o) for r, o in roles],
            )
            s.add(users[name])
        s.flush()
        campaign = create_campaign(
            s,
            actor=SYSTEM,
            year=today.year,
            name="bench",
            federation=fed,
            nomination_deadline=today + timedelta(days=60),
            awards={"individual": ("首都劳动奖章", "Capital Labour Medal")},
        )
        ids = []
        for _ in range(cycling):
            n = create_nomination(
                s, actor=users["unit"], campaign=campaign, kind="individual", unit=unit, data=PERSON
            )
            fire(n, "recommend", users["unit"], data=recommend, now=now)
            ids.append(n.id)
        s.execute(insert(bench_counter), [{"id": i, "value": 0} for i in range(1, 101)])
        return World(
            engine=engine,
            unit_user=users["unit"].id,
            committee_user=users["committee"].id,
            reader=users["reader"].id,
            campaign=campaign.id,
            unit=unit.id,
            definition_hash=campaign.awards[0].definition_hash,
            cycling=ids,
        )


# --- throughput -------------------------------------------------------------------------------


def load_actors(world: World) -> dict[int, User]:
    """Return the two actors with their roles loaded, detached: as a login cache would hold them."""
    with Session(world.engine, expire_on_commit=False) as s:
        actors = {uid: s.get(User, uid) for uid in (world.unit_user, world.committee_user)}
        for user in actors.values():
            for role in user.roles:
                _ = role.organisation.path
    return actors


def engine_runner(
    world: World, load_user: bool, sign: Ed25519PrivateKey | None = None
) -> Callable[[], None]:
    """Return one firing: the committee returns, or the unit resubmits, the next nomination.

    Each is a transaction of its own: load the nomination, fire (row lock, version check,
    form, guards, effect, timer) with its audit append, commit. With ``load_user`` the actor
    is also loaded in the transaction, as a request authenticating from its session would.
    With ``sign``, the checkpoint the application signs at each change of state is signed
    with that key in the same transaction (resuming from the previous one's frontier).
    """
    counter = iter(range(sys.maxsize))
    cached = load_actors(world)

    def actor(s: Session, uid: int) -> User:
        return s.get(User, uid) if load_user else cached[uid]

    def once() -> None:
        nid = world.cycling[next(counter) % len(world.cycling)]
        with Session(world.engine) as s, s.begin():
            n = s.get(Nomination, nid)
            if n.state == "returned":
                fire(n, "resubmit", actor(s, world.unit_user), data={"comment": "已按意见修改。"})
            else:
                reason = {"reason": "请补充近三年的具体业绩。"}
                fire(n, "return_to_unit", actor(s, world.committee_user), data=reason)
            if sign is not None:
                sign_now(s, sign, REASON_STAGE, None)

    return once


def core_runner(world: World) -> Callable[[], None]:
    """Return one bare Core transaction: update one row, insert one row."""
    counter = iter(range(sys.maxsize))

    def once() -> None:
        k = next(counter) % 100 + 1
        with world.engine.begin() as conn:
            conn.execute(
                update(bench_counter)
                .where(bench_counter.c.id == k)
                .values(value=bench_counter.c.value + 1)
            )
            conn.execute(
                insert(bench_log).values(counter_id=k, at=datetime.now(), note="bare transaction")
            )

    return once


def orm_runner(world: World) -> Callable[[], None]:
    """Return one bare ORM transaction: load and change one row, add one row."""
    counter = iter(range(sys.maxsize))

    def once() -> None:
        k = next(counter) % 100 + 1
        with Session(world.engine) as s, s.begin():
            s.get(BenchCounter, k).value += 1
            s.add(BenchLog(counter_id=k, at=datetime.now(), note="bare ORM transaction"))

    return once


def throughput(runners: dict[str, Callable[[], None]], seconds: float, rounds: int) -> dict:
    """Run each runner for ``seconds`` in total, interleaved in ``rounds``; return ops/s."""
    done = dict.fromkeys(runners, 0)
    spent = dict.fromkeys(runners, 0.0)
    for fn in runners.values():  # warm up caches and connections
        for _ in range(20):
            fn()
    for _ in range(rounds):
        for name, fn in runners.items():
            start = time.perf_counter()
            deadline = start + seconds / rounds
            n = 0
            while time.perf_counter() < deadline:
                fn()
                n += 1
            spent[name] += time.perf_counter() - start
            done[name] += n
    return {name: done[name] / spent[name] for name in runners}


# --- memory -----------------------------------------------------------------------------------


def rss_mb() -> float:
    """Return the process's current resident set size in MiB."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


STATES = ["draft", "committee_review", "returned", "federation_review", "consultation"]


def insert_nominations(world: World, count: int) -> list[int]:
    """Insert ``count`` nominations in several states in bulk (set-up only, not audited)."""
    now = datetime.now(UTC)
    rows = [
        {
            "campaign_id": world.campaign,
            "kind": "individual",
            "unit_id": world.unit,
            "definition_hash": world.definition_hash,
            "state": STATES[i % len(STATES)],
            "version": 1,
            "data": {**PERSON, "name": f"{PERSON['name']}{i}"},
            "evidence": {},
            "nominee_name": f"{PERSON['name']}{i}",
            "state_entered_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(count)
    ]
    table = Nomination.__table__
    with world.engine.begin() as conn:
        for i in range(0, count, 1000):
            conn.execute(insert(table), rows[i : i + 1000])
        return list(
            conn.scalars(
                select(table.c.id).where(table.c.state.in_(STATES)).order_by(table.c.id.desc())
            )
        )[:count]


def touch(world: World, ids: list[int], batch: int = 500) -> int:
    """Load each nomination and ask what the reader may do with it; return transitions seen."""
    seen = 0
    for i in range(0, len(ids), batch):
        with Session(world.engine) as s:
            reader = s.get(User, world.reader)
            rows = s.scalars(select(Nomination).where(Nomination.id.in_(ids[i : i + batch])))
            for n in rows:
                seen += len(available(n, reader))
    return seen


def memory(world: World, small: int, large: int) -> dict[str, Any]:
    """Return RSS before touching, after ``small`` and after ``large`` nominations."""
    ids = insert_nominations(world, large)
    touch(world, ids[:50])  # warm up: imports, compiled statements, the machine
    gc.collect()
    start = rss_mb()
    touch(world, ids[:small])
    gc.collect()
    after_small = rss_mb()
    touch(world, ids[small:large])
    gc.collect()
    after_large = rss_mb()
    return {
        "start": start,
        "small": after_small,
        "large": after_large,
        "per_nomination": (after_large - after_small) * 1024 * 1024 / (large - small),
        "machines": len(_WORKFLOWS),
        "registered": sum(len(wf.machine.models) for wf in _WORKFLOWS.values()),
    }


# --- main -------------------------------------------------------------------------------------


def run(
    backend: str, url: str | None, seconds: float, small: int, large: int, cycling: int
) -> dict:
    """Measure one backend."""
    with database(backend, url) as engine:
        # Enough nominations that each sees a life's worth of transitions, not hundreds (every
        # firing appends an opinion to the nomination's evidence).
        world = seed(engine, cycling=cycling)
        rates = throughput(
            {
                "engine": engine_runner(world, load_user=False),
                "engine_user": engine_runner(world, load_user=True),
                "engine_sign": engine_runner(
                    world, load_user=False, sign=Ed25519PrivateKey.generate()
                ),
                "core": core_runner(world),
                "orm": orm_runner(world),
            },
            seconds,
            rounds=5,
        )
        mem = memory(world, small, large)
    return {"backend": backend, **rates, **mem}


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run the backends and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres",
        default=os.environ.get("NOMINATION_BENCH_POSTGRES_URL"),
        help="PostgreSQL URL (default: NOMINATION_BENCH_POSTGRES_URL); a temporary schema is used",
    )
    parser.add_argument("--quick", action="store_true", help="a short run with fewer nominations")
    parser.add_argument("--seconds", type=float, help="seconds per measured kind and backend")
    args = parser.parse_args(argv)
    seconds = args.seconds or (1.0 if args.quick else 6.0)
    small, large = (100, 1_000) if args.quick else (1_000, 10_000)

    backends = [("sqlite", None)] + ([("postgresql", args.postgres)] if args.postgres else [])
    started = time.perf_counter()
    results = [run(b, u, seconds, small, large, 200 if args.quick else 1_000) for b, u in backends]

    print(f"\nfires per second ({seconds:g} s each, interleaved in 5 rounds; one commit per op)")
    print(
        f"{'backend':<11} {'engine':>7} {'+user':>7} {'+sign':>7} {'bare Core':>10} {'bare ORM':>9}"
        f" {'engine/Core':>12} {'engine/ORM':>11}"
    )
    for r in results:
        print(
            f"{r['backend']:<11} {r['engine']:>7.0f} {r['engine_user']:>7.0f}"
            f" {r['engine_sign']:>7.0f} {r['core']:>10.0f}"
            f" {r['orm']:>9.0f} {r['engine'] / r['core']:>12.2f} {r['engine'] / r['orm']:>11.2f}"
        )
    print("  engine: load nomination, fire return_to_unit / resubmit (lock, version check, form,")
    print("          guards, effect, timer), audit append to the hash chain, commit")
    print("  +user:  the same, also loading the acting user and roles as a request does")
    print("  +sign:  the same, also signing the checkpoint each change of state gets (Ed25519)")
    print("  bare:   update one row + insert one row, commit; goal engine/bare >= 0.6")
    print("\nresident memory (MiB) touching nominations: load + available() in batches of 500")
    print(
        f"{'backend':<11} {'before':>7} {f'{small:,}':>8} {f'{large:,}':>8}"
        f" {'bytes/nomination':>17} {'machines':>9} {'rows registered':>16}"
    )
    for r in results:
        print(
            f"{r['backend']:<11} {r['start']:>7.1f} {r['small']:>8.1f} {r['large']:>8.1f}"
            f" {r['per_nomination']:>17.0f} {r['machines']:>9} {r['registered']:>16}"
        )
    print(f"\n({time.perf_counter() - started:.0f} s in all; {date.today()}; {sys.platform})")


if __name__ == "__main__":
    main()
