"""Circulation follow-ups (issue 6): settling fines, a fines threshold that blocks
borrowing, and the date after which a waiting hold is no longer wanted.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("fines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("settled_how", sa.String(length=10), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("settled_reason", sa.UnicodeText(), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("settled_by", sa.String(length=100), nullable=False,
                                      server_default=""))
    with op.batch_alter_table("circulation_policies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fine_block_at", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("hold_wait_days", sa.Integer(), nullable=False,
                                      server_default="180"))
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("not_needed_after", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.drop_column("not_needed_after")
    with op.batch_alter_table("circulation_policies", schema=None) as batch_op:
        batch_op.drop_column("hold_wait_days")
        batch_op.drop_column("fine_block_at")
    with op.batch_alter_table("fines", schema=None) as batch_op:
        batch_op.drop_column("settled_by")
        batch_op.drop_column("settled_reason")
        batch_op.drop_column("settled_how")
