"""task_forecasts: the deadline-risk forecast stored per open task, kept fresh by domain events

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 00:30:00.000000

The table starts empty: `flask refresh-forecast` (run by `make run`, and from cron like the other
periodic commands) fills it.
"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'task_forecasts',
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('assignee_id', sa.Integer(), nullable=True),
        sa.Column('projected_finish_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('at_risk', sa.Boolean(), nullable=False),
        sa.Column('slack_hours', sa.Float(), nullable=True),
        sa.Column('remaining_hours', sa.Float(), nullable=True),
        sa.Column('reason', sa.String(length=16), nullable=False),
        sa.Column('earlier_tasks', sa.Integer(), nullable=False),
        sa.Column('available_hours', sa.Float(), nullable=True),
        sa.Column('waits_for', sa.JSON(), nullable=False),
        sa.Column('unscheduled_blockers', sa.JSON(), nullable=False),
        sa.Column('cycle_blockers', sa.JSON(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_task_forecasts_assignee_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_forecasts_task_id_tasks'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_task_forecasts_team_id_teams'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('task_id', name=op.f('pk_task_forecasts')),
    )
    with op.batch_alter_table('task_forecasts', schema=None) as batch_op:
        batch_op.create_index('ix_task_forecasts_team_at_risk', ['team_id', 'at_risk'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_forecasts_assignee_id'), ['assignee_id'], unique=False)


def downgrade():
    with op.batch_alter_table('task_forecasts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_forecasts_assignee_id'))
        batch_op.drop_index('ix_task_forecasts_team_at_risk')
    op.drop_table('task_forecasts')
