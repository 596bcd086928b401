"""features (with required categories and history), the teams' definition of done, category templates,
tasks' feature and checklist items

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 00:00:00.000000

Existing teams keep no stored definition of done: until a manager sets one, the default
(vocabulary.DEFAULT_DEFINITION_OF_DONE) applies, so nothing needs filling here.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _features():
    op.create_table(
        'features',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('description_html', sa.Text(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('target_date', sa.Date(), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('ship_reason', sa.String(length=500), nullable=True),
        sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_features_owner_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_features_team_id_teams'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_features')),
    )
    with op.batch_alter_table('features', schema=None) as batch_op:
        batch_op.create_index('ix_features_team_target', ['team_id', 'target_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_features_owner_id'), ['owner_id'], unique=False)


def _category_links(name: str, owner: str, owner_table: str):
    """A table linking `owner_column` rows (features or teams) to categories."""
    op.create_table(
        name,
        sa.Column(owner, sa.Integer(), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f(f'fk_{name}_category_id_categories'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint([owner], [f'{owner_table}.id'], name=op.f(f'fk_{name}_{owner}_{owner_table}'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint(owner, 'category_id', name=op.f(f'pk_{name}')),
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{name}_category_id'), ['category_id'], unique=False)


def _templates_and_history():
    op.create_table(
        'category_templates',
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('title_pattern', sa.String(length=200), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_category_templates_category_id_categories'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('category_id', name=op.f('pk_category_templates')),
    )
    op.create_table(
        'feature_activities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('feature_id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('field', sa.String(length=32), nullable=True),
        sa.Column('old_value', sa.JSON(), nullable=True),
        sa.Column('new_value', sa.JSON(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_feature_activities_actor_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['feature_id'], ['features.id'], name=op.f('fk_feature_activities_feature_id_features'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feature_activities')),
    )
    with op.batch_alter_table('feature_activities', schema=None) as batch_op:
        batch_op.create_index('ix_feature_activities_feature_created', ['feature_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_feature_activities_actor_id'), ['actor_id'], unique=False)


def _checklists():
    op.create_table(
        'checklist_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('text', sa.String(length=500), nullable=False),
        sa.Column('done', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_checklist_items_task_id_tasks'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_items')),
    )
    with op.batch_alter_table('checklist_items', schema=None) as batch_op:
        batch_op.create_index('ix_checklist_items_task_position', ['task_id', 'position'], unique=False)


def upgrade():
    _features()
    _category_links('feature_required_categories', 'feature_id', 'features')
    _category_links('definition_of_done', 'team_id', 'teams')
    _templates_and_history()
    _checklists()
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feature_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_tasks_feature_id'), ['feature_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_tasks_feature_id_features'), 'features', ['feature_id'], ['id'], ondelete='SET NULL'
        )


def downgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tasks_feature_id_features'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_tasks_feature_id'))
        batch_op.drop_column('feature_id')
    op.drop_table('checklist_items')
    op.drop_table('feature_activities')
    op.drop_table('category_templates')
    op.drop_table('definition_of_done')
    op.drop_table('feature_required_categories')
    op.drop_table('features')
