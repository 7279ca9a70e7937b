"""What someone with the database owner's access does before tampering with the audit trail.

The database refuses to change the log (triggers, and on PostgreSQL privileges). The tamper
tests play an attacker holding the owner's credentials, who first removes the triggers: on
SQLite by dropping them, on PostgreSQL by disabling them. Both happen inside the test's
transaction, which is rolled back afterwards, so the next test finds the protection in place.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

#: The protected tables.
AUDIT_TABLES = ("audit_event", "audit_personal", "audit_head", "audit_checkpoint")


def remove_protection(session: Any) -> None:
    """Remove the audit tables' triggers in ``session``'s transaction (the owner can)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        tables = ", ".join(f"'{t}'" for t in AUDIT_TABLES)
        names = connection.execute(
            text(
                f"SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({tables})"
            )
        ).scalars()
        for name in list(names):
            connection.execute(text(f'DROP TRIGGER "{name}"'))
    else:
        for table in AUDIT_TABLES:
            connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
