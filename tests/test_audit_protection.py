"""The database itself refuses to change the audit log.

On both backends triggers refuse UPDATE and DELETE of events through the application's own
connection. On PostgreSQL the owner could drop a trigger, so the application runs as a second
role the migration grants only what it needs: that role cannot change the log even with the
triggers disabled.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from nomination.actors import SYSTEM
from nomination.administration.organisations import create_organisation
from nomination.audit.chain import append_event, verify_chain
from nomination.audit.erasure import erase_person
from nomination.migrate import alembic_config
from nomination.models import AuditEvent, AuditHead
from nomination.models.audit import AuditPersonal

REFUSALS = {
    "UPDATE audit_event SET comment = 'changed' WHERE seq = :seq": "audit_event is append-only",
    "DELETE FROM audit_event WHERE seq = :seq": "audit_event is append-only",
    "UPDATE audit_personal SET value = '\"x\"' WHERE seq = :seq": "audit_personal rows are",
    "DELETE FROM audit_head": "audit_head keeps its one row",
    "UPDATE audit_checkpoint SET note = 'changed'": "audit_checkpoint is append-only",
    "DELETE FROM audit_checkpoint": "audit_checkpoint is append-only",
}


@pytest.fixture
def personal_event(session) -> int:
    """An event carrying personal values; return its sequence number."""
    appended = append_event(
        session,
        action="nomination.create",
        actor_name="unit1",
        entity_type="nomination",
        entity_id=999,
        after={"state": "draft", "data": {"name": "张建国", "phone": "+8613910000000"}},
    )
    # A stored checkpoint, so that row-level triggers (SQLite) have a row to refuse.
    session.execute(
        text(
            "INSERT INTO audit_checkpoint (tree_size, root_hash, signed_at, key_id, signature,"
            " reason, frontier) VALUES (1, :root, :at, 'k', 's', 'manual', '[]')"
        ),
        {"root": "00" * 32, "at": datetime(2026, 11, 18, 2, 0)},
    )
    return appended.seq


@pytest.mark.parametrize("statement", list(REFUSALS), ids=lambda s: " ".join(s.split()[:2]))
def test_the_application_connection_cannot_change_the_log(session, personal_event, statement):
    with pytest.raises(DBAPIError) as refused, session.begin_nested():
        session.execute(text(statement), {"seq": personal_event})
    assert REFUSALS[statement] in str(refused.value)
    assert verify_chain(session).ok


def test_an_orm_edit_of_an_event_is_refused(session, personal_event):
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.get(AuditEvent, personal_event).comment = "changed"
        session.flush()
    session.expire_all()
    assert session.get(AuditEvent, personal_event).comment is None


def test_appending_and_erasing_still_work(session, personal_event):
    # The head row moves and personal values can be erased (deleted): both are allowed.
    append_event(session, action="test.after", actor_name="tester")
    assert session.get(AuditHead, 1).seq == personal_event + 1
    erasure = erase_person(session, actor=SYSTEM, subject=999, reason="test")
    assert erasure.values == 2
    assert session.get(AuditPersonal, (personal_event, "/after/data/name")) is None
    result = verify_chain(session)
    assert (result.ok, result.redacted) == (True, 2)


def test_truncate_is_refused_on_postgresql(app, session, personal_event):
    if app.config["BACKEND"] != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    for table in ("audit_event", "audit_personal", "audit_head"):
        with pytest.raises(DBAPIError) as refused, session.begin_nested():
            session.execute(text(f"TRUNCATE {table} CASCADE"))
        assert "audit_" in str(refused.value)


# --- PostgreSQL: the two-role set-up ---------------------------------------------------------


@pytest.fixture
def owner(app) -> Iterator[Any]:
    """A connection as the owner, in a transaction rolled back afterwards (PostgreSQL only)."""
    if app.config["BACKEND"] != "postgresql":
        pytest.skip("roles and privileges are PostgreSQL's")
    engine = app.extensions["nomination.engine"]
    connection = engine.connect()
    transaction = connection.begin()
    can = connection.execute(
        text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
    ).scalar_one()
    if not can:
        transaction.rollback()
        connection.close()
        pytest.skip(
            "the test database's role needs CREATEROLE to create a restricted role "
            "(ALTER ROLE nomination CREATEROLE)"
        )
    try:
        yield connection
    finally:
        transaction.rollback()
        connection.close()


@pytest.fixture
def app_role(app, owner, monkeypatch) -> Iterator[str]:
    """A fresh schema migrated by the owner with a restricted application role named.

    Everything happens in the owner's transaction and is rolled back, role included; the
    role is dropped afterwards all the same, should anything have been committed.
    """
    role = f"nomination_app_{secrets.token_hex(4)}"
    schema = f"roles_{secrets.token_hex(4)}"
    owner.execute(text(f"CREATE ROLE {role} NOLOGIN"))
    # Membership lets the test SET ROLE to it, as a login of that role would be.
    owner.execute(text(f"GRANT {role} TO current_user"))
    owner.execute(text(f"CREATE SCHEMA {schema}"))
    owner.execute(text(f"SET LOCAL search_path TO {schema}"))
    cfg = alembic_config(owner.engine.url.render_as_string(hide_password=False))
    cfg.attributes["connection"] = owner
    # As the README says: the owner migrates with the application role in the environment.
    monkeypatch.setenv("NOMINATION_DB_APP_ROLE", role)
    command.upgrade(cfg, "head")
    monkeypatch.delenv("NOMINATION_DB_APP_ROLE")
    try:
        yield role
    finally:
        engine = app.extensions["nomination.engine"]
        with engine.connect() as other:
            if other.execute(
                text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
            ).first():
                other.execute(text(f"DROP OWNED BY {role}"))
                other.execute(text(f"DROP ROLE {role}"))
                other.commit()


def as_role(connection: Any, role: str | None) -> None:
    connection.execute(text(f"SET LOCAL ROLE {role}" if role else "RESET ROLE"))


def test_the_application_role_gets_only_what_it_needs(owner, app_role):
    def allowed(table: str, privilege: str) -> bool:
        return owner.execute(
            text("SELECT has_table_privilege(:r, :t, :p)"),
            {"r": app_role, "t": table, "p": privilege},
        ).scalar_one()

    tables = owner.execute(
        text("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = current_schema()")
    ).all()
    assert {"audit_event", "audit_head", "audit_personal", "nomination"} <= {t for t, _ in tables}
    assert app_role not in {o for _, o in tables}
    rights = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
    expected = {
        "audit_event": {"SELECT", "INSERT"},
        "audit_head": {"SELECT", "UPDATE"},
        "audit_personal": {"SELECT", "INSERT", "DELETE"},
        "audit_checkpoint": {"SELECT", "INSERT"},
        "alembic_version": {"SELECT"},
    }
    for table, _ in tables:
        held = {p for p in rights if allowed(table, p)}
        assert held == expected.get(table, {"SELECT", "INSERT", "UPDATE", "DELETE"}), table
    # A table a later migration adds (as the owner) gets the ordinary rights by default.
    owner.execute(text("CREATE TABLE added_later (id integer PRIMARY KEY)"))
    assert {p for p in rights if allowed("added_later", p)} == {
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
    }


def test_the_application_role_runs_the_application(owner, app_role):
    as_role(owner, app_role)
    with Session(bind=owner, join_transaction_mode="create_savepoint") as session:
        create_organisation(session, actor=SYSTEM, code="F", name="总工会", kind="federation")
        append_event(
            session,
            action="nomination.create",
            entity_type="nomination",
            entity_id=1,
            after={"data": {"name": "张建国"}},
        )
        erase_person(session, actor=SYSTEM, subject=1, reason="test")
        result = verify_chain(session)
        assert (result.ok, result.checked, result.redacted) == (True, 3, 1)
    # Starting the application migrates first: with nothing to do, the role may do it.
    cfg = alembic_config(owner.engine.url.render_as_string(hide_password=False))
    cfg.attributes["connection"] = owner
    command.upgrade(cfg, "head")


#: What an attacker holding the application's credentials would try.
TAMPERING = (
    "UPDATE audit_event SET comment = 'changed'",
    "DELETE FROM audit_event",
    "TRUNCATE audit_event CASCADE",
    "UPDATE audit_personal SET value = '\"x\"'",
    "DELETE FROM audit_head",
    "ALTER TABLE audit_event DISABLE TRIGGER USER",
    "DROP TRIGGER audit_event_append_only ON audit_event",
)


def test_the_application_role_cannot_change_the_log_even_without_triggers(owner, app_role):
    with Session(bind=owner, join_transaction_mode="create_savepoint") as session:
        append_event(session, action="test.event", actor_name="tester", after={"n": 1})
        append_event(
            session,
            action="nomination.create",
            entity_type="nomination",
            entity_id=1,
            after={"data": {"name": "张建国"}},
        )
        session.commit()  # releases the savepoint; the owner's transaction is rolled back
    # The owner disables every trigger, as an attacker holding the owner's password could ...
    for table in ("audit_event", "audit_personal", "audit_head"):
        owner.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    # ... but the application's credentials are not the owner's: privileges still refuse.
    as_role(owner, app_role)
    for statement in TAMPERING:
        savepoint = owner.begin_nested()
        with pytest.raises(DBAPIError, match=r"permission denied|must be owner"):
            owner.execute(text(statement))
        savepoint.rollback()
    as_role(owner, None)
    assert owner.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == 2
    with Session(bind=owner, join_transaction_mode="create_savepoint") as session:
        assert verify_chain(session).ok


def test_the_migration_refuses_an_unrestricted_application_role(app, owner):
    schema = f"roles_{secrets.token_hex(4)}"
    owner.execute(text(f"CREATE SCHEMA {schema}"))
    owner.execute(text(f"SET LOCAL search_path TO {schema}"))
    cfg = alembic_config(owner.engine.url.render_as_string(hide_password=False))
    cfg.attributes["connection"] = owner
    cfg.attributes["app_role"] = owner.execute(text("SELECT current_user")).scalar_one()
    with pytest.raises(RuntimeError, match="is the owner"):
        command.upgrade(cfg, "head")
