"""pending forms: what a user typed when their login had expired

Revision ID: 0008_pending_forms
Revises: 0007_eligibility
Create Date: 2026-11-27
"""

from alembic import op
import sqlalchemy as sa
import nomination.db


revision = "0008_pending_forms"
down_revision = "0007_eligibility"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_form",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("fields", nomination.db.JSONType, nullable=False),
        sa.Column("created_at", nomination.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_pending_form_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_form")),
        sa.UniqueConstraint("token", name=op.f("uq_pending_form_token")),
    )
    with op.batch_alter_table("pending_form", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_form_created_at"), ["created_at"])
        batch_op.create_index(batch_op.f("ix_pending_form_user_id"), ["user_id"])


def downgrade() -> None:
    with op.batch_alter_table("pending_form", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_form_user_id"))
        batch_op.drop_index(batch_op.f("ix_pending_form_created_at"))
    op.drop_table("pending_form")
