"""signed checkpoints of the audit log

Revision ID: 0003_checkpoints
Revises: 999124b0f59e
Create Date: 2026-11-27
"""

from alembic import op
import sqlalchemy as sa
import nomination.db


revision = "0003_checkpoints"
down_revision = "999124b0f59e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tree_size", sa.Integer(), nullable=False),
        sa.Column("root_hash", sa.String(length=64), nullable=False),
        sa.Column("signed_at", nomination.db.UTCDateTime(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("frontier", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "tree_size >= 0", name=op.f("ck_audit_checkpoint_tree_size_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoint")),
    )
    with op.batch_alter_table("audit_checkpoint", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_checkpoint_signed_at"), ["signed_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_checkpoint_tree_size"), ["tree_size"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_checkpoint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_checkpoint_tree_size"))
        batch_op.drop_index(batch_op.f("ix_audit_checkpoint_signed_at"))
    op.drop_table("audit_checkpoint")
