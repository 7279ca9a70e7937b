"""The migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from nomination.db import Base

#: Indexes the migrations add on PostgreSQL only, which no model can declare: a name's
#: characters compared in the "C" collation (nomination.archive.search).
POSTGRES_ONLY = {"ix_archive_person_name_c", "ix_honour_record_holder_name_c"}


def _compared(obj, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "index" and name in POSTGRES_ONLY)


def test_migrations_match_the_models(app):
    engine = app.extensions["nomination.engine"]
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": _compared})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_postgres_gets_its_c_collation_indexes(app):
    engine = app.extensions["nomination.engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    with engine.connect() as conn:
        names = set(
            conn.scalars(
                text("SELECT indexname FROM pg_indexes WHERE indexname = ANY(:names)"),
                {"names": sorted(POSTGRES_ONLY)},
            )
        )
    assert names == POSTGRES_ONLY
