"""eligibility and allocation: barred units, the pool, the leaders' cap, prior honours, composition

Revision ID: 0007_eligibility
Revises: 0006_objection_handling
Create Date: 2026-11-27
"""

from alembic import op
import sqlalchemy as sa
import nomination.db


revision = "0007_eligibility"
down_revision = "0006_objection_handling"
branch_labels = None
depends_on = None

POOL = "pool_percent >= 100"
LEADERS = "leader_share_max IS NULL OR (leader_share_max >= 0 AND leader_share_max <= 100)"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its CHECK in place; a batch operation would copy the
        # campaign table, which other tables reference.
        op.execute(
            "ALTER TABLE campaign ADD COLUMN pool_percent INTEGER DEFAULT '100' NOT NULL "
            f"CONSTRAINT ck_campaign_pool_percent_at_least_100 CHECK ({POOL})"
        )
        op.execute(
            "ALTER TABLE campaign ADD COLUMN leader_share_max INTEGER "
            f"CONSTRAINT ck_campaign_leader_share_max_percent CHECK ({LEADERS})"
        )
        op.execute("ALTER TABLE campaign ADD COLUMN composition JSON DEFAULT '{}' NOT NULL")
        op.execute(
            "ALTER TABLE campaign ADD COLUMN require_prior_honour BOOLEAN DEFAULT 0 NOT NULL"
        )
    else:
        op.add_column(
            "campaign",
            sa.Column("pool_percent", sa.Integer(), server_default="100", nullable=False),
        )
        op.add_column("campaign", sa.Column("leader_share_max", sa.Integer(), nullable=True))
        op.add_column(
            "campaign",
            sa.Column(
                "require_prior_honour", sa.Boolean(), server_default=sa.false(), nullable=False
            ),
        )
        op.add_column("campaign", sa.Column("composition", nomination.db.JSONType, nullable=True))
        op.execute("UPDATE campaign SET composition = '{}'")
        op.alter_column("campaign", "composition", nullable=False)
        op.create_check_constraint(op.f("ck_campaign_pool_percent_at_least_100"), "campaign", POOL)
        op.create_check_constraint(
            op.f("ck_campaign_leader_share_max_percent"), "campaign", LEADERS
        )

    op.create_table(
        "unit_bar",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_at", nomination.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_unit_bar_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_bar")),
    )
    with op.batch_alter_table("unit_bar", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_unit_bar_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("unit_bar", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_bar_organisation_id"))
    op.drop_table("unit_bar")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE campaign DROP COLUMN require_prior_honour")
        op.execute("ALTER TABLE campaign DROP COLUMN composition")
        op.execute("ALTER TABLE campaign DROP COLUMN leader_share_max")
        op.execute("ALTER TABLE campaign DROP COLUMN pool_percent")
    else:
        op.drop_constraint(op.f("ck_campaign_leader_share_max_percent"), "campaign", type_="check")
        op.drop_constraint(op.f("ck_campaign_pool_percent_at_least_100"), "campaign", type_="check")
        op.drop_column("campaign", "require_prior_honour")
        op.drop_column("campaign", "composition")
        op.drop_column("campaign", "leader_share_max")
        op.drop_column("campaign", "pool_percent")
