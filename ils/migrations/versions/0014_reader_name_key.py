"""Readers: ``name_key``, the name folded (no diacritics, đ → d, lower case), so staff
find a reader by name with one SQL query instead of folding every name in Python;
filled in here for the readers already registered.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    from federation.analysis import fold
    with op.batch_alter_table("readers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.Unicode(length=200), nullable=False,
                                      server_default=""))
        batch_op.create_index(batch_op.f("ix_readers_name_key"), ["name_key"], unique=False)
    readers = sa.table("readers", sa.column("id", sa.Integer),
                       sa.column("full_name", sa.Unicode), sa.column("name_key", sa.Unicode))
    connection = op.get_bind()
    rows = connection.execute(sa.select(readers.c.id, readers.c.full_name)).all()
    for start in range(0, len(rows), 1000):
        chunk = [{"k": reader_id, "v": fold(name or "").lower()[:200]}
                 for reader_id, name in rows[start:start + 1000]]
        connection.execute(readers.update().where(readers.c.id == sa.bindparam("k"))
                           .values(name_key=sa.bindparam("v")), chunk)


def downgrade():
    with op.batch_alter_table("readers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_readers_name_key"))
        batch_op.drop_column("name_key")
