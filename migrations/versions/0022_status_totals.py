"""status totals: live tasks per team and status

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 07:45:00.000000

- status_totals (team, status): how many live tasks have that status. The task list and the API task list
  take their total from these rows when no filter but the status narrows the team, instead of counting
  every live task of the team (tracker/tallies.py recounts a team's statuses that a change touches).
Filled from the existing tasks here (tallies.recount_statuses' query, written out in SQL).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'status_totals',
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('tasks', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_status_totals_team_id_teams'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('team_id', 'status', name=op.f('pk_status_totals')),
    )
    op.execute("""
        INSERT INTO status_totals (team_id, status, tasks)
        SELECT team_id, status, COUNT(*) FROM tasks WHERE deleted_at IS NULL GROUP BY team_id, status
    """)


def downgrade():
    op.drop_table('status_totals')
