"""Benchmark of the archive search (``nomination.archive.search``) on 100,000 people.

For SQLite (a temporary file, through ``nomination.db.make_engine``) and, when ``--postgres
URL`` or ``NOMINATION_BENCH_POSTGRES_URL`` is given, PostgreSQL (in a temporary schema that is
dropped afterwards), it creates a federation of 10 working committees and 200 units, 100,000
people with their pinyin keys (``archive.pinyin_keys``), one to three honours each, a status,
a second federation holding another 10% (which the searches must never return), and unit
certificates; then it runs representative searches many times, as the federation's reviewer
and as one unit's submitter, and prints the median and 95th percentile in milliseconds of a
whole ``search()`` call (count, page of 50, honours loaded), and the plan line of each query
that shows which index is read.

On PostgreSQL it runs the searches three times: with the indexes the migrations create; with
the "C" collation indexes of ``archive_search.POSTGRES_PATTERN_INDEXES`` created in the
temporary schema (the searches by characters then read an index); and with, in addition,
``random_page_cost = 1.1`` (the usual setting on SSD, where the filters without a name read
the people by index rather than scan them).

Rows are written with Core inserts (the operations would audit each one, which is not what is
measured). A figure, not a test: nothing is asserted beyond the results being in scope.

    .venv/bin/python bench/archive_search.py [--people N] [--repeat R] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from nomination.archive import search as archive_search
from nomination.archive.people import pinyin_keys
from nomination.db import make_engine
from nomination.migrate import upgrade
from nomination.models import (
    ArchivePerson,
    HonourRecord,
    Organisation,
    PersonStatus,
    RoleAssignment,
    User,
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤章"
)
GIVEN = (
    "建国秀英明华军强伟芳丽敏静磊洋勇艳杰娟涛超霞平刚桂英春兰志红玉梅海燕文辉成林立新宏斌晓"
    "东鹏飞俊峰云德福凤琴荣国庆永胜利金宝泉清波浩宇佳欣雨婷子涵博文"
)
TITLES = {
    "national": (("全国劳动模范", "model_worker"), ("全国五一劳动奖章", "medal")),
    "capital": (("北京市劳动模范", "model_worker"), ("首都劳动奖章", "medal")),
    "district": (("朝阳区劳动模范", "model_worker"), ("朝阳区五一劳动奖章", "medal")),
}
STATUSES = ("in_service",) * 6 + ("retired",) * 3 + ("deceased", "transferred", "abroad")
NOW = datetime(2026, 1, 15, 2, 0, tzinfo=UTC)


@contextmanager
def database(backend: str, url: str | None) -> Iterator[Engine]:
    """Yield a migrated engine on a throwaway database; remove every trace afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="nomination-bench-") as folder:
            engine = make_engine(f"sqlite:///{folder}/bench.sqlite3")
            try:
                upgrade(engine)
                yield engine
            finally:
                engine.dispose()
        return
    assert url is not None
    schema = "bench_archive_" + secrets.token_hex(4)
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(engine)
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


def _user(session: Session, name: str, role: str, org: Organisation) -> int:
    user = User(
        username=name,
        display_name=name,
        password_hash="-",
        roles=[RoleAssignment(role=role, organisation=org)],
    )
    session.add(user)
    session.flush()
    return user.id


def _id_number(serial: int) -> str:
    """Return a distinct 18-character ID number (the search never checks its digits)."""
    return f"110105{serial:012d}"


