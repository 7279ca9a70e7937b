"""initial schema

Revision ID: 63a9f1c3503c
Revises: 
Create Date: 2026-11-27 12:20:40.934752
"""

from alembic import op
import sqlalchemy as sa
import nomination.db
from sqlalchemy.dialects import postgresql

revision = '63a9f1c3503c'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_event',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('occurred_at', nomination.db.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('entity_type', sa.String(length=32), nullable=True),
    sa.Column('entity_id', sa.String(length=64), nullable=True),
    sa.Column('before', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('after', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_event')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_event_hash'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_action_time', ['action', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index('ix_audit_event_entity', ['entity_type', 'entity_id'], unique=False)

    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('definition_version',
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('created_at', nomination.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('hash', name=op.f('pk_definition_version'))
    )
    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=255), nullable=False),
    sa.CheckConstraint("kind IN ('federation', 'committee', 'unit', 'department')", name=op.f('ck_organisation_valid_kind')),
    sa.ForeignKeyConstraint(['parent_id'], ['organisation.id'], name=op.f('fk_organisation_parent_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation')),
    sa.UniqueConstraint('code', name=op.f('uq_organisation_code'))
    )
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_path'), ['path'], unique=False)

    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('session_token', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', nomination.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('session_token', name=op.f('uq_user_account_session_token')),
    sa.UniqueConstraint('username', name=op.f('uq_user_account_username'))
    )
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', nomination.db.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', nomination.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_api_token_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('federation_id', sa.Integer(), nullable=False),
    sa.Column('nomination_deadline', sa.Date(), nullable=False),
    sa.Column('notice_working_days', sa.Integer(), nullable=False),
    sa.Column('resubmit_working_days', sa.Integer(), nullable=False),
    sa.Column('unit_notice_working_days', sa.Integer(), nullable=False),
    sa.Column('congress_vote_rule', sa.String(length=8), nullable=False),
    sa.Column('objection_contact', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', nomination.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_campaign_valid_status')),
    sa.CheckConstraint('notice_working_days >= 1', name=op.f('ck_campaign_notice_days_positive')),
    sa.ForeignKeyConstraint(['federation_id'], ['organisation.id'], name=op.f('fk_campaign_federation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign')),
    sa.UniqueConstraint('name', name=op.f('uq_campaign_name'))
    )
    op.create_table('role_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("role IN ('unit_submitter', 'committee_reviewer', 'federation_reviewer', 'department', 'judge', 'approver', 'auditor', 'admin')", name=op.f('ck_role_assignment_valid_role')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_role_assignment_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_role_assignment_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_assignment'))
    )
    with op.batch_alter_table('role_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_assignment_user_id'), ['user_id'], unique=False)

    op.create_table('team',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['organisation.id'], name=op.f('fk_team_unit_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team')),
    sa.UniqueConstraint('code', name=op.f('uq_team_code'))
    )
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_unit_id'), ['unit_id'], unique=False)

    op.create_table('campaign_award',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=True),
    sa.Column('definition_hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint("kind IN ('individual', 'unit', 'team')", name=op.f('ck_campaign_award_valid_kind')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_campaign_award_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['definition_hash'], ['definition_version.hash'], name=op.f('fk_campaign_award_definition_hash_definition_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_award')),
    sa.UniqueConstraint('campaign_id', 'kind', name=op.f('uq_campaign_award_campaign_id'))
    )
    op.create_table('nomination',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('definition_hash', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('evidence', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('nominee_name', sa.String(length=200), nullable=False),
    sa.Column('decision_number', sa.String(length=64), nullable=True),
    sa.Column('decision_date', sa.Date(), nullable=True),
    sa.Column('timer_trigger', sa.String(length=64), nullable=True),
    sa.Column('timer_due_at', nomination.db.UTCDateTime(), nullable=True),
    sa.Column('state_entered_at', nomination.db.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', nomination.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', nomination.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("(state = 'approved') = (decision_number IS NOT NULL)", name=op.f('ck_nomination_decision_iff_approved')),
    sa.CheckConstraint("kind IN ('individual', 'unit', 'team')", name=op.f('ck_nomination_valid_kind')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_nomination_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_nomination_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['definition_hash'], ['definition_version.hash'], name=op.f('fk_nomination_definition_hash_definition_version')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_nomination_team_id_team')),
    sa.ForeignKeyConstraint(['unit_id'], ['organisation.id'], name=op.f('fk_nomination_unit_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nomination'))
    )
    with op.batch_alter_table('nomination', schema=None) as batch_op:
        batch_op.create_index('ix_nomination_campaign_state', ['campaign_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_nomination_state'), ['state'], unique=False)
        batch_op.create_index('ix_nomination_timer_due', ['timer_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_nomination_unit_id'), ['unit_id'], unique=False)

    op.create_table('quota',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('places', sa.Integer(), nullable=False),
    sa.CheckConstraint('places >= 0', name=op.f('ck_quota_places_not_negative')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_quota_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['committee_id'], ['organisation.id'], name=op.f('fk_quota_committee_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quota')),
    sa.UniqueConstraint('campaign_id', 'committee_id', 'kind', name=op.f('uq_quota_campaign_id'))
    )
    op.create_table('honour_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nomination_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('holder_name', sa.String(length=200), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('conferred_by', sa.String(length=200), nullable=False),
    sa.Column('decision_number', sa.String(length=64), nullable=False),
    sa.Column('decision_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', nomination.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['nomination_id'], ['nomination.id'], name=op.f('fk_honour_record_nomination_id_nomination')),
    sa.ForeignKeyConstraint(['unit_id'], ['organisation.id'], name=op.f('fk_honour_record_unit_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_honour_record')),
    sa.UniqueConstraint('nomination_id', name=op.f('uq_honour_record_nomination_id'))
    )
    with op.batch_alter_table('honour_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_honour_record_holder_name'), ['holder_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_honour_record_unit_id'), ['unit_id'], unique=False)

    op.create_table('objection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nomination_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('objector_name', sa.String(length=100), nullable=False),
    sa.Column('objector_phone', sa.String(length=32), nullable=False),
    sa.Column('objector_address', sa.String(length=300), nullable=False),
    sa.Column('facts', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('conclusion', sa.Text(), nullable=True),
    sa.Column('received_at', nomination.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'unfounded', 'founded')", name=op.f('ck_objection_valid_status')),
    sa.ForeignKeyConstraint(['nomination_id'], ['nomination.id'], name=op.f('fk_objection_nomination_id_nomination')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objection')),
    sa.UniqueConstraint('reference', name=op.f('uq_objection_reference'))
    )
    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objection_nomination_id'), ['nomination_id'], unique=False)
    # The chain's head starts at the genesis hash; appenders lock this one row.
    op.bulk_insert(
        sa.table("audit_head", sa.column("id"), sa.column("seq"), sa.column("hash")),
        [{"id": 1, "seq": 0, "hash": "0" * 64}],
    )


def downgrade() -> None:
    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objection_nomination_id'))

    op.drop_table('objection')
    with op.batch_alter_table('honour_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_honour_record_unit_id'))
        batch_op.drop_index(batch_op.f('ix_honour_record_holder_name'))

    op.drop_table('honour_record')
    op.drop_table('quota')
    with op.batch_alter_table('nomination', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nomination_unit_id'))
        batch_op.drop_index('ix_nomination_timer_due')
        batch_op.drop_index(batch_op.f('ix_nomination_state'))
        batch_op.drop_index('ix_nomination_campaign_state')

    op.drop_table('nomination')
    op.drop_table('campaign_award')
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_unit_id'))

    op.drop_table('team')
    with op.batch_alter_table('role_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_assignment_user_id'))

    op.drop_table('role_assignment')
    op.drop_table('campaign')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    op.drop_table('user_account')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_path'))

    op.drop_table('organisation')
    op.drop_table('definition_version')
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_entity')
        batch_op.drop_index(batch_op.f('ix_audit_event_campaign_id'))
        batch_op.drop_index('ix_audit_event_action_time')

    op.drop_table('audit_event')
