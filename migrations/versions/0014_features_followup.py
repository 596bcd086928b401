"""category templates: who does the task and its estimate, so that filling a feature's gaps plans the
tasks' deadlines through that person's working hours

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 03:30:00.000000

- category_templates.assignee_id: who the task a template starts is given to (null: the feature's owner).
- category_templates.estimate_hours: its estimate (null: the built-in one of its category).
Existing templates keep null in both, which is what they meant until now.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    # A batch copy on SQLite (ADD COLUMN there cannot add a named foreign key); the table is small.
    with op.batch_alter_table('category_templates') as batch:
        batch.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('estimate_hours', sa.Float(), nullable=True))
        batch.create_foreign_key(batch.f('fk_category_templates_assignee_id_users'), 'users',
                                 ['assignee_id'], ['id'], ondelete='SET NULL')
        batch.create_index(batch.f('ix_category_templates_assignee_id'), ['assignee_id'], unique=False)


def downgrade():
    with op.batch_alter_table('category_templates') as batch:
        batch.drop_index(batch.f('ix_category_templates_assignee_id'))
        batch.drop_constraint(batch.f('fk_category_templates_assignee_id_users'), type_='foreignkey')
        batch.drop_column('estimate_hours')
        batch.drop_column('assignee_id')
