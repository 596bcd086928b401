"""views that decide: undo records (in-place edits, bulk actions and undo)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 03:30:00.000000

One table: what an action replaced, kept for a few seconds so its author can undo it (tracker/undo.py).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'undo_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('label', sa.String(length=300), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.Column('results', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_undo_records_team_id_teams'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_undo_records_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_undo_records')),
    )
    with op.batch_alter_table('undo_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_undo_records_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_undo_records_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('undo_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_undo_records_user_id'))
        batch_op.drop_index(batch_op.f('ix_undo_records_team_id'))
    op.drop_table('undo_records')
