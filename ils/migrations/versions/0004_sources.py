"""Sources of the union catalogue: the commune-library directory, OAI-PMH sources
and the identifiers harvested from them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "libraries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.Unicode(200), nullable=False),
        sa.Column("unit_type", sa.String(10), nullable=False),
        sa.Column("unit_name", sa.Unicode(120), nullable=False),
        sa.Column("province", sa.Unicode(60), nullable=False),
        sa.Column("address", sa.Unicode(300), nullable=False),
        sa.Column("contact_name", sa.Unicode(120), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("email", sa.String(120), nullable=False),
        sa.Column("opening_hours", sa.UnicodeText(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_libraries")),
        sa.UniqueConstraint("code", name=op.f("uq_libraries_code")),
    )
    op.create_table(
        "oai_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("title", sa.Unicode(200), nullable=False),
        sa.Column("base_url", sa.String(500), nullable=False),
        sa.Column("metadata_prefix", sa.String(10), nullable=False),
        sa.Column("set_spec", sa.Unicode(200), nullable=False),
        sa.Column("interval_hours", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("granularity", sa.String(24), nullable=False),
        sa.Column("last_datestamp", sa.String(24), nullable=True),
        sa.Column("resumption_token", sa.UnicodeText(), nullable=True),
        sa.Column("resumption_from", sa.String(24), nullable=True),
        sa.Column("resumption_started", sa.String(24), nullable=True),
        sa.Column("running_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_started", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_finished", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.String(12), nullable=False),
        sa.Column("last_error", sa.UnicodeText(), nullable=False),
        sa.Column("last_counts", sa.JSON(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("metadata_prefix IN ('oai_dc', 'marc21')",
                           name=op.f("ck_oai_sources_metadata_prefix")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oai_sources")),
        sa.UniqueConstraint("name", name=op.f("uq_oai_sources_name")),
    )
    op.create_table(
        "oai_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.Unicode(500), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("datestamp", sa.String(24), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["oai_sources.id"], ondelete="CASCADE",
                                name=op.f("fk_oai_records_source_id_oai_sources")),
        sa.ForeignKeyConstraint(["record_id"], ["bib_records.id"],
                                name=op.f("fk_oai_records_record_id_bib_records")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oai_records")),
        sa.UniqueConstraint("source_id", "identifier", name=op.f("uq_oai_records_source_id")),
    )
    op.create_index(op.f("ix_oai_records_record_id"), "oai_records", ["record_id"])


def downgrade():
    op.drop_table("oai_records")
    op.drop_table("oai_sources")
    op.drop_table("libraries")
