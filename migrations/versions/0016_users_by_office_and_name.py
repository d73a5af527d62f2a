"""users by office and name: an index on office_id, lower(name), id for an office's lists sorted by name

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 17:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_users_office_id_lower_name_id", "users", ["office_id", sa.text("lower(name)"), "id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_users_office_id_lower_name_id", table_name="users")
