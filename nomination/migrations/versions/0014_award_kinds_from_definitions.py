"""award kinds from the definitions: no list of kinds in the schema

The kinds a deployment offers are the workflow definitions that name a holder; a new kind is a
definition file, so the tables no longer list the three packaged kinds.

Revision ID: 0014_award_kinds
Revises: 0013_administration
Create Date: 2026-12-07
"""

from alembic import op

revision = "0014_award_kinds"
down_revision = "0013_administration"
branch_labels = None
depends_on = None

TABLES = ("nomination", "campaign_award", "notice_entry")
KINDS = "kind IN ('individual', 'unit', 'team')"


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_valid_kind"), type_="check")


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(f"ck_{table}_valid_kind"), KINDS)
