"""views that decide: in-place edits, bulk actions and undo

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 03:30:00.000000

Reserved for views that decide (#12); empty until that work lands (migrations stay one linear chain).
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
