"""users: two-factor authentication (TOTP secret, recovery codes) and the team setting that requires it

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 03:30:00.000000

Reserved for two-factor sign-in (#14); empty until that work lands (migrations stay one linear chain).
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
