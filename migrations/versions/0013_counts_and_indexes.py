"""performance: indexes for counts and open-task orders that do not read the team's rows

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 03:30:00.000000

- ix_tasks_team_live_status (team_id, deleted_at, status, completed_at): the list's total, the board's
  per-column counts and its "done in the last two weeks" column, counted from the index alone.
- ix_tasks_open_by_deadline: open live tasks in deadline order (undated last) with their priority, a
  partial index; board columns, matrix quadrants (and their counts) and the dashboard's dated lists read
  their first cards from it. SQLite uses it only when the query repeats `status != 'done'` literally.
- ix_tasks_open_by_assignee: the same per person, for my work's buckets and their counts.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

OPEN = "deleted_at IS NULL AND status != 'done'"


def upgrade():
    op.create_index(
        'ix_tasks_team_live_status', 'tasks', ['team_id', 'deleted_at', 'status', 'completed_at'],
        unique=False,
    )
    op.create_index(
        'ix_tasks_open_by_deadline', 'tasks', [
            'team_id', sa.text('(due_at IS NULL)'), 'due_at', 'id', 'priority', 'status', 'deleted_at',
        ],
        unique=False, sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN),
    )
    op.create_index(
        'ix_tasks_open_by_assignee', 'tasks', [
            'assignee_id', sa.text('(due_at IS NULL)'), 'due_at', 'id', 'priority', 'team_id', 'status',
            'deleted_at',
        ],
        unique=False, sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN),
    )


def downgrade():
    op.drop_index('ix_tasks_open_by_assignee', table_name='tasks')
    op.drop_index('ix_tasks_open_by_deadline', table_name='tasks')
    op.drop_index('ix_tasks_team_live_status', table_name='tasks')
