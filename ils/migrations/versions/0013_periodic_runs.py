"""Background jobs: ``periodic_runs``, the minute each periodic job was queued, so
several workers ticking at once queue it once.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "periodic_runs",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("name", "minute", name=op.f("pk_periodic_runs")),
    )


def downgrade():
    op.drop_table("periodic_runs")
