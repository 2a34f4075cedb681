"""Readers (card holders), their consents, and the audit log of staff access to them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 03:11:44.612782
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("readers",
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('card_number', sa.String(length=20), nullable=True),
    sa.Column('status', sa.Enum('pending', 'active', 'blocked', 'closed', name='readerstatus', native_enum=False, length=10), nullable=False),
    sa.Column('category', sa.Enum('adult', 'child', 'student', 'staff', 'commune', name='readercategory', native_enum=False, length=10), nullable=False),
    sa.Column('home_site', sa.String(length=80), nullable=False),
    sa.Column('full_name', sa.Unicode(length=200), nullable=False),
    sa.Column('id_number', sa.String(length=12), nullable=True),
    sa.Column('old_id_number', sa.String(length=12), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('sex', sa.String(length=10), nullable=False),
    sa.Column('address', sa.UnicodeText(), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('expires', sa.Date(), nullable=True),
    sa.Column('block_reason', sa.UnicodeText(), nullable=False),
    sa.Column('staff_note', sa.UnicodeText(), nullable=False),
    sa.Column('keep_history', sa.Boolean(), nullable=False),
    sa.Column('notify_email', sa.Boolean(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('verified_by', sa.String(length=100), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_readers_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readers')),
    sa.UniqueConstraint('card_number', name=op.f('uq_readers_card_number')),
    sa.UniqueConstraint('id_number', name=op.f('uq_readers_id_number')),
    sa.UniqueConstraint('user_id', name=op.f('uq_readers_user_id'))
    )
    with op.batch_alter_table('readers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_readers_status'), ['status'], unique=False)

    op.create_table('reader_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('reader_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['reader_id'], ['readers.id'], name=op.f('fk_reader_audit_reader_id_readers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reader_audit'))
    )
    with op.batch_alter_table('reader_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reader_audit_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reader_audit_reader_id'), ['reader_id'], unique=False)

    op.create_table('reader_consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reader_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('text_version', sa.String(length=40), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['reader_id'], ['readers.id'], name=op.f('fk_reader_consents_reader_id_readers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reader_consents'))
    )
    with op.batch_alter_table('reader_consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reader_consents_reader_id'), ['reader_id'], unique=False)



def downgrade():
    with op.batch_alter_table("reader_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reader_consents_reader_id'))

    op.drop_table('reader_consents')
    with op.batch_alter_table('reader_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reader_audit_reader_id'))
        batch_op.drop_index(batch_op.f('ix_reader_audit_at'))

    op.drop_table('reader_audit')
    with op.batch_alter_table('readers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_readers_status'))

    op.drop_table('readers')
