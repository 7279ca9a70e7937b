"""round closer: the campaign says who closes a selection round, the federation or the chair

Revision ID: 0015_round_closer
Revises: 0014_award_kinds
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_round_closer"
down_revision = "0014_award_kinds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "round_closer", sa.String(length=16), server_default="federation", nullable=False
            )
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_campaign_valid_round_closer"),
            "round_closer IN ('federation', 'chair')",
        )


def downgrade() -> None:
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_campaign_valid_round_closer"), type_="check")
        batch_op.drop_column("round_closer")
