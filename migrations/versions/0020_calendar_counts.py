"""calendar counts: deadline index for per-day counts

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 07:05:00.000000

- ix_tasks_calendar (team_id, due_at, id, status, priority, category_id, assignee_id, feature_id,
  deleted_at), live tasks with a deadline: the calendar reads each visible day as one range of it, and
  under a filter on status, priority, category, person or feature a day's count and first cards come
  from the index alone instead of every task of the day. The condition is worded as the calendar's
  query words it (SQLite uses a partial index only then), so other views keep their plans.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_tasks_calendar', 'tasks', [
            'team_id', 'due_at', 'id', 'status', 'priority', 'category_id', 'assignee_id', 'feature_id',
            'deleted_at',
        ],
        unique=False,
        sqlite_where=sa.text("deleted_at IS NULL AND (due_at IS NULL) IS 0"),
        postgresql_where=sa.text("deleted_at IS NULL AND (due_at IS NULL) IS false"),
    )


def downgrade():
    op.drop_index('ix_tasks_calendar', table_name='tasks')
