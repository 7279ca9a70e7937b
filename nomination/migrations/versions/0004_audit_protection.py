"""audit log protection and erasable personal data

The database refuses to change the log: triggers refuse UPDATE and DELETE (and on PostgreSQL
TRUNCATE) of ``audit_event``, UPDATE of ``audit_personal`` (erasure deletes its rows) and
DELETE of the head row. A trigger can be dropped by the tables' owner; what stops the
application's own credentials is the privilege split: on PostgreSQL, when an application
role is named (``-x app_role=NAME``, the Alembic attribute ``app_role`` or the environment
variable ``NOMINATION_DB_APP_ROLE``), this migration, run by the owner, grants that role
ordinary rights on every table but only SELECT, INSERT on ``audit_event``, SELECT, UPDATE on
``audit_head`` and SELECT, INSERT, DELETE on ``audit_personal``.

On SQLite, a later migration that rebuilds ``audit_event`` (batch mode copies the table) must
create these triggers again.

Revision ID: 0004_audit_protection
Revises: 0003_checkpoints
Create Date: 2026-11-27
"""

import os

import sqlalchemy as sa
from alembic import context, op

import nomination.db  # noqa: F401

revision = "0004_audit_protection"
down_revision = "0003_checkpoints"
branch_labels = None
depends_on = None

APPEND_ONLY = "audit_event is append-only"
WRITE_ONCE = "audit_personal rows are written once (erasure deletes them)"
HEAD_KEPT = "audit_head keeps its one row"
SIGNED_ONCE = "audit_checkpoint is append-only"

#: SQLite: (trigger, table, event, message).
SQLITE_TRIGGERS = (
    ("audit_event_no_update", "audit_event", "UPDATE", APPEND_ONLY),
    ("audit_event_no_delete", "audit_event", "DELETE", APPEND_ONLY),
    ("audit_personal_no_update", "audit_personal", "UPDATE", WRITE_ONCE),
    ("audit_head_no_delete", "audit_head", "DELETE", HEAD_KEPT),
    ("audit_checkpoint_no_update", "audit_checkpoint", "UPDATE", SIGNED_ONCE),
    ("audit_checkpoint_no_delete", "audit_checkpoint", "DELETE", SIGNED_ONCE),
)

#: PostgreSQL: (trigger, table, events, message); statement-level, so that TRUNCATE and a
#: statement matching no row are refused as well.
POSTGRES_TRIGGERS = (
    ("audit_event_append_only", "audit_event", "UPDATE OR DELETE OR TRUNCATE", APPEND_ONLY),
    ("audit_personal_write_once", "audit_personal", "UPDATE OR TRUNCATE", WRITE_ONCE),
    ("audit_head_kept", "audit_head", "DELETE OR TRUNCATE", HEAD_KEPT),
    (
        "audit_checkpoint_append_only",
        "audit_checkpoint",
        "UPDATE OR DELETE OR TRUNCATE",
        SIGNED_ONCE,
    ),
)

#: What the application role may do on the audit tables (everything else: SELECT, INSERT,
#: UPDATE, DELETE).
AUDIT_GRANTS = {
    "audit_event": "SELECT, INSERT",
    "audit_head": "SELECT, UPDATE",
    "audit_personal": "SELECT, INSERT, DELETE",
    # Deleting the checkpoints that would expose a rewritten chain must be impossible too.
    "audit_checkpoint": "SELECT, INSERT",
    "alembic_version": "SELECT",
}


def app_role() -> str | None:
    """Return the application role named for this run, if any."""
    role = (
        context.get_x_argument(as_dictionary=True).get("app_role")
        or context.config.attributes.get("app_role")
        or os.environ.get("NOMINATION_DB_APP_ROLE")
    )
    return role or None


def _quote(name: str) -> str:
    return op.get_bind().dialect.identifier_preparer.quote_identifier(name)


def _check_role(role: str) -> None:
    """Refuse a role that would not be restricted: missing, the owner, a member or superuser."""
    bind = op.get_bind()
    row = bind.execute(
        sa.text(
            "SELECT rolsuper, pg_has_role(:role, current_user, 'MEMBER') AS member, "
            "rolname = current_user AS owner FROM pg_roles WHERE rolname = :role"
        ),
        {"role": role},
    ).first()
    if row is None:
        raise RuntimeError(f"application role {role!r} does not exist: create it first")
    if row.owner or row.member or row.rolsuper:
        raise RuntimeError(
            f"application role {role!r} is the owner, a member of it or a superuser: "
            "it could remove the audit trail's protection; use a separate role"
        )


def grant_app_role(role: str) -> None:
    """Give ``role`` the application's rights in the current schema, and no more."""
    _check_role(role)
    r = _quote(role)
    schema = _quote(op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one())
    op.execute(f"GRANT USAGE ON SCHEMA {schema} TO {r}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {r}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {r}")
    for table, rights in AUDIT_GRANTS.items():
        op.execute(f"REVOKE ALL ON {_quote(table)} FROM {r}")
        op.execute(f"GRANT {rights} ON {_quote(table)} TO {r}")
    # Tables later migrations create (as the owner) get the ordinary rights too.
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}"
    )
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {r}")


def revoke_app_role(role: str) -> None:
    """Undo :func:`grant_app_role`."""
    r = _quote(role)
    schema = _quote(op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one())
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
        f"REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {r}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE USAGE, SELECT ON SEQUENCES FROM {r}"
    )
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {r}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {r}")
    op.execute(f"REVOKE USAGE ON SCHEMA {schema} FROM {r}")


def upgrade() -> None:
    op.create_table(
        "audit_personal",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seq"], ["audit_event.seq"], name=op.f("fk_audit_personal_seq_audit_event")
        ),
        sa.PrimaryKeyConstraint("seq", "path", name=op.f("pk_audit_personal")),
    )
    with op.batch_alter_table("audit_personal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_personal_subject"), ["subject"], unique=False)

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name, table, event, message in SQLITE_TRIGGERS:
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'insufficient_privilege';
            END
            $$
            """
        )
        for name, table, events, message in POSTGRES_TRIGGERS:
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {events} ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change('{message}')"
            )
        role = app_role()
        if role:
            grant_app_role(role)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name, *_ in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        role = app_role()
        if role:
            revoke_app_role(role)
        for name, table, *_ in POSTGRES_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS audit_refuse_change()")
    with op.batch_alter_table("audit_personal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_personal_subject"))
    op.drop_table("audit_personal")
