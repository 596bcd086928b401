"""tasks: date-only deadlines that follow the assignee's zone

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 03:30:00.000000

Reserved for rebalance and deadline display (#12); empty until that work lands (migrations stay one linear chain).
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
