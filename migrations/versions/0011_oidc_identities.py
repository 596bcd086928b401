"""OpenID Connect identities linked to accounts

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 03:30:00.000000

Reserved for single sign-on (#14); empty until that work lands (migrations stay one linear chain).
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