def seed(engine: Engine, people: int) -> dict[str, Any]:
    """Create the federations, the units, the people and their honours; return the ids."""
    rng = random.Random(20260115)
    with Session(engine) as s, s.begin():
        fed = _org(s, "F", "federation", None)
        committees = [_org(s, f"C{i}", "committee", fed) for i in range(10)]
        units = [_org(s, f"U{i}", "unit", committees[i % 10]) for i in range(200)]
        other = _org(s, "F2", "federation", None)
        other_unit = _org(s, "F2U", "unit", _org(s, "F2C", "committee", other))
        users = {
            "federation": _user(s, "federation", "federation_reviewer", fed),
            "unit": _user(s, "unit", "unit_submitter", units[7]),
        }
        ids = {"fed": fed.id, "units": [u.id for u in units], "other": other.id}
        ids["other_unit"] = other_unit.id
    keys: dict[str, tuple[str, str]] = {}
    person_rows, honour_rows, status_rows = [], [], []
    serial = 0
    for pid in range(1, people + 1):
        if pid == 1:
            name = "张建国"
        elif pid == 2:
            name = "章建国"  # a homophone
        else:
            name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
        if name not in keys:
            keys[name] = pinyin_keys(name)
        full, initials = keys[name]
        outside = pid % 10 == 0
        unit = ids["other_unit"] if outside else rng.choice(ids["units"])
        status = rng.choice(STATUSES)
        person_rows.append(
            {
                "id": pid,
                "federation_id": ids["other"] if outside else ids["fed"],
                "id_number": _id_number(pid),
                "name": name,
                "name_pinyin": full,
                "name_initials": initials,
                "gender": rng.choice(("male", "female")),
                "unit_id": unit,
                "unit_name": "",
                "post": "",
                "sector": rng.choice(("制造业", "建筑业", "教育", "卫生和社会工作", "交通运输")),
                "status": status,
                "created_at": NOW,
                "version": 1,
            }
        )
        status_rows.append(
            {
                "person_id": pid,
                "status": status,
                "effective_date": date(2020, 1, 1),
                "reported_at": NOW,
            }
        )
        for _ in range(rng.choice((1, 1, 2, 3))):
            serial += 1
            level = rng.choice(("national", "capital", "capital", "district", "district"))
            title, kind = rng.choice(TITLES[level])
            year = rng.randrange(1980, 2026)
            honour_rows.append(
                {
                    "kind": "individual",
                    "title": title,
                    "year": year,
                    "holder_name": name,
                    "unit_id": unit,
                    "conferred_by": "朝阳区总工会",
                    "decision_number": f"京工发〔{year}〕{serial % 97 + 1}号",
                    "decision_date": date(year, 4, 28),
                    "status": "active",
                    "person_id": pid,
                    "level": level,
                    "honour_type": kind,
                    "benefits_active": True,
                    "created_at": NOW,
                }
            )
    for i in range(5_000):
        year = rng.randrange(1990, 2026)
        honour_rows.append(
            {
                "kind": "unit",
                "title": "首都劳动奖状",
                "year": year,
                "holder_name": f"北京第{i}机床厂",
                "person_id": None,
                "unit_id": rng.choice(ids["units"]),
                "conferred_by": "北京市总工会",
                "decision_number": f"京工发〔{year}〕{i % 97 + 1}号",
                "decision_date": date(year, 4, 28),
                "status": "active",
                "level": "capital",
                "honour_type": "certificate",
                "benefits_active": True,
                "created_at": NOW,
            }
        )
    with engine.begin() as conn:
        for table, rows in (
            (ArchivePerson.__table__, person_rows),
            (PersonStatus.__table__, status_rows),
            (HonourRecord.__table__, honour_rows),
        ):
            for start in range(0, len(rows), 5_000):
                conn.execute(insert(table), rows[start : start + 5_000])
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    ids.update(users=users, honours=len(honour_rows))
    return ids


# --- measuring --------------------------------------------------------------------------------

#: (label, the search's arguments, whether it is the unit's search)
SEARCHES: tuple[tuple[str, dict[str, Any], str], ...] = (
    ("pinyin prefix 'zhangjian'", {"q": "zhangjian"}, "federation"),
    ("pinyin prefix 'wang'", {"q": "wang"}, "federation"),
    ("initials 'zjg'", {"q": "zjg"}, "federation"),
    ("characters '张建'", {"q": "张建"}, "federation"),
    ("full name '张建国' (+homophones)", {"q": "张建国"}, "federation"),
    ("year 2015 + level capital", {"year": 2015, "level": "capital"}, "federation"),
    ("pinyin 'li' + status retired", {"q": "li", "status": "retired"}, "federation"),
    ("no filter (first page, count all)", {}, "federation"),
    ("unit: pinyin prefix 'zhang'", {"q": "zhang"}, "unit"),
    ("unit: year 2010", {"year": 2010}, "unit"),
    ("contains fallback '建国' (scan)", {"q": "建国"}, "federation"),
)


