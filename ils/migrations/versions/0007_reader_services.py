"""Reader services: notifications and their log, reader account extras (issue 6, readers helper).

Reserved in the migration chain; empty until its owner fills it.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
