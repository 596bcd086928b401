"""views: remembered board views, swimlanes and WIP limits

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 03:30:00.000000

Two tables: what each person last chose on a team's board (filter and swimlanes), and each team's
work-in-progress limit per board column (tracker/boards.py).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'board_views',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('args', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_board_views_team_id_teams'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_board_views_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'team_id', name=op.f('pk_board_views')),
    )
    with op.batch_alter_table('board_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_views_team_id'), ['team_id'], unique=False)
    op.create_table(
        'wip_limits',
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('wip_limit', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_wip_limits_team_id_teams'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('team_id', 'status', name=op.f('pk_wip_limits')),
    )


def downgrade():
    op.drop_table('wip_limits')
    with op.batch_alter_table('board_views', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_board_views_team_id'))
    op.drop_table('board_views')
