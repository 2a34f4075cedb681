"""SIP2: terminals and accounts of self-check machines (issue 6, SIP2 helper).

Reserved in the migration chain; empty until its owner fills it.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
