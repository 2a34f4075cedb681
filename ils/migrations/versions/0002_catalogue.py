"""Catalogue: bibliographic records, their ISBNs, items.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STATUSES = ("available", "on_loan", "on_hold_shelf", "in_transit", "in_processing",
            "not_for_loan", "damaged", "missing", "lost", "withdrawn")


def upgrade():
    op.create_table(
        "bib_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(80), nullable=False),
        sa.Column("control_number", sa.String(64), nullable=True),
        sa.Column("library", sa.String(80), nullable=False),
        sa.Column("source_file", sa.Unicode(255), nullable=False),
        sa.Column("marc", sa.LargeBinary(), nullable=False),
        sa.Column("marc_format", sa.String(8), nullable=False),
        sa.Column("marc_hash", sa.String(32), nullable=False),
        sa.Column("encoding", sa.String(24), nullable=False),
        sa.Column("record_type", sa.String(1), nullable=False),
        sa.Column("bib_level", sa.String(1), nullable=False),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("title", sa.UnicodeText(), nullable=False),
        sa.Column("statement", sa.UnicodeText(), nullable=False),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("publisher", sa.UnicodeText(), nullable=False),
        sa.Column("place", sa.UnicodeText(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("issns", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(3), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("subjects", sa.JSON(), nullable=False),
        sa.Column("ddc", sa.String(64), nullable=False),
        sa.Column("title_key", sa.Unicode(500), nullable=False),
        sa.Column("author_key", sa.Unicode(255), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("marc_format IN ('iso2709', 'marcxml')",
                           name=op.f("ck_bib_records_marc_format")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bib_records")),
        sa.UniqueConstraint("source", "control_number", name=op.f("uq_bib_records_source")),
    )
    op.create_index(op.f("ix_bib_records_library"), "bib_records", ["library"])
    op.create_index(op.f("ix_bib_records_title_key"), "bib_records", ["title_key"])
    op.create_index("ix_bib_records_source_marc_hash", "bib_records", ["source", "marc_hash"])
    op.create_table(
        "bib_record_isbns",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("isbn", sa.String(13), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["bib_records.id"], ondelete="CASCADE",
                                name=op.f("fk_bib_record_isbns_record_id_bib_records")),
        sa.PrimaryKeyConstraint("record_id", "isbn", name=op.f("pk_bib_record_isbns")),
    )
    op.create_index(op.f("ix_bib_record_isbns_isbn"), "bib_record_isbns", ["isbn"])
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("barcode", sa.String(64), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("library", sa.String(80), nullable=False),
        sa.Column("branch", sa.String(80), nullable=False),
        sa.Column("location", sa.Unicode(200), nullable=False),
        sa.Column("call_number", sa.Unicode(200), nullable=False),
        sa.Column("item_type", sa.String(40), nullable=False),
        sa.Column("status", sa.Enum(*STATUSES, name="status", native_enum=False,
                                    create_constraint=True, length=20), nullable=False),
        sa.Column("source", sa.String(80), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["bib_records.id"],
                                name=op.f("fk_items_record_id_bib_records")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        sa.UniqueConstraint("barcode", name=op.f("uq_items_barcode")),
    )
    op.create_index(op.f("ix_items_record_id"), "items", ["record_id"])
    op.create_index(op.f("ix_items_library"), "items", ["library"])


def downgrade():
    op.drop_table("items")
    op.drop_table("bib_record_isbns")
    op.drop_table("bib_records")
