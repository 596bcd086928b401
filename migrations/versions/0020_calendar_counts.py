"""calendar counts: deadline index for per-day counts

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 07:05:00.000000

(Reserved; filled by the change that needs it.)
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
