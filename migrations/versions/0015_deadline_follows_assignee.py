"""tasks: date-only deadlines that follow the assignee's zone, and a place in the assignee's queue

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 03:30:00.000000

- tasks.due_date: the day a deadline was given as (a date alone), which means 23:59:59 of that day where
  the assignee works; kept so that reassigning the task to someone in another zone moves due_at to the
  end of that day in the new zone. Null when the deadline was given as an instant. Existing deadlines
  stay as they are (null): whether they were typed as a date is not known.
- tasks.queue_at: where the task sits in its assignee's queue when a manager moved it ("start it before
  #120"): the forecast orders the queue by queue_at in place of the deadline. Null: by its deadline.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN (SQLite has both), not a batch copy of the table: a batch copy would drop the
# list-order index, which is on an expression that reflection cannot see.
def upgrade():
    op.add_column('tasks', sa.Column('due_date', sa.Date(), nullable=True))
    op.add_column('tasks', sa.Column('queue_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column('tasks', 'queue_at')
    op.drop_column('tasks', 'due_date')
