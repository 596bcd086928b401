"""person loads: each member's workload stored with the forecast

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 07:05:00.000000

Each member's workload per team (tracker.workload), stored with the forecast and kept fresh by the
same events. The table starts empty: `flask refresh-forecast` (run by `make run`, and from cron) fills it;
until then the dashboard shows members without a stored load as having none.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'person_loads',
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('open_tasks', sa.Integer(), nullable=False),
        sa.Column('remaining_hours', sa.Float(), nullable=False),
        sa.Column('unestimated', sa.Integer(), nullable=False),
        sa.Column('tight_due_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('needed_hours', sa.Float(), nullable=False),
        sa.Column('available_hours', sa.Float(), nullable=False),
        sa.Column('overdue_tasks', sa.Integer(), nullable=False),
        sa.Column('overdue_hours', sa.Float(), nullable=False),
        sa.Column('week_hours', sa.Float(), nullable=False),
        sa.Column('week_capacity_hours', sa.Float(), nullable=False),
        sa.Column('four_weeks_hours', sa.Float(), nullable=False),
        sa.Column('four_weeks_capacity_hours', sa.Float(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_person_loads_team_id_teams'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_person_loads_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_person_loads')),
    )
    with op.batch_alter_table('person_loads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_loads_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('person_loads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_loads_user_id'))
    op.drop_table('person_loads')
