"""calendar: entered and confirmed years; periods keep their basis and whether they are provisional

Revision ID: 0011_calendar
Revises: 0010_archive
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa
import nomination.db

revision = "0011_calendar"
down_revision = "0010_archive"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_year",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("grade", sa.String(length=16), nullable=False),
        sa.Column("holidays", nomination.db.JSONType, nullable=False),
        sa.Column("workdays", nomination.db.JSONType, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("entered_at", nomination.db.UTCDateTime(), nullable=False),
        sa.Column("event_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "grade IN ('official', 'confirmed')", name=op.f("ck_calendar_year_valid_grade")
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["user_account.id"],
            name=op.f("fk_calendar_year_entered_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_year")),
    )
    with op.batch_alter_table("nomination", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timer_started_at", nomination.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("timer_working_days", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("timer_provisional", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("notice_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("working_days", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("ends_provisional", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("ends_recounted_at", nomination.db.UTCDateTime(), nullable=True)
        )
    with op.batch_alter_table("consultation_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("working_days", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("due_provisional", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("consultation_request", schema=None) as batch_op:
        batch_op.drop_column("due_provisional")
        batch_op.drop_column("working_days")
    with op.batch_alter_table("notice_entry", schema=None) as batch_op:
        batch_op.drop_column("ends_recounted_at")
        batch_op.drop_column("ends_provisional")
        batch_op.drop_column("working_days")
    with op.batch_alter_table("nomination", schema=None) as batch_op:
        batch_op.drop_column("timer_provisional")
        batch_op.drop_column("timer_working_days")
        batch_op.drop_column("timer_started_at")
    op.drop_table("calendar_year")
