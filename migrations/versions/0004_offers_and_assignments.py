"""offers and assignments

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 05:16:25.472857
"""
from alembic import op
import sqlalchemy as sa
import lotsen.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'accepted', 'declined', 'expired', 'taken', 'withdrawn', name='offerstatus', native_enum=False, length=32), nullable=False),
    sa.Column('wave', sa.SmallInteger(), nullable=False),
    sa.Column('created_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', lotsen.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decline_reason', sa.Enum('not_available', 'too_far', 'topic', 'language', 'personal', 'other', name='declinereason', native_enum=False, length=32), nullable=True),
    sa.Column('near_miss', sa.String(length=200), nullable=False),
    sa.Column('override_note', sa.Text(), nullable=False),
    sa.Column('distance_km', sa.Float(), nullable=True),
    sa.Column('offered_starts_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('offered_ends_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('offered_place', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_offers_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_offers_request_id_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['users.id'], name=op.f('fk_offers_volunteer_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offers'))
    )
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.create_index('ix_offers_request_id_status', ['request_id', 'status'], unique=False)
        batch_op.create_index('ix_offers_status_expires_at', ['status', 'expires_at'], unique=False)
        batch_op.create_index('ix_offers_volunteer_id_status', ['volunteer_id', 'status'], unique=False)

    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('confirmed', 'completed', 'cancelled', 'withdrawn', 'reassigned', name='assignmentstatus', native_enum=False, length=32), nullable=False),
    sa.Column('starts_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('ended_at', lotsen.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=False),
    sa.Column('ended_late', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_assignments_confirmed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_assignments_offer_id_offers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_assignments_request_id_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['users.id'], name=op.f('fk_assignments_volunteer_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_request_id'), ['request_id'], unique=False)
        batch_op.create_index('ix_assignments_volunteer_id_starts_at', ['volunteer_id', 'starts_at'], unique=False)
        batch_op.create_index('uq_assignments_request_id_live', ['request_id'], unique=True, sqlite_where=sa.text("status IN ('confirmed', 'completed')"), postgresql_where=sa.text("status IN ('confirmed', 'completed')"))

    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wave_size', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('wave_interval_minutes', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('next_wave_at', lotsen.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('candidate_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('counted_at', lotsen.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_requests_next_wave_at'), ['next_wave_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_requests_next_wave_at'))
        batch_op.drop_column('counted_at')
        batch_op.drop_column('candidate_count')
        batch_op.drop_column('next_wave_at')
        batch_op.drop_column('wave_interval_minutes')
        batch_op.drop_column('wave_size')

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('uq_assignments_request_id_live', sqlite_where=sa.text("status IN ('confirmed', 'completed')"), postgresql_where=sa.text("status IN ('confirmed', 'completed')"))
        batch_op.drop_index('ix_assignments_volunteer_id_starts_at')
        batch_op.drop_index(batch_op.f('ix_assignments_request_id'))

    op.drop_table('assignments')
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_index('ix_offers_volunteer_id_status')
        batch_op.drop_index('ix_offers_status_expires_at')
        batch_op.drop_index('ix_offers_request_id_status')

    op.drop_table('offers')
