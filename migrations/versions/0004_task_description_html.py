"""task description_html: the description rendered once at write time

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

from tracker.text import render_markdown

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

BATCH = 500


def upgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description_html', sa.Text(), server_default='', nullable=False))
    fill_description_html()


def fill_description_html():
    """Render the existing descriptions, a batch of rows at a time (keyset on id)."""
    tasks = sa.table('tasks', sa.column('id', sa.Integer), sa.column('description', sa.Text),
                     sa.column('description_html', sa.Text))
    connection = op.get_bind()
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(tasks.c.id, tasks.c.description)
            .where(tasks.c.id > last_id, tasks.c.description != '')
            .order_by(tasks.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            tasks.update().where(tasks.c.id == sa.bindparam('task_id')),
            [{'task_id': row.id, 'description_html': str(render_markdown(row.description))}
             for row in rows],
        )
        last_id = rows[-1].id


def downgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_column('description_html')
