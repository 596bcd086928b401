"""views: remembered board views, swimlanes and WIP limits

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 03:30:00.000000

Reserved for remembered views and planning (#12); empty until that work lands (migrations stay one linear chain).
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
