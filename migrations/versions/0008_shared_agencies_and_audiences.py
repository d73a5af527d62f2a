"""shared agencies and audiences

Caseworkers work with the offices that granted them access (caseworker_offices); request events say who
may read their note (audience). Existing caseworkers keep the offices they were invited by (from the audit
log), or every office of their agency where that is not recorded; existing events: the agency's own steps
(filed, changed, cancelled by it) are the agency's to read, everything else the office's.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 08:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('caseworker_offices',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_caseworker_offices_office_id_offices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_caseworker_offices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'office_id', name=op.f('pk_caseworker_offices'))
    )
    with op.batch_alter_table('caseworker_offices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_caseworker_offices_office_id'), ['office_id'], unique=False)

    # Caseworkers invited by an office work with that office; those without a recorded invitation with all
    # of their agency's offices (as before).
    op.execute("""
        INSERT INTO caseworker_offices (user_id, office_id)
        SELECT DISTINCT u.id, ao.office_id
        FROM users u JOIN agency_offices ao ON ao.agency_id = u.agency_id
        WHERE u.role = 'caseworker' AND (
            EXISTS (SELECT 1 FROM audit_events e WHERE e.action = 'user.invited' AND e.subject_type = 'User'
                    AND e.subject_id = u.id AND e.office_id = ao.office_id)
            OR NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.action = 'user.invited' AND e.subject_type = 'User'
                           AND e.subject_id = u.id AND e.office_id IN
                               (SELECT office_id FROM agency_offices WHERE agency_id = u.agency_id)))
    """)

    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audience', sa.Enum('office', 'agency', 'volunteer', name='audience', native_enum=False, length=32), nullable=False, server_default='office'))
    op.execute("UPDATE request_events SET audience = 'agency' WHERE action IN ('create', 'edit', 'cancel')")
    # ... except "did not take place", which is the volunteer's word to the office.
    op.execute("UPDATE request_events SET audience = 'office' WHERE action = 'cancel' "
               "AND CAST(details AS TEXT) LIKE '%did_not_take_place%'")
    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.alter_column('audience', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.drop_column('audience')

    with op.batch_alter_table('caseworker_offices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_caseworker_offices_office_id'))

    op.drop_table('caseworker_offices')
