"""signed checkpoints of the audit log

Revision ID: 0003_checkpoints
Revises: 999124b0f59e
Create Date: 2026-11-27
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0003_checkpoints"
down_revision = "999124b0f59e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
