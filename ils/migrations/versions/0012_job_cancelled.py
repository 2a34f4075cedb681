"""Background jobs: a queued job can be cancelled from the staff job page (status
``cancelled``, which the runner never claims).

Revision ID: 0012
Revises: 0011
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OLD = "status in ('queued', 'running', 'done', 'failed')"
NEW = "status in ('queued', 'running', 'done', 'failed', 'cancelled')"


def _replace(condition):
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_jobs_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_jobs_status"), condition)


def upgrade():
    _replace(NEW)


def downgrade():
    op.execute("UPDATE jobs SET status = 'failed' WHERE status = 'cancelled'")
    _replace(OLD)
