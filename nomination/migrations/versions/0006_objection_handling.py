"""objection handling: the unit's verification, late objections, evidence, resuming notices

Revision ID: 0006_objection_handling
Revises: 0005_notice_board
Create Date: 2026-11-27
"""

from alembic import op
import sqlalchemy as sa


revision = "0006_objection_handling"
down_revision = "0005_notice_board"
branch_labels = None
depends_on = None

OLD_STATUS = "status IN ('open', 'unfounded', 'founded')"
NEW_STATUS = "status IN ('open', 'unfounded', 'founded', 'closed')"
RESUME = "objection_resume IN ('extend', 'restart')"
ANSWER_DAYS = "objection_answer_working_days >= 1"
OBJECTOR_KIND = "objector_kind IN ('person', 'unit')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its CHECK in place; a batch operation would copy the
        # campaign table, which other tables reference.
        op.execute(
            "ALTER TABLE campaign ADD COLUMN objection_resume VARCHAR(16) DEFAULT 'extend' "
            f"NOT NULL CONSTRAINT ck_campaign_valid_objection_resume CHECK ({RESUME})"
        )
        op.execute(
            "ALTER TABLE campaign ADD COLUMN objection_answer_working_days INTEGER DEFAULT '5' "
            f"NOT NULL CONSTRAINT ck_campaign_answer_days_positive CHECK ({ANSWER_DAYS})"
        )
    else:
        op.add_column(
            "campaign",
            sa.Column(
                "objection_resume", sa.String(length=16), server_default="extend", nullable=False
            ),
        )
        op.add_column(
            "campaign",
            sa.Column(
                "objection_answer_working_days", sa.Integer(), server_default="5", nullable=False
            ),
        )
        op.create_check_constraint(op.f("ck_campaign_valid_objection_resume"), "campaign", RESUME)
        op.create_check_constraint(
            op.f("ck_campaign_answer_days_positive"), "campaign", ANSWER_DAYS
        )

    # Nothing references the objection table yet: SQLite may rebuild it for the new CHECK.
    with op.batch_alter_table("objection", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("objector_kind", sa.String(length=16), server_default="person", nullable=False)
        )
        batch_op.add_column(
            sa.Column("late", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("client_key", sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f("ix_objection_client_key"), ["client_key"], unique=False)
        batch_op.drop_constraint(op.f("ck_objection_valid_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_objection_valid_status"), NEW_STATUS)
        batch_op.create_check_constraint(op.f("ck_objection_valid_objector_kind"), OBJECTOR_KIND)

    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("objection_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_attachment_objection_id"), ["objection_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_attachment_objection_id_objection"), "objection", ["objection_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_attachment_objection_id_objection"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_attachment_objection_id"))
        batch_op.drop_column("objection_id")

    op.execute("UPDATE objection SET status = 'founded' WHERE status = 'closed'")
    with op.batch_alter_table("objection", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_objection_valid_objector_kind"), type_="check")
        batch_op.drop_constraint(op.f("ck_objection_valid_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_objection_valid_status"), OLD_STATUS)
        batch_op.drop_index(batch_op.f("ix_objection_client_key"))
        batch_op.drop_column("client_key")
        batch_op.drop_column("late")
        batch_op.drop_column("objector_kind")

    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE campaign DROP COLUMN objection_answer_working_days")
        op.execute("ALTER TABLE campaign DROP COLUMN objection_resume")
    else:
        op.drop_constraint(op.f("ck_campaign_answer_days_positive"), "campaign", type_="check")
        op.drop_constraint(op.f("ck_campaign_valid_objection_resume"), "campaign", type_="check")
        op.drop_column("campaign", "objection_answer_working_days")
        op.drop_column("campaign", "objection_resume")
