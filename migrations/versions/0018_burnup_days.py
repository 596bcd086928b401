"""burn-up days: estimate in scope and done per team and day

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 07:05:00.000000

(Reserved; filled by the change that needs it.)
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
