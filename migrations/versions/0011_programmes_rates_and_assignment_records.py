"""programmes rates and assignment records

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 09:34:18.401106
"""
import datetime

from alembic import op
import sqlalchemy as sa
import lotsen.db


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('programmes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kinds', sa.JSON(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_programmes_office_id_offices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programmes')),
    sa.UniqueConstraint('office_id', 'name', name=op.f('uq_programmes_office_id'))
    )
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programmes_office_id'), ['office_id'], unique=False)

    op.create_table('programme_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('rule', sa.JSON(), nullable=False),
    sa.Column('created_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_programme_rates_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_programme_rates_programme_id_programmes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_rates')),
    sa.UniqueConstraint('programme_id', 'valid_from', name=op.f('uq_programme_rates_programme_id'))
    )
    op.create_table('assignment_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('submitted', 'confirmed', 'disputed', 'decided', name='recordstatus', native_enum=False, length=32), nullable=False),
    sa.Column('version', sa.SmallInteger(), nullable=False),
    sa.Column('outcome', sa.Enum('took_place', 'no_show', 'late_cancelled', 'did_not_take_place', name='recordoutcome', native_enum=False, length=32), nullable=False),
    sa.Column('starts_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('waiting_minutes', sa.SmallInteger(), nullable=False),
    sa.Column('travel_minutes', sa.SmallInteger(), nullable=False),
    sa.Column('travel_km', sa.Numeric(precision=6, scale=1), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('client_key', sa.String(length=80), nullable=False),
    sa.Column('confirm_by', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', lotsen.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_via', sa.String(length=16), nullable=False),
    sa.Column('agency_comment', sa.Text(), nullable=False),
    sa.Column('office_note', sa.Text(), nullable=False),
    sa.Column('created_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_assignment_records_agency_id_agencies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_assignment_records_answered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_assignment_records_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_assignment_records_office_id_offices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_assignment_records_programme_id_programmes'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['users.id'], name=op.f('fk_assignment_records_volunteer_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_records')),
    sa.UniqueConstraint('assignment_id', name=op.f('uq_assignment_records_assignment_id'))
    )
    with op.batch_alter_table('assignment_records', schema=None) as batch_op:
        batch_op.create_index('ix_assignment_records_agency_id_status', ['agency_id', 'status'], unique=False)
        batch_op.create_index('ix_assignment_records_office_id_starts_at', ['office_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_assignment_records_volunteer_id_starts_at', ['volunteer_id', 'starts_at'], unique=False)

    op.create_table('assignment_record_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.Enum('took_place', 'no_show', 'late_cancelled', 'did_not_take_place', name='recordoutcome', native_enum=False, length=32), nullable=False),
    sa.Column('starts_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('waiting_minutes', sa.SmallInteger(), nullable=False),
    sa.Column('travel_minutes', sa.SmallInteger(), nullable=False),
    sa.Column('travel_km', sa.Numeric(precision=6, scale=1), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['assignment_records.id'], name=op.f('fk_assignment_record_versions_record_id_assignment_records'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_assignment_record_versions_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_record_versions')),
    sa.UniqueConstraint('record_id', 'version', name=op.f('uq_assignment_record_versions_record_id'))
    )
    _a_programme_for_every_office()


OWN_BUDGET = "Eigenes Budget"


def _a_programme_for_every_office() -> None:
    """Every office gets one programme paying its requests, at the rates its settings held until now."""
    offices = sa.table("offices", sa.column("id", sa.Integer), sa.column("settings", sa.JSON),
                       sa.column("created_at", lotsen.db.UTCDateTime()))
    programmes = sa.table("programmes", sa.column("id", sa.Integer), sa.column("office_id", sa.Integer),
                          sa.column("name", sa.String), sa.column("kinds", sa.JSON),
                          sa.column("is_active", sa.Boolean), sa.column("created_at", lotsen.db.UTCDateTime()))
    rates = sa.table("programme_rates", sa.column("programme_id", sa.Integer), sa.column("valid_from", sa.Date),
                     sa.column("rule", sa.JSON), sa.column("created_at", lotsen.db.UTCDateTime()))
    bind = op.get_bind()
    for office in bind.execute(sa.select(offices)).all():
        settings = office.settings or {}
        programme_id = bind.execute(sa.insert(programmes).values(
            office_id=office.id, name=OWN_BUDGET, kinds=["guide", "interpreter"], is_active=True,
            created_at=office.created_at).returning(programmes.c.id)).scalar_one()
        rule = {"per_hour": str(settings.get("allowance_per_hour", "12.00")),
                "per_km": str(settings.get("allowance_per_km", "0.30")),
                "late_cancel_minutes": 60 * int(settings.get("late_cancellation_paid_hours", 1))}
        bind.execute(sa.insert(rates).values(programme_id=programme_id, valid_from=datetime.date(2000, 1, 1),
                                             rule=rule, created_at=office.created_at))


def downgrade() -> None:
    op.drop_table('assignment_record_versions')
    with op.batch_alter_table('assignment_records', schema=None) as batch_op:
        batch_op.drop_index('ix_assignment_records_volunteer_id_starts_at')
        batch_op.drop_index('ix_assignment_records_office_id_starts_at')
        batch_op.drop_index('ix_assignment_records_agency_id_status')

    op.drop_table('assignment_records')
    op.drop_table('programme_rates')
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programmes_office_id'))

    op.drop_table('programmes')
