"""recurring tasks (tasks.recurrence, task_occurrences), each person's reminder lead times, and team
invitations

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 00:00:00.000000

Nobody has lead times yet: until a person chooses some, the default (24 hours before, in calendar time,
as `scan-deadlines` always did) applies, so nothing needs filling here.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _occurrences():
    op.create_table(
        'task_occurrences',
        sa.Column('previous_task_id', sa.Integer(), nullable=False),
        sa.Column('next_task_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['next_task_id'], ['tasks.id'], name=op.f('fk_task_occurrences_next_task_id_tasks'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['previous_task_id'], ['tasks.id'], name=op.f('fk_task_occurrences_previous_task_id_tasks'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('previous_task_id', name=op.f('pk_task_occurrences')),
        sa.UniqueConstraint('next_task_id', name=op.f('uq_task_occurrences_next_task_id')),
    )


def _lead_times():
    op.create_table(
        'reminder_lead_times',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('amount', sa.Integer(), nullable=False),
        sa.Column('unit', sa.String(length=8), nullable=False),
        sa.Column('working', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reminder_lead_times_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_lead_times')),
        sa.UniqueConstraint('user_id', 'amount', 'unit', 'working', name=op.f('uq_reminder_lead_times_user_id')),
    )
    with op.batch_alter_table('reminder_lead_times', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_lead_times_user_id'), ['user_id'], unique=False)


def _invitations():
    op.create_table(
        'invitations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('invited_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('accepted_by_id', sa.Integer(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_invitations_accepted_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_invitations_invited_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_invitations_team_id_teams'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_invitations_token_hash')),
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index('ix_invitations_team_email', ['team_id', 'email'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitations_invited_by_id'), ['invited_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitations_accepted_by_id'), ['accepted_by_id'], unique=False)


def upgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recurrence', sa.String(length=300), nullable=True))
    _occurrences()
    _lead_times()
    _invitations()


def downgrade():
    op.drop_table('invitations')
    op.drop_table('reminder_lead_times')
    op.drop_table('task_occurrences')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_column('recurrence')
