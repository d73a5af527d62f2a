"""requests

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 03:30:32.263877
"""
from alembic import op
import sqlalchemy as sa
import lotsen.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('request_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('recurrence', sa.Enum('weekly', 'fortnightly', name='recurrence', native_enum=False, length=32), nullable=False),
    sa.Column('created_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_request_series_agency_id_agencies')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_request_series_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_series'))
    )
    with op.batch_alter_table('request_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_series_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_request_series_office_id'), ['office_id'], unique=False)

    op.create_table('requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('series_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('interpreter', 'guide', name='requestkind', native_enum=False, length=32), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('variety', sa.String(length=8), nullable=False),
    sa.Column('mode', sa.Enum('on_site', 'phone', 'video', name='mode', native_enum=False, length=32), nullable=False),
    sa.Column('starts_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('duration_minutes', sa.SmallInteger(), nullable=False),
    sa.Column('street', sa.String(length=200), nullable=False),
    sa.Column('postcode', sa.String(length=5), nullable=False),
    sa.Column('town', sa.String(length=120), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('topic', sa.Enum('authorities', 'health', 'school', 'housing', 'work', 'social', 'other', name='topic', native_enum=False, length=32), nullable=False),
    sa.Column('gender_preference', sa.Enum('female', 'male', 'diverse', name='gender', native_enum=False, length=32), nullable=True),
    sa.Column('client_reference', sa.String(length=60), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=False),
    sa.Column('contact_phone', sa.String(length=50), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('is_urgent', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('open', 'offered', 'confirmed', 'completed', 'cancelled', 'unfilled', name='requeststatus', native_enum=False, length=32), nullable=False),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('cancelled_late', sa.Boolean(), nullable=False),
    sa.Column('created_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_requests_agency_id_agencies')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_requests_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_requests_municipality_id_municipalities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_requests_office_id_offices')),
    sa.ForeignKeyConstraint(['series_id'], ['request_series.id'], name=op.f('fk_requests_series_id_request_series')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requests'))
    )
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.create_index('ix_requests_agency_id_starts_at', ['agency_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_requests_client_reference'), ['client_reference'], unique=False)
        batch_op.create_index(batch_op.f('ix_requests_language'), ['language'], unique=False)
        batch_op.create_index('ix_requests_office_id_status_starts_at', ['office_id', 'status', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_requests_series_id'), ['series_id'], unique=False)

    op.create_table('request_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_request_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_request_events_request_id_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_events'))
    )
    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_events_request_id'), ['request_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_events_request_id'))

    op.drop_table('request_events')
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_requests_series_id'))
        batch_op.drop_index('ix_requests_office_id_status_starts_at')
        batch_op.drop_index(batch_op.f('ix_requests_language'))
        batch_op.drop_index(batch_op.f('ix_requests_client_reference'))
        batch_op.drop_index('ix_requests_agency_id_starts_at')

    op.drop_table('requests')
    with op.batch_alter_table('request_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_series_office_id'))
        batch_op.drop_index(batch_op.f('ix_request_series_agency_id'))

    op.drop_table('request_series')
