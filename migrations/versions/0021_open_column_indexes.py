"""board columns and my work: open-task indexes with the status / priority before the deadline

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 07:50:00.000000

- ix_tasks_open_by_status_deadline (team_id, status, (due_at IS NULL), due_at, id), open live tasks: a
  board column's first cards are one range of it. Without it SQLite walked the open tasks' deadline index
  and checked the status of every row (the "blocked" column read ~55,000 rows at 100k tasks).
- ix_tasks_open_by_assignee_priority (assignee_id, priority, (due_at IS NULL), due_at, id, team_id,
  status, deleted_at), open live tasks: my work reads a bucket's first cards per priority in deadline
  order, merged most important first, instead of sorting all the person's open tasks of the bucket.
Both conditions repeat tasks.OPEN_TASK's wording literally: SQLite uses a partial index only then.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

OPEN = "deleted_at IS NULL AND status != 'done'"


def upgrade():
    op.create_index(
        'ix_tasks_open_by_status_deadline', 'tasks',
        ['team_id', 'status', sa.text('(due_at IS NULL)'), 'due_at', 'id'],
        unique=False, sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN),
    )
    op.create_index(
        'ix_tasks_open_by_assignee_priority', 'tasks', [
            'assignee_id', 'priority', sa.text('(due_at IS NULL)'), 'due_at', 'id', 'team_id', 'status',
            'deleted_at',
        ],
        unique=False, sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN),
    )


def downgrade():
    op.drop_index('ix_tasks_open_by_assignee_priority', table_name='tasks')
    op.drop_index('ix_tasks_open_by_status_deadline', table_name='tasks')
