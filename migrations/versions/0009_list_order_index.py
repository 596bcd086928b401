"""tasks: an index that gives the task list its default order (deadline, undated last, id)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 00:35:00.000000

A partial index on live tasks with the expression (due_at IS NULL), so `ORDER BY due_at IS NULL,
due_at, id` is read from the index on SQLite and PostgreSQL instead of sorting the team.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_tasks_live_by_deadline', 'tasks', ['team_id', sa.text('(due_at IS NULL)'), 'due_at', 'id'],
        unique=False, sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'),
    )


def downgrade():
    op.drop_index('ix_tasks_live_by_deadline', table_name='tasks')
