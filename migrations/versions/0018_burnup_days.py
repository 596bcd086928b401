"""dashboard tallies: burn-up days and open tasks per category and day of deadline

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 07:05:00.000000

- burnup_days (team, UTC day): estimate of the live tasks created that day and of the done tasks completed
  that day; the burn-up adds these up instead of reading every task.
- category_days (team, category, UTC day of deadline; 9999-12-31 for none): open live tasks and those at
  risk; the dashboard's per-category counts add these up.
- ix_tasks_team_created and ix_tasks_open_by_category_due: the days a change touches, recounted from the
  index (tracker/tallies.py).
- ix_task_forecasts_team_computed: the oldest of a team's forecasts (the dashboard's "as of") from the
  index's first entry instead of reading every forecast of the team.
Both tables are filled from the existing tasks here (tallies.rebuild's queries, written out in SQL).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

OPEN = "deleted_at IS NULL AND status != 'done'"


def _day(column):
    if op.get_bind().dialect.name == "postgresql":
        return f"date(timezone('UTC', {column}))"
    return f"date({column})"


def upgrade():
    op.create_table(
        'burnup_days',
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('scope_hours', sa.Float(), nullable=False),
        sa.Column('done_hours', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_burnup_days_team_id_teams'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('team_id', 'day', name=op.f('pk_burnup_days')),
    )
    op.create_table(
        'category_days',
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('open_tasks', sa.Integer(), nullable=False),
        sa.Column('at_risk_tasks', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['category_id'], ['categories.id'],
                                name=op.f('fk_category_days_category_id_categories'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_category_days_team_id_teams'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('team_id', 'category_id', 'day', name=op.f('pk_category_days')),
    )
    op.create_index(op.f('ix_category_days_category_id'), 'category_days', ['category_id'], unique=False)
    op.create_index('ix_tasks_team_created', 'tasks', ['team_id', 'created_at'], unique=False)
    op.create_index('ix_task_forecasts_team_computed', 'task_forecasts', ['team_id', 'computed_at'], unique=False)
    op.create_index(
        'ix_tasks_open_by_category_due', 'tasks',
        ['team_id', 'due_at', 'id', 'category_id', 'status', 'deleted_at'],
        unique=False, sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN),
    )
    created, completed, due = _day('created_at'), _day('completed_at'), _day('due_at')
    op.execute(f"""
        INSERT INTO burnup_days (team_id, day, scope_hours, done_hours)
        SELECT team_id, day, SUM(scope), SUM(done) FROM (
            SELECT team_id, {created} AS day, COALESCE(estimate_hours, 0) AS scope, 0.0 AS done
            FROM tasks WHERE deleted_at IS NULL
            UNION ALL
            SELECT team_id, {completed}, 0.0, COALESCE(estimate_hours, 0)
            FROM tasks WHERE deleted_at IS NULL AND status = 'done' AND completed_at IS NOT NULL
        ) AS days GROUP BY team_id, day
    """)
    op.execute(f"""
        INSERT INTO category_days (team_id, category_id, day, open_tasks, at_risk_tasks)
        SELECT t.team_id, t.category_id, COALESCE({due.replace('due_at', 't.due_at')}, '9999-12-31'),
               COUNT(*), SUM(CASE WHEN f.at_risk THEN 1 ELSE 0 END)
        FROM tasks AS t LEFT JOIN task_forecasts AS f ON f.task_id = t.id
        WHERE t.{OPEN.replace(' AND ', ' AND t.')}
        GROUP BY t.team_id, t.category_id, COALESCE({due.replace('due_at', 't.due_at')}, '9999-12-31')
    """)


def downgrade():
    op.drop_index('ix_tasks_open_by_category_due', table_name='tasks')
    op.drop_index('ix_task_forecasts_team_computed', table_name='task_forecasts')
    op.drop_index('ix_tasks_team_created', table_name='tasks')
    op.drop_index(op.f('ix_category_days_category_id'), table_name='category_days')
    op.drop_table('category_days')
    op.drop_table('burnup_days')
