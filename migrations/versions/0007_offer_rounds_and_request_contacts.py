"""offer rounds and request contacts

Offers and requests get rounds of asking (a step-back starts a new one); requests get the person to
inform at the agency, why they were not filled, and the filing form's one-time token; offers get a
partial unique index (one waiting offer per volunteer and request); profiles the on-call flag.
Existing rows: offers that became assignments are "confirmed"; rounds are counted from the step-backs
so far; requests filed by a caseworker inform that caseworker; unfilled requests passed their start.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 07:03:43.377258
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round', sa.SmallInteger(), nullable=False, server_default='1'))

    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inform_user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('inform_name', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('inform_email', sa.String(length=254), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('inform_phone', sa.String(length=50), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('unfilled_reason', sa.Enum('no_language', 'no_one_free', 'setting_unsuitable', 'other', 'start_passed', name='unfilledreason', native_enum=False, length=32), nullable=True))
        batch_op.add_column(sa.Column('unfilled_note', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('round', sa.SmallInteger(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('submission_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_requests_submission_key'), ['submission_key'])
        batch_op.create_foreign_key(batch_op.f('fk_requests_inform_user_id_users'), 'users', ['inform_user_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('volunteer_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('short_notice', sa.Boolean(), nullable=False, server_default=sa.false()))

    # The rows as they stand.
    op.execute("UPDATE offers SET status = 'confirmed' WHERE id IN "
               "(SELECT offer_id FROM assignments WHERE offer_id IS NOT NULL)")
    op.execute("UPDATE requests SET round = 1 + (SELECT COUNT(*) FROM assignments a "
               "WHERE a.request_id = requests.id AND a.status = 'withdrawn')")
    op.execute("UPDATE offers SET round = 1 + (SELECT COUNT(*) FROM assignments a "
               "WHERE a.request_id = offers.request_id AND a.status = 'withdrawn' AND a.ended_at <= offers.created_at)")
    op.execute("UPDATE requests SET inform_user_id = created_by_id WHERE created_by_id IN "
               "(SELECT id FROM users WHERE role = 'caseworker')")
    op.execute("UPDATE requests SET unfilled_reason = 'start_passed' WHERE status = 'unfilled'")

    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.alter_column('round', server_default=None)
        batch_op.create_index('uq_offers_request_id_waiting', ['request_id', 'volunteer_id'], unique=True, sqlite_where=sa.text("status IN ('open', 'accepted')"), postgresql_where=sa.text("status IN ('open', 'accepted')"))
    with op.batch_alter_table('requests', schema=None) as batch_op:
        for column in ('inform_name', 'inform_email', 'inform_phone', 'unfilled_note', 'round'):
            batch_op.alter_column(column, server_default=None)
    with op.batch_alter_table('volunteer_profiles', schema=None) as batch_op:
        batch_op.alter_column('short_notice', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('volunteer_profiles', schema=None) as batch_op:
        batch_op.drop_column('short_notice')

    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_requests_inform_user_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_requests_submission_key'), type_='unique')
        batch_op.drop_column('submission_key')
        batch_op.drop_column('round')
        batch_op.drop_column('unfilled_note')
        batch_op.drop_column('unfilled_reason')
        batch_op.drop_column('inform_phone')
        batch_op.drop_column('inform_email')
        batch_op.drop_column('inform_name')
        batch_op.drop_column('inform_user_id')

    op.execute("UPDATE offers SET status = 'accepted' WHERE status = 'confirmed'")
    op.execute("UPDATE offers SET status = 'withdrawn' WHERE status IN ('released', 'cancelled')")
    op.execute("UPDATE assignments SET status = 'cancelled' WHERE status = 'released'")
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_index('uq_offers_request_id_waiting', sqlite_where=sa.text("status IN ('open', 'accepted')"), postgresql_where=sa.text("status IN ('open', 'accepted')"))
        batch_op.drop_column('round')
