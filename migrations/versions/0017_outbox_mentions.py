"""outbox mentions: whom a message's text names besides its recipient, so erasure finds them in others' mails

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 17:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_mentions",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["outbox.id"], name=op.f("fk_outbox_mentions_message_id_outbox"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_outbox_mentions_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("message_id", "user_id", name=op.f("pk_outbox_mentions")),
    )
    op.create_index(op.f("ix_outbox_mentions_user_id"), "outbox_mentions", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_mentions_user_id"), table_name="outbox_mentions")
    op.drop_table("outbox_mentions")
