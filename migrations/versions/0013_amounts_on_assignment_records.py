"""amounts on assignment records

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 10:18:45.283431
"""
from alembic import op
import sqlalchemy as sa
import lotsen.db


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('assignment_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amount', sa.Numeric(precision=10, scale=2), nullable=True))
        batch_op.add_column(sa.Column('paid_minutes', sa.Integer(), nullable=True))
    _amounts_of_approved_statements()


def _amounts_of_approved_statements() -> None:
    """Records already in an approved or paid statement take their amount from it."""
    statements = sa.table("statements", sa.column("status", sa.String), sa.column("items", sa.JSON))
    records = sa.table("assignment_records", sa.column("id", sa.Integer), sa.column("amount", sa.Numeric(10, 2)),
                       sa.column("paid_minutes", sa.Integer))
    bind = op.get_bind()
    items = statements.c["items"]  # (".items" is the column collection's own method)
    for (listed,) in bind.execute(sa.select(items).where(statements.c.status.in_(["approved", "paid"]))):
        for item in listed or []:
            bind.execute(sa.update(records).where(records.c.id == item["record"])
                         .values(amount=item["total"], paid_minutes=item.get("minutes", 0)))



def downgrade() -> None:
    with op.batch_alter_table('assignment_records', schema=None) as batch_op:
        batch_op.drop_column('paid_minutes')
        batch_op.drop_column('amount')

