"""Union catalogue: union records, their sets and members, match keys, staff splits, the queue.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "union_records",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("merge_key", sa.Unicode(400), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.Column("datestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_union_records")),
    )
    op.create_index(op.f("ix_union_records_merge_key"), "union_records", ["merge_key"])
    op.create_index(op.f("ix_union_records_datestamp"), "union_records", ["datestamp"])
    op.create_table(
        "union_sets",
        sa.Column("union_id", sa.String(32), nullable=False),
        sa.Column("spec", sa.String(120), nullable=False),
        sa.ForeignKeyConstraint(["union_id"], ["union_records.id"], ondelete="CASCADE",
                                name=op.f("fk_union_sets_union_id_union_records")),
        sa.PrimaryKeyConstraint("union_id", "spec", name=op.f("pk_union_sets")),
    )
    op.create_index(op.f("ix_union_sets_spec"), "union_sets", ["spec"])
    op.create_table(
        "union_members",
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("union_id", sa.String(32), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_union_members")),
    )
    op.create_index(op.f("ix_union_members_union_id"), "union_members", ["union_id"])
    op.create_table(
        "union_match_keys",
        sa.Column("member_key", sa.String(120), nullable=False),
        sa.Column("match_key", sa.Unicode(400), nullable=False),
        sa.ForeignKeyConstraint(["member_key"], ["union_members.key"], ondelete="CASCADE",
                                name=op.f("fk_union_match_keys_member_key_union_members")),
        sa.PrimaryKeyConstraint("member_key", "match_key", name=op.f("pk_union_match_keys")),
    )
    op.create_index(op.f("ix_union_match_keys_match_key"), "union_match_keys", ["match_key"])
    op.create_table(
        "union_keep_apart",
        sa.Column("first", sa.String(120), nullable=False),
        sa.Column("second", sa.String(120), nullable=False),
        sa.Column("union_id", sa.String(32), nullable=False),
        sa.Column("actor", sa.Unicode(200), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("first", "second", name=op.f("pk_union_keep_apart")),
    )
    op.create_index(op.f("ix_union_keep_apart_second"), "union_keep_apart", ["second"])
    op.create_table(
        "union_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("record", sa.JSON(), nullable=True),
        sa.Column("snapshot", sa.Boolean(), nullable=False),
        sa.Column("batch", sa.String(32), nullable=False),
        sa.Column("queued", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_union_queue")),
    )
    op.create_index("ix_union_queue_batch", "union_queue", ["batch"])


def downgrade():
    op.drop_table("union_queue")
    op.drop_table("union_keep_apart")
    op.drop_table("union_match_keys")
    op.drop_table("union_members")
    op.drop_table("union_sets")
    op.drop_table("union_records")
