"""Reader services: notification preferences and the log of every message sent (issue 6).

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PREFERENCES = ("notify_hold_ready", "notify_due_soon", "notify_overdue")


def upgrade():
    with op.batch_alter_table("readers", schema=None) as batch_op:
        for name in PREFERENCES:
            batch_op.add_column(sa.Column(name, sa.Boolean(), nullable=False,
                                          server_default=sa.true()))
    op.create_table(
        "notification_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reader_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.Unicode(length=300), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error", sa.UnicodeText(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["reader_id"], ["readers.id"],
                                name=op.f("fk_notification_log_reader_id_readers"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_log")),
        sa.UniqueConstraint("key", name=op.f("uq_notification_log_key")),
    )
    with op.batch_alter_table("notification_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_log_reader_id"), ["reader_id"],
                              unique=False)


def downgrade():
    with op.batch_alter_table("notification_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_log_reader_id"))
        batch_op.drop_index(batch_op.f("ix_notification_log_at"))
    op.drop_table("notification_log")
    with op.batch_alter_table("readers", schema=None) as batch_op:
        for name in reversed(PREFERENCES):
            batch_op.drop_column(name)
