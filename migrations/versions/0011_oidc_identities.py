"""OpenID Connect identities linked to accounts

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 03:30:00.000000

Single sign-on (#14): a person at a provider, (issuer, subject), linked to one account; one identity per
account and provider.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'oidc_identities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issuer', sa.String(length=255), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_oidc_identities_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_identities')),
        sa.UniqueConstraint('issuer', 'subject', name='uq_oidc_identities_issuer_subject'),
        sa.UniqueConstraint('issuer', 'user_id', name='uq_oidc_identities_issuer_user_id'),
    )
    with op.batch_alter_table('oidc_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oidc_identities_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('oidc_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oidc_identities_user_id'))
    op.drop_table('oidc_identities')
