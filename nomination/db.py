"""Database engine and session: one scoped session per thread, committed at the request boundary."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import JSON, DateTime, MetaData, create_engine, event, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: JSON on SQLite, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    """Declarative base with a naming convention so that migrations name constraints."""

    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC and always returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Convert an aware datetime to naive UTC; refuse naive ones."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Mark a stored naive UTC value as UTC."""
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """Return the current time in UTC, or the application's ``FROZEN_TIME`` when set (tests)."""
    if has_app_context():
        frozen = current_app.config.get("FROZEN_TIME")
        if frozen is not None:
            return frozen
    return datetime.now(UTC)


def local_zone() -> ZoneInfo:
    """Return the configured time zone dates are meant in (Asia/Shanghai by default)."""
    return ZoneInfo(current_app.config["TIMEZONE"] if has_app_context() else "Asia/Shanghai")


def local_date(moment: datetime) -> date:
    """Return the date ``moment`` (an aware datetime) falls on in the configured time zone."""
    return moment.astimezone(local_zone()).date()


def local_today() -> date:
    """Return today's date in the configured time zone (Asia/Shanghai by default)."""
    return local_date(utcnow())


def local_day_end(day: date) -> datetime:
    """Return the moment the local ``day`` ends (the next local midnight), aware."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=local_zone())


Row = TypeVar("Row")


def locked(session: Session, row: Row) -> Row:
    """Lock ``row`` for the rest of this transaction and return it read again, as it is now."""
    model: Any = type(row)
    query = select(model).where(model.id == cast(Any, row).id).with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).one()


def rows_where(session: Session, column: Any, value: Any) -> list[Any]:
    """Return the rows whose ``column`` (a mapped attribute) is ``value``, oldest first (by id)."""
    model = column.class_
    return list(session.scalars(select(model).where(column == value).order_by(model.id)))


if TYPE_CHECKING:

    class _ScopedSession(Session):
        """The scoped session as callers use it: the thread's ``Session``, and the registry."""

        session_factory: sessionmaker[Session]

        def __call__(self, **kw: Any) -> Session: ...

        def remove(self) -> None: ...

        def configure(self, **kwargs: Any) -> None: ...


#: The largest integer every supported database stores in an id column (PostgreSQL's INTEGER).
DB_INT_MAX = 2**31 - 1

#: The session used by requests, CLI commands and operations; bound in ``init_engine``.
#: A ``scoped_session`` hands each call to the thread's ``Session``, so it is typed as one.
session = cast("_ScopedSession", scoped_session(sessionmaker()))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" listener emit BEGIN itself (pysqlite's own is deferred).
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # FULL keeps the audit trail durable; WAL keeps that affordable.
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # A deferred BEGIN upgraded to a write later fails with "database is locked" under
    # concurrent writers; IMMEDIATE takes the write lock up front and waits for it instead.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the settings this project relies on for ``url``."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def init_engine(url: str) -> Engine:
    """Create the engine for ``url`` and bind the scoped session to it."""
    engine = make_engine(url)
    session.remove()
    session.configure(bind=engine)
    return engine
