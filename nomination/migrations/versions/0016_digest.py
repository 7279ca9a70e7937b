"""digest: a user's choice of mail delivery (each notification, or one mail a day)

Revision ID: 0016_digest
Revises: 0015_round_closer
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

import nomination.db

revision = "0016_digest"
down_revision = "0015_round_closer"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Added columns only: SQLite alters the table in place (the many references to it stay).
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "mail_delivery", sa.String(length=16), server_default="immediate", nullable=False
            )
        )
        batch_op.add_column(sa.Column("digest_sent_at", nomination.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("digest_sent_at")
        batch_op.drop_column("mail_delivery")
