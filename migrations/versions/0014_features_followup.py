"""features: follow-up columns (checklist version, templates API)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 03:30:00.000000

Reserved for features (#13); empty until that work lands (migrations stay one linear chain).
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
