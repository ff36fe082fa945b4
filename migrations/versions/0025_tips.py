"""Tips and complaints from the public (issue 18)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03

`tip`: what a person reported (the identifier, sensitive kinds only encrypted with a keyed hash), routed
to an agency, grouped by `group_key`; `tip_attachment`: its files; `tip_link`: the routed agency's links
to subjects and violations; `tip_challenge`: the proof-of-work challenges already spent (single use).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import registry.db

revision: str = "0025"
down_revision: str | Sequence[str] | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('tip_challenge',
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('expires_at', registry.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', registry.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('nonce', name=op.f('pk_tip_challenge'))
    )
    with op.batch_alter_table('tip_challenge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_challenge_expires_at'), ['expires_at'], unique=False)

    op.create_table('tip',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('receipt_hash', sa.String(length=64), nullable=False, comment='keyed hash of the receipt code'),
    sa.Column('kind', sa.String(length=32), nullable=False, comment='identifier kind of what was reported'),
    sa.Column('value', sa.String(length=2048), nullable=True, comment='canonical; NULL for sensitive kinds'),
    sa.Column('value_enc', sa.LargeBinary(), nullable=True, comment='AES-GCM of the canonical value'),
    sa.Column('value_hash', sa.String(length=64), nullable=False, comment='HMAC-SHA-256 of kind and canonical value (as identifier.value_hash)'),
    sa.Column('display', sa.String(length=2048), nullable=False, comment='safe to show; masked for sensitive kinds'),
    sa.Column('group_key', sa.String(length=64), nullable=False, comment="keyed hash of the identifier the tip is grouped by (a URL's shop or site)"),
    sa.Column('group_display', sa.String(length=2048), nullable=False, comment="the group's identifier, safe to show"),
    sa.Column('identifier_id', sa.Uuid(), nullable=True, comment='the known identifier it matched at filing'),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('goods_group', sa.String(length=32), nullable=True),
    sa.Column('province', sa.String(length=64), nullable=True, comment='where the seller operates, if said'),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('contact_enc', sa.LargeBinary(), nullable=True, comment="AES-GCM of the reporter's contact (JSON: name, phone, email)"),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False, comment='the agency it is routed to'),
    sa.Column('routed_by', sa.String(length=200), nullable=False, comment='`rule:<n>` / `default` of the routing table, or the officer who re-routed'),
    sa.Column('received_at', registry.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', registry.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('triaged_by', sa.String(length=200), nullable=True),
    sa.Column('triaged_at', registry.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=200), nullable=True),
    sa.Column('closed_at', registry.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome_note', sa.Text(), nullable=True, comment="the agency's note on closing"),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('received', 'under_review', 'handled', 'dismissed')", name=op.f('ck_tip_status')),
    sa.CheckConstraint('(value IS NULL) <> (value_enc IS NULL)', name=op.f('ck_tip_value_once')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_tip_agency_id_agency')),
    sa.ForeignKeyConstraint(['identifier_id'], ['identifier.id'], name=op.f('fk_tip_identifier_id_identifier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip')),
    sa.UniqueConstraint('receipt_hash', name=op.f('uq_tip_receipt_hash'))
    )
    with op.batch_alter_table('tip', schema=None) as batch_op:
        batch_op.create_index('ix_tip_agency_group', ['agency_id', 'group_key'], unique=False)
        batch_op.create_index('ix_tip_agency_received', ['agency_id', 'received_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tip_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tip_value_hash'), ['value_hash'], unique=False)

    op.create_table('tip_attachment',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tip_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False, comment='as sent, cleaned'),
    sa.Column('content_type', sa.String(length=100), nullable=False, comment='from the bytes, not as sent'),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['tip_id'], ['tip.id'], name=op.f('fk_tip_attachment_tip_id_tip'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_attachment'))
    )
    with op.batch_alter_table('tip_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_attachment_tip_id'), ['tip_id'], unique=False)

    op.create_table('tip_link',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tip_id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=True),
    sa.Column('violation_id', sa.Uuid(), nullable=True),
    sa.Column('linked_by', sa.String(length=200), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', registry.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(subject_id IS NULL) <> (violation_id IS NULL)', name=op.f('ck_tip_link_one_target')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_tip_link_agency_id_agency')),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_tip_link_subject_id_subject')),
    sa.ForeignKeyConstraint(['tip_id'], ['tip.id'], name=op.f('fk_tip_link_tip_id_tip'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['violation_id'], ['violation.id'], name=op.f('fk_tip_link_violation_id_violation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_link')),
    sa.UniqueConstraint('tip_id', 'subject_id', name=op.f('uq_tip_link_tip_id_subject_id')),
    sa.UniqueConstraint('tip_id', 'violation_id', name=op.f('uq_tip_link_tip_id_violation_id'))
    )
    with op.batch_alter_table('tip_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_link_tip_id'), ['tip_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('tip_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_link_tip_id'))

    op.drop_table('tip_link')
    with op.batch_alter_table('tip_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_attachment_tip_id'))

    op.drop_table('tip_attachment')
    with op.batch_alter_table('tip', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_value_hash'))
        batch_op.drop_index(batch_op.f('ix_tip_closed_at'))
        batch_op.drop_index('ix_tip_agency_received')
        batch_op.drop_index('ix_tip_agency_group')

    op.drop_table('tip')
    with op.batch_alter_table('tip_challenge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_challenge_expires_at'))

    op.drop_table('tip_challenge')
