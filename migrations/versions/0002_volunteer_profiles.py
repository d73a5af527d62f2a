"""volunteer profiles

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:51:37.851068
"""
from alembic import op
import sqlalchemy as sa
import lotsen.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('office_postcodes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('postcode', sa.String(length=5), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=False),
    sa.Column('longitude', sa.Float(), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_office_postcodes_office_id_offices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_office_postcodes')),
    sa.UniqueConstraint('office_id', 'postcode', name='uq_office_postcodes_office_id_postcode')
    )
    with op.batch_alter_table('office_postcodes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_office_postcodes_office_id'), ['office_id'], unique=False)

    op.create_table('place_aliases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.String(length=120), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_place_aliases_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_place_aliases_office_id_offices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_place_aliases')),
    sa.UniqueConstraint('office_id', 'alias', name='uq_place_aliases_office_id_alias')
    )
    with op.batch_alter_table('place_aliases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_place_aliases_office_id'), ['office_id'], unique=False)

    op.create_table('volunteer_profiles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=50), nullable=False),
    sa.Column('is_guide', sa.Boolean(), nullable=False),
    sa.Column('is_interpreter', sa.Boolean(), nullable=False),
    sa.Column('on_site', sa.Boolean(), nullable=False),
    sa.Column('by_phone', sa.Boolean(), nullable=False),
    sa.Column('by_video', sa.Boolean(), nullable=False),
    sa.Column('german_level', sa.Enum('native', 'fluent', 'good', 'basic', name='languagelevel', native_enum=False, length=32), nullable=True),
    sa.Column('postcode', sa.String(length=5), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('travel_radius_km', sa.SmallInteger(), nullable=False),
    sa.Column('max_per_week', sa.SmallInteger(), nullable=True),
    sa.Column('max_per_month', sa.SmallInteger(), nullable=True),
    sa.Column('min_notice_hours', sa.SmallInteger(), nullable=False),
    sa.Column('topics_willing', sa.JSON(), nullable=False),
    sa.Column('topics_excluded', sa.JSON(), nullable=False),
    sa.Column('gender', sa.Enum('female', 'male', 'diverse', name='gender', native_enum=False, length=32), nullable=True),
    sa.Column('is_paused', sa.Boolean(), nullable=False),
    sa.Column('paused_until', sa.Date(), nullable=True),
    sa.Column('vetted_at', lotsen.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('declaration_signed_on', sa.Date(), nullable=True),
    sa.Column('certificate_checked_on', sa.Date(), nullable=True),
    sa.Column('coordinator_notes', sa.Text(), nullable=False),
    sa.Column('deletion_requested_at', lotsen.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('anonymized_at', lotsen.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_volunteer_profiles_municipality_id_municipalities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_volunteer_profiles_office_id_offices')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_volunteer_profiles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_volunteer_profiles'))
    )
    with op.batch_alter_table('volunteer_profiles', schema=None) as batch_op:
        batch_op.create_index('ix_volunteer_profiles_latitude_longitude', ['latitude', 'longitude'], unique=False)
        batch_op.create_index(batch_op.f('ix_volunteer_profiles_office_id'), ['office_id'], unique=False)

    op.create_table('absences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.Enum('vacation', 'illness', 'other', name='absencereason', native_enum=False, length=32), nullable=False),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer_profiles.user_id'], name=op.f('fk_absences_volunteer_id_volunteer_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_absences'))
    )
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_absences_volunteer_id'), ['volunteer_id'], unique=False)

    op.create_table('availability_windows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.SmallInteger(), nullable=False),
    sa.Column('starts', sa.Time(), nullable=False),
    sa.Column('ends', sa.Time(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer_profiles.user_id'], name=op.f('fk_availability_windows_volunteer_id_volunteer_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_availability_windows'))
    )
    with op.batch_alter_table('availability_windows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_availability_windows_volunteer_id'), ['volunteer_id'], unique=False)

    op.create_table('extra_dates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('starts', sa.Time(), nullable=False),
    sa.Column('ends', sa.Time(), nullable=False),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer_profiles.user_id'], name=op.f('fk_extra_dates_volunteer_id_volunteer_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_extra_dates'))
    )
    with op.batch_alter_table('extra_dates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_extra_dates_volunteer_id'), ['volunteer_id'], unique=False)

    op.create_table('trainings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('basic', 'further', name='trainingkind', native_enum=False, length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer_profiles.user_id'], name=op.f('fk_trainings_volunteer_id_volunteer_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trainings'))
    )
    with op.batch_alter_table('trainings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trainings_volunteer_id'), ['volunteer_id'], unique=False)

    op.create_table('volunteer_languages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('level', sa.Enum('native', 'fluent', 'good', 'basic', name='languagelevel', native_enum=False, length=32), nullable=False),
    sa.Column('varieties', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer_profiles.user_id'], name=op.f('fk_volunteer_languages_volunteer_id_volunteer_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_languages')),
    sa.UniqueConstraint('volunteer_id', 'language', name='uq_volunteer_languages_volunteer_id_language')
    )
    with op.batch_alter_table('volunteer_languages', schema=None) as batch_op:
        batch_op.create_index('ix_volunteer_languages_language_volunteer_id', ['language', 'volunteer_id'], unique=False)
    _profiles_for_existing_volunteers()


def _profiles_for_existing_volunteers() -> None:
    """Every volunteer account gets a profile; those already admitted count as vetted."""
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("office_id", sa.Integer),
                     sa.column("role", sa.String), sa.column("status", sa.String),
                     sa.column("created_at", lotsen.db.UTCDateTime()))
    profiles = sa.table(
        "volunteer_profiles", *[sa.column(name, type_) for name, type_ in [
            ("user_id", sa.Integer), ("office_id", sa.Integer), ("phone", sa.String), ("is_guide", sa.Boolean),
            ("is_interpreter", sa.Boolean), ("on_site", sa.Boolean), ("by_phone", sa.Boolean),
            ("by_video", sa.Boolean), ("postcode", sa.String), ("travel_radius_km", sa.SmallInteger),
            ("min_notice_hours", sa.SmallInteger), ("topics_willing", sa.JSON), ("topics_excluded", sa.JSON),
            ("is_paused", sa.Boolean), ("vetted_at", lotsen.db.UTCDateTime()), ("coordinator_notes", sa.Text),
("created_at", lotsen.db.UTCDateTime()),
            ("updated_at", lotsen.db.UTCDateTime())]])
    rows = op.get_bind().execute(sa.select(users).where(users.c.role == "volunteer")).all()
    op.bulk_insert(profiles, [
        {"user_id": row.id, "office_id": row.office_id, "phone": "", "is_guide": False, "is_interpreter": True,
         "on_site": True, "by_phone": False, "by_video": False, "postcode": "", "travel_radius_km": 10,
         "min_notice_hours": 24, "topics_willing": [], "topics_excluded": [], "is_paused": False,
         "vetted_at": row.created_at if row.status == "active" else None, "coordinator_notes": "",
         "created_at": row.created_at, "updated_at": row.created_at}
        for row in rows
    ])


def downgrade() -> None:
    with op.batch_alter_table('volunteer_languages', schema=None) as batch_op:
        batch_op.drop_index('ix_volunteer_languages_language_volunteer_id')

    op.drop_table('volunteer_languages')
    with op.batch_alter_table('trainings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trainings_volunteer_id'))

    op.drop_table('trainings')
    with op.batch_alter_table('extra_dates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_extra_dates_volunteer_id'))

    op.drop_table('extra_dates')
    with op.batch_alter_table('availability_windows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_availability_windows_volunteer_id'))

    op.drop_table('availability_windows')
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_absences_volunteer_id'))

    op.drop_table('absences')
    with op.batch_alter_table('volunteer_profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_volunteer_profiles_office_id'))
        batch_op.drop_index('ix_volunteer_profiles_latitude_longitude')

    op.drop_table('volunteer_profiles')
    with op.batch_alter_table('place_aliases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_place_aliases_office_id'))

    op.drop_table('place_aliases')
    with op.batch_alter_table('office_postcodes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_office_postcodes_office_id'))

    op.drop_table('office_postcodes')
