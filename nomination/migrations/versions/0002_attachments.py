"""attachments

Revision ID: 999124b0f59e
Revises: 63a9f1c3503c
Create Date: 2026-11-27 13:05:03.645104
"""

from alembic import op
import sqlalchemy as sa
import nomination.db


revision = '999124b0f59e'
down_revision = '63a9f1c3503c'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nomination_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', nomination.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint('size >= 0', name=op.f('ck_attachment_size_not_negative')),
    sa.ForeignKeyConstraint(['nomination_id'], ['nomination.id'], name=op.f('fk_attachment_nomination_id_nomination')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_attachment_uploaded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_nomination_id'), ['nomination_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_sha256'), ['sha256'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_sha256'))
        batch_op.drop_index(batch_op.f('ix_attachment_nomination_id'))

    op.drop_table('attachment')

