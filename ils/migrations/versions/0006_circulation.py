"""Circulation: policies, calendars, loans, holds, digital loans, fines, the event log
and the notifications outbox (issue 6, circulation helper).

The unique partial indexes are the guarantees of ``ils.circulation.models``:
one active loan per item, one open capture per item, one active loan per
licensed digital copy and per reader.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("fines", "notifications_outbox", "loans", "holds", "digital_waitlist",
          "digital_loans", "circulation_events", "digital_licences", "circulation_policies",
          "circulation_closed_days")


def upgrade():
    op.create_table('circulation_closed_days',
    sa.Column('site', sa.String(length=80), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason', sa.Unicode(length=200), nullable=False),
    sa.PrimaryKeyConstraint('site', 'day', name=op.f('pk_circulation_closed_days'))
    )
    op.create_table('circulation_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site', sa.String(length=80), nullable=False),
    sa.Column('category', sa.String(length=10), nullable=False),
    sa.Column('loan_days', sa.Integer(), nullable=False),
    sa.Column('max_loans', sa.Integer(), nullable=False),
    sa.Column('max_renewals', sa.Integer(), nullable=False),
    sa.Column('hold_limit', sa.Integer(), nullable=False),
    sa.Column('hold_pickup_days', sa.Integer(), nullable=False),
    sa.Column('digital_loan_days', sa.Integer(), nullable=False),
    sa.Column('digital_limit', sa.Integer(), nullable=False),
    sa.Column('fine_per_day', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_circulation_policies')),
    sa.UniqueConstraint('site', 'category', name=op.f('uq_circulation_policies_site'))
    )
    op.create_table('digital_licences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_uid', sa.String(length=64), nullable=False),
    sa.Column('title', sa.UnicodeText(), nullable=False),
    sa.Column('site', sa.String(length=80), nullable=False),
    sa.Column('copies', sa.Integer(), nullable=True),
    sa.Column('loan_days', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digital_licences')),
    sa.UniqueConstraint('item_uid', name=op.f('uq_digital_licences_item_uid'))
    )
    op.create_table('circulation_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('site', sa.String(length=80), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('reader_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['reader_id'], ['readers.id'], name=op.f('fk_circulation_events_reader_id_readers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_circulation_events'))
    )
    op.create_index(op.f('ix_circulation_events_at'), 'circulation_events', ['at'], unique=False)
    op.create_index(op.f('ix_circulation_events_reader_id'), 'circulation_events', ['reader_id'], unique=False)
    op.create_table('digital_loans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('licence_id', sa.Integer(), nullable=False),
    sa.Column('reader_id', sa.Integer(), nullable=True),
    sa.Column('copy_no', sa.Integer(), nullable=True),
    sa.Column('started', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires', sa.DateTime(timezone=True), nullable=False),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['licence_id'], ['digital_licences.id'], name=op.f('fk_digital_loans_licence_id_digital_licences')),
    sa.ForeignKeyConstraint(['reader_id'], ['readers.id'], name=op.f('fk_digital_loans_reader_id_readers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digital_loans'))
    )
    op.create_index(op.f('ix_digital_loans_licence_id'), 'digital_loans', ['licence_id'], unique=False)
    op.create_index(op.f('ix_digital_loans_reader_id'), 'digital_loans', ['reader_id'], unique=False)
    op.create_index('uq_digital_loans_copy', 'digital_loans', ['licence_id', 'copy_no'], unique=True, sqlite_where=sa.text('returned_at IS NULL'), postgresql_where=sa.text('returned_at IS NULL'))
    op.create_index('uq_digital_loans_reader', 'digital_loans', ['licence_id', 'reader_id'], unique=True, sqlite_where=sa.text('returned_at IS NULL'), postgresql_where=sa.text('returned_at IS NULL'))
    op.create_table('digital_waitlist',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('licence_id', sa.Integer(), nullable=False),
    sa.Column('reader_id', sa.Integer(), nullable=True),
    sa.Column('joined', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['licence_id'], ['digital_licences.id'], name=op.f('fk_digital_waitlist_licence_id_digital_licences')),
    sa.ForeignKeyConstraint(['reader_id'], ['readers.id'], name=op.f('fk_digital_waitlist_reader_id_readers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digital_waitlist'))
    )
    op.create_index(op.f('ix_digital_waitlist_licence_id'), 'digital_waitlist', ['licence_id'], unique=False)
    op.create_index(op.f('ix_digital_waitlist_reader_id'), 'digital_waitlist', ['reader_id'], unique=False)
    op.create_index('uq_digital_waitlist_reader', 'digital_waitlist', ['licence_id', 'reader_id'], unique=True, sqlite_where=sa.text("status = 'waiting'"), postgresql_where=sa.text("status = 'waiting'"))
    op.create_table('holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reader_id', sa.Integer(), nullable=True),
    sa.Column('bib_record_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('pickup_site', sa.String(length=80), nullable=False),
    sa.Column('status', sa.Enum('waiting', 'in_transit', 'ready', 'collected', 'cancelled', 'expired', name='holdstatus', native_enum=False, length=12), nullable=False),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('captured_item_id', sa.Integer(), nullable=True),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ready_until', sa.Date(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['bib_record_id'], ['bib_records.id'], name=op.f('fk_holds_bib_record_id_bib_records')),
    sa.ForeignKeyConstraint(['captured_item_id'], ['items.id'], name=op.f('fk_holds_captured_item_id_items')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_holds_item_id_items')),
    sa.ForeignKeyConstraint(['reader_id'], ['readers.id'], name=op.f('fk_holds_reader_id_readers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holds'))
    )
    op.create_index('ix_holds_queue', 'holds', ['bib_record_id', 'status', 'placed_at'], unique=False)
    op.create_index(op.f('ix_holds_reader_id'), 'holds', ['reader_id'], unique=False)
    op.create_index('uq_holds_captured_item', 'holds', ['captured_item_id'], unique=True, sqlite_where=sa.text("status IN ('in_transit', 'ready')"), postgresql_where=sa.text("status IN ('in_transit', 'ready')"))
    op.create_table('loans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('reader_id', sa.Integer(), nullable=True),
    sa.Column('site', sa.String(length=80), nullable=False),
    sa.Column('out_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('returned_site', sa.String(length=80), nullable=False),
    sa.Column('renewals', sa.Integer(), nullable=False),
    sa.Column('overridden', sa.UnicodeText(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('due_soon_sent', sa.Boolean(), nullable=False),
    sa.Column('overdue_sent', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_loans_item_id_items')),
    sa.ForeignKeyConstraint(['reader_id'], ['readers.id'], name=op.f('fk_loans_reader_id_readers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loans'))
    )
    op.create_index(op.f('ix_loans_due'), 'loans', ['due'], unique=False)
    op.create_index(op.f('ix_loans_item_id'), 'loans', ['item_id'], unique=False)
    op.create_index(op.f('ix_loans_reader_id'), 'loans', ['reader_id'], unique=False)
    op.create_index(op.f('ix_loans_site'), 'loans', ['site'], unique=False)
    op.create_index('uq_loans_active_item', 'loans', ['item_id'], unique=True, sqlite_where=sa.text('returned_at IS NULL'), postgresql_where=sa.text('returned_at IS NULL'))
    op.create_table('notifications_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reader_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.UnicodeText(), nullable=False),
    sa.ForeignKeyConstraint(['reader_id'], ['readers.id'], name=op.f('fk_notifications_outbox_reader_id_readers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications_outbox'))
    )
    op.create_index(op.f('ix_notifications_outbox_reader_id'), 'notifications_outbox', ['reader_id'], unique=False)
    op.create_index(op.f('ix_notifications_outbox_sent_at'), 'notifications_outbox', ['sent_at'], unique=False)
    op.create_table('fines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reader_id', sa.Integer(), nullable=True),
    sa.Column('loan_id', sa.Integer(), nullable=True),
    sa.Column('site', sa.String(length=80), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_fines_loan_id_loans')),
    sa.ForeignKeyConstraint(['reader_id'], ['readers.id'], name=op.f('fk_fines_reader_id_readers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fines'))
    )
    op.create_index(op.f('ix_fines_reader_id'), 'fines', ['reader_id'], unique=False)


def downgrade():
    # dropping a table drops its indexes; children before parents
    for name in TABLES:
        op.drop_table(name)
