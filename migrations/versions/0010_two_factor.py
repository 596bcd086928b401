"""users: two-factor authentication (TOTP secret, recovery codes) and the team setting that requires it

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 03:30:00.000000

Users get the TOTP secret, when two-factor sign-in was turned on and the last accepted time step; a
table keeps the digests of their recovery codes; teams say who must use two factors (nobody by default).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'recovery_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes')),
    )
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('two_factor_enabled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('two_factor_required', sa.String(length=16), nullable=False,
                                      server_default='nobody'))


# Plain DROP COLUMN (SQLite has it), not a batch copy: copying `teams` or `users` drops the old table,
# and with foreign keys on that deletes every row that cascades from it (the teams' tasks).
def downgrade():
    op.drop_column('teams', 'two_factor_required')
    for column in ('totp_last_step', 'two_factor_enabled_at', 'totp_secret'):
        op.drop_column('users', column)
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_user_id'))
    op.drop_table('recovery_codes')
