"""SIP2: terminals and accounts of self-check machines (issue 6, SIP2 helper).

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sip2_terminals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=60), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("name", sa.Unicode(length=200), nullable=False),
        sa.Column("site", sa.String(length=80), nullable=False),
        sa.Column("location_code", sa.String(length=60), nullable=False),
        sa.Column("institution_id", sa.String(length=60), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("patron_password_required", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_address", sa.String(length=60), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sip2_terminals")),
        sa.UniqueConstraint("login", name=op.f("uq_sip2_terminals_login")),
    )
    op.create_index(op.f("ix_sip2_terminals_site"), "sip2_terminals", ["site"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_sip2_terminals_site"), table_name="sip2_terminals")
    op.drop_table("sip2_terminals")
