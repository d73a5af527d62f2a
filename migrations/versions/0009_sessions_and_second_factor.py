"""sessions and second factor

Server-side sessions (user_sessions); the TOTP secret, its last used time step and the recovery codes'
hashes; the time an address was confirmed (existing accounts: when they were made). Browsers signed in
before this migration sign in again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 08:11:42.878057
"""
from alembic import op
import sqlalchemy as sa
import lotsen.db


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', lotsen.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('idle_minutes', sa.Integer(), nullable=False),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('user_agent', sa.String(length=200), nullable=False),
    sa.Column('ended_at', lotsen.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_user_sessions_user_id_ended_at', ['user_id', 'ended_at'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', lotsen.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', lotsen.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('recovery_codes', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    # Accounts made before addresses were confirmed count as confirmed.
    op.execute("UPDATE users SET email_verified_at = created_at")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('recovery_codes', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('recovery_codes')
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('email_verified_at')

    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_user_sessions_user_id_ended_at')

    op.drop_table('user_sessions')
