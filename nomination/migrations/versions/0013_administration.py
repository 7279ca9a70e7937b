"""administration: organisation details, temporary passwords, second factor, campaign drafts, judges

Revision ID: 0013_administration
Revises: 0012_instance_settings
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa
import nomination.db

revision = "0013_administration"
down_revision = "0012_instance_settings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign_judge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("chair", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_campaign_judge_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_campaign_judge_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_judge")),
        sa.UniqueConstraint("campaign_id", "user_id", name=op.f("uq_campaign_judge_campaign_id")),
    )
    with op.batch_alter_table("campaign_judge", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_judge_campaign_id"), ["campaign_id"], unique=False
        )

    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", nomination.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_recovery_code_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
    )
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_code_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("instance_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("totp_roles", nomination.db.JSONType, server_default="[]", nullable=False)
        )

    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uscc", sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column("contact_person", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("contact_phone", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.create_unique_constraint(batch_op.f("uq_organisation_uscc"), ["uscc"])

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("totp_confirmed_at", nomination.db.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_constraint("valid_status", type_="check")
        batch_op.create_check_constraint(
            "valid_status", "status IN ('draft', 'open', 'closed', 'archived')"
        )


def downgrade() -> None:
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_constraint("valid_status", type_="check")
        batch_op.create_check_constraint("valid_status", "status IN ('open', 'closed')")

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_confirmed_at")
        batch_op.drop_column("totp_secret")
        batch_op.drop_column("must_change_password")

    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_organisation_uscc"), type_="unique")
        batch_op.drop_column("active")
        batch_op.drop_column("contact_phone")
        batch_op.drop_column("contact_person")
        batch_op.drop_column("uscc")

    with op.batch_alter_table("instance_settings", schema=None) as batch_op:
        batch_op.drop_column("totp_roles")

    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_code_user_id"))

    op.drop_table("recovery_code")
    with op.batch_alter_table("campaign_judge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_judge_campaign_id"))

    op.drop_table("campaign_judge")
