"""instance settings: the first start's federation, time zone and closing hour

Revision ID: 0012_instance_settings
Revises: 0011_calendar
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa
import nomination.db

revision = "0012_instance_settings"
down_revision = "0011_calendar"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instance_settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("federation_id", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("closing_hour", sa.Integer(), nullable=False),
        sa.Column("set_up_at", nomination.db.UTCDateTime(), nullable=False),
        sa.Column("set_up_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_instance_settings_single_row")),
        sa.CheckConstraint(
            "closing_hour BETWEEN 0 AND 23", name=op.f("ck_instance_settings_valid_closing_hour")
        ),
        sa.ForeignKeyConstraint(
            ["federation_id"],
            ["organisation.id"],
            name=op.f("fk_instance_settings_federation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["set_up_by_id"],
            ["user_account.id"],
            name=op.f("fk_instance_settings_set_up_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instance_settings")),
    )


def downgrade() -> None:
    op.drop_table("instance_settings")
