"""users by name: an index on lower(name), id for lists sorted by name

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 15:52:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_users_lower_name_id", "users", [sa.text("lower(name)"), "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_users_lower_name_id", table_name="users")