def _timed(call: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, result


def _query_of(session: Session, user: User, args: dict[str, Any], matched: str = "") -> Any:
    """Return the count query ``search`` ran (for ``matched`` "contains", its second one)."""
    filters = archive_search.check_filters(**args)
    name = archive_search.read_query(filters.q)
    dialect = session.get_bind().dialect.name
    clause = archive_search.name_match(name, dialect) if name is not None else None
    if name is not None and matched == "contains":
        clause = ArchivePerson.name.contains(name.text, autoescape=True)
    query = archive_search.people_query(user, filters, clause)
    return query.with_only_columns(ArchivePerson.id).order_by(None)


def plan(session: Session, query: Any) -> list[str]:
    """Return the plan lines of ``query`` that name a table access (index or scan)."""
    dialect = session.get_bind().dialect
    sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if dialect.name == "sqlite":
        rows = session.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
        return [r[-1] for r in rows if "archive_person" in r[-1] or "honour_record" in r[-1]]
    rows = session.execute(text("EXPLAIN " + sql)).scalars().all()
    keep = ("Index", "Seq Scan", "Bitmap")
    return [r.strip() for r in rows if any(k in r for k in keep)]


def measure(session: Session, users: dict[str, User], fed: int, repeat: int) -> dict[str, str]:
    """Run every search ``repeat`` times and print a table; return how each name matched."""
    print(f"{'search':<38} {'as':<11} {'total':>7} {'median ms':>10} {'p95 ms':>8}")
    matched = {}
    for label, args, who in SEARCHES:

        def call(user: User = users[who], args: dict[str, Any] = args) -> Any:
            # As a request: nothing cached from the run before but the user and roles.
            session.expire_all()
            for u in users.values():
                for role in u.roles:
                    _ = role.organisation.path
            return archive_search.search(session, user, **args)

        call()  # warm the caches once
        median, p95, result = _timed(call, repeat)
        outside = [p for p in result.rows if p.federation_id != fed]
        assert not outside, "a search returned someone of another federation"
        matched[label] = result.matched
        print(f"{label:<38} {who:<11} {result.total:>7,} {median:>10.1f} {p95:>8.1f}")
    return matched


def run(backend: str, url: str | None, people: int, repeat: int) -> None:
    """Seed one backend, run every search ``repeat`` times, print the figures and plans."""
    with database(backend, url) as engine:
        started = time.perf_counter()
        ids = seed(engine, people)
        print(
            f"\n== {backend}: {people:,} people, {ids['honours']:,} honours"
            f" (seeded in {time.perf_counter() - started:.0f} s)"
        )
        with Session(engine) as s:
            users = {k: s.get(User, v) for k, v in ids["users"].items()}
            if backend == "postgresql":
                print("-- with the indexes of the migrations only:")
            matched = measure(s, users, ids["fed"], repeat)
            print("\nplans (the count query of each search):")
            for label, args, who in SEARCHES:
                print(f"- {label} [{who}]")
                for line in plan(s, _query_of(s, users[who], args, matched[label])):
                    print(f"    {line}")
            if backend == "postgresql":
                _pattern_index(s, users, ids["fed"], repeat)


def _pattern_index(session: Session, users: dict[str, User], fed: int, repeat: int) -> None:
    """Create the recommended "C" collation indexes; show the plans and figures again."""
    print("\n-- PostgreSQL with archive_search.POSTGRES_PATTERN_INDEXES created:")
    for ddl in archive_search.POSTGRES_PATTERN_INDEXES:
        print(f"   {ddl}")
        session.execute(text(ddl))
    session.execute(text("ANALYZE archive_person"))
    session.execute(text("ANALYZE honour_record"))
    session.commit()
    matched = measure(session, users, fed, repeat)
    for label, args, who in SEARCHES:
        if "'" in label and not args.get("q", "").isascii():
            print(f"- {label} [{who}]")
            for line in plan(session, _query_of(session, users[who], args, matched[label])):
                print(f"    {line}")
    # PostgreSQL's default cost of a random read (4) is a spinning disk's; on SSD the usual
    # setting is 1.1, and the filters without a name then read the people by index too. A new
    # connection: psycopg has prepared the statements on this one, with plans of the old cost.
    print("\n-- and random_page_cost = 1.1 (the usual setting on SSD):")
    schema = session.execute(text("SHOW search_path")).scalar_one()
    ssd = make_engine(
        session.get_bind().engine.url.render_as_string(hide_password=False),
        connect_args={"options": f"-csearch_path={schema} -crandom_page_cost=1.1"},
    )
    try:
        with Session(ssd) as s:
            measure(s, {k: s.get(User, u.id) for k, u in users.items()}, fed, repeat)
    finally:
        ssd.dispose()


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments and run the backends."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000, help="people to create")
    parser.add_argument("--repeat", type=int, default=50, help="runs of each search")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("NOMINATION_BENCH_POSTGRES_URL"),
        help="PostgreSQL URL (default: NOMINATION_BENCH_POSTGRES_URL); a temporary schema is used",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    backends = [("sqlite", None)] + ([("postgresql", args.postgres)] if args.postgres else [])
    for backend, url in backends:
        run(backend, url, args.people, args.repeat)
    print(f"\n({time.perf_counter() - started:.0f} s in all; {date.today()}; {sys.platform})")


if __name__ == "__main__":
    main()
