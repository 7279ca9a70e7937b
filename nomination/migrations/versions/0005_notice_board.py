"""notice board: the campaign's notice order and the published notice entries

Revision ID: 0005_notice_board
Revises: 0004_audit_protection
Create Date: 2026-11-27
"""

from alembic import op
import sqlalchemy as sa
import nomination.db


revision = "0005_notice_board"
down_revision = "0004_audit_protection"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its CHECK in place; a batch operation would copy the
        # campaign table, which other tables reference.
        op.execute(
            "ALTER TABLE campaign ADD COLUMN notice_order VARCHAR(16) DEFAULT 'unit' NOT NULL "
            "CONSTRAINT ck_campaign_valid_notice_order "
            "CHECK (notice_order IN ('unit', 'stroke'))"
        )
    else:
        op.add_column(
            "campaign",
            sa.Column("notice_order", sa.String(length=16), server_default="unit", nullable=False),
        )
        op.create_check_constraint(
            op.f("ck_campaign_valid_notice_order"), "campaign", "notice_order IN ('unit', 'stroke')"
        )

    op.create_table(
        "notice_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nomination_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("published_at", nomination.db.UTCDateTime(), nullable=False),
        sa.Column("ends_at", nomination.db.UTCDateTime(), nullable=True),
        sa.Column("closed_at", nomination.db.UTCDateTime(), nullable=True),
        sa.Column("notice_order", sa.String(length=16), nullable=False),
        sa.Column("order_key", sa.Text(), nullable=False),
        sa.Column("nominee_name", sa.String(length=200), nullable=False),
        sa.Column("unit_name", sa.String(length=200), nullable=False),
        sa.Column("award_title", nomination.db.JSONType, nullable=False),
        sa.Column("issuer", sa.String(length=200), nullable=False),
        sa.Column("fields", nomination.db.JSONType, nullable=False),
        sa.Column("objection_contact", nomination.db.JSONType, nullable=False),
        sa.CheckConstraint(
            "kind IN ('individual', 'unit', 'team')", name=op.f("ck_notice_entry_valid_kind")
        ),
        sa.CheckConstraint("sequence >= 1", name=op.f("ck_notice_entry_sequence_positive")),
        sa.CheckConstraint(
            "closed_at IS NULL OR closed_at >= published_at",
            name=op.f("ck_notice_entry_closed_after_published"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_notice_entry_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["nomination_id"],
            ["nomination.id"],
            name=op.f("fk_notice_entry_nomination_id_nomination"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_entry")),
        sa.UniqueConstraint(
            "nomination_id", "sequence", name=op.f("uq_notice_entry_nomination_id")
        ),
    )
    with op.batch_alter_table("notice_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notice_entry_campaign_kind", ["campaign_id", "kind", "published_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notice_entry_closed_at"), ["closed_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_notice_entry_nomination_id"), ["nomination_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notice_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_entry_nomination_id"))
        batch_op.drop_index(batch_op.f("ix_notice_entry_closed_at"))
        batch_op.drop_index("ix_notice_entry_campaign_kind")
    op.drop_table("notice_entry")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE campaign DROP COLUMN notice_order")
    else:
        op.drop_constraint(op.f("ck_campaign_valid_notice_order"), "campaign", type_="check")
        op.drop_column("campaign", "notice_order")
