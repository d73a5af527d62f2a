"""statements payouts and payout details

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 09:46:58.576542
"""
from alembic import op
import sqlalchemy as sa
import lotsen.db


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payout_details',
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('account_holder', sa.String(length=140), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=False),
    sa.Column('bic', sa.String(length=11), nullable=False),
    sa.Column('tax_allowance', sa.Enum('volunteering', 'trainer', name='taxallowance', native_enum=False, length=32), nullable=False),
    sa.Column('on_buergergeld', sa.Boolean(), nullable=False),
    sa.Column('updated_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['volunteer_id'], ['users.id'], name=op.f('fk_payout_details_volunteer_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('volunteer_id', name=op.f('pk_payout_details'))
    )
    op.create_table('payouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('month', sa.SmallInteger(), nullable=False),
    sa.Column('total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('execution_date', sa.Date(), nullable=False),
    sa.Column('sepa_xml', sa.Text(), nullable=False),
    sa.Column('created_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_payouts_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_payouts_office_id_offices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payouts'))
    )
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payouts_office_id'), ['office_id'], unique=False)

    op.create_table('statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('month', sa.SmallInteger(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'approved', 'paid', name='statementstatus', native_enum=False, length=32), nullable=False),
    sa.Column('total', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('created_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('approved_at', lotsen.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('payout_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_statements_approved_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_statements_office_id_offices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['payout_id'], ['payouts.id'], name=op.f('fk_statements_payout_id_payouts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['users.id'], name=op.f('fk_statements_volunteer_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statements')),
    sa.UniqueConstraint('office_id', 'volunteer_id', 'year', 'month', name=op.f('uq_statements_office_id'))
    )
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.create_index('ix_statements_office_id_year_month', ['office_id', 'year', 'month'], unique=False)
        batch_op.create_index(batch_op.f('ix_statements_volunteer_id'), ['volunteer_id'], unique=False)

    with op.batch_alter_table('assignment_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('statement_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_assignment_records_statement_id_statements'), 'statements', ['statement_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('assignment_records', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_assignment_records_statement_id_statements'), type_='foreignkey')
        batch_op.drop_column('statement_id')

    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statements_volunteer_id'))
        batch_op.drop_index('ix_statements_office_id_year_month')

    op.drop_table('statements')
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payouts_office_id'))

    op.drop_table('payouts')
    op.drop_table('payout_details')
