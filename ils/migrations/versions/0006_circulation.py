"""Circulation: policies, calendars, loans, holds, digital loans (issue 6, circulation helper).

Reserved in the migration chain; empty until its owner fills it.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
