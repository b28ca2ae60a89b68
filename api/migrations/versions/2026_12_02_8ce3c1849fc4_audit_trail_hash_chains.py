"""The audit trail becomes tamper-evident: every event is a link in one of 32 keyed hash chains.

Written by hand. Adds each event's place in a chain (`chain`, `chain_seq`) and its link
(`digest`), and `audit_chain_heads`, one row per chain saying how far it has got. Events already
in the trail are sealed here, in id order, dealt round the chains, with the key in
`PIZZABOX_AUDIT_KEY` (the public key without it), so an existing trail verifies intact after the
upgrade; the key must be the one the app will run with.

On PostgreSQL, TRUNCATE of the trail is refused like UPDATE and DELETE already are, and the heads
may only move forward: no DELETE or TRUNCATE, and an UPDATE must raise `seq`.

Revision ID: 8ce3c1849fc4
Revises: c41f0e2a9d15
Create Date: 2026-12-02 07:21:32.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from api.audit.chain import CHAINS, EVENT_FIELDS, genesis, link, signing_key
from api.core.config import Settings
from api.core.db import UTCDateTime

revision: str = '8ce3c1849fc4'
down_revision: str | None = 'c41f0e2a9d15'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000

# The trail as this revision leaves it, typed as the app reads it, so values canonicalise the
# same here as in `pizzabox audit verify`.
_events = sa.table(
    'audit_events',
    sa.column('id', sa.Uuid()),
    sa.column('created_at', UTCDateTime()),
    sa.column('updated_at', UTCDateTime()),
    sa.column('version', sa.Integer()),
    sa.column('kind', sa.String()),
    sa.column('action', sa.String()),
    sa.column('record_type', sa.String()),
    sa.column('record_id', sa.String()),
    sa.column('parent_type', sa.String()),
    sa.column('parent_id', sa.String()),
    sa.column('actor', sa.String()),
    sa.column('token_id', sa.Uuid()),
    sa.column('person_id', sa.Uuid()),
    sa.column('request_id', sa.String()),
    sa.column('changes', sa.JSON()),
    sa.column('chain', sa.Integer()),
    sa.column('chain_seq', sa.BigInteger()),
    sa.column('digest', sa.String()),
)


def _seal_existing_events(heads: sa.Table) -> None:
    bind = op.get_bind()
    key = signing_key(Settings().audit_key)
    tips = {chain: (0, genesis(key, chain)) for chain in range(CHAINS)}
    position = 0
    after: Any = None
    seal = (
        _events.update()
        .where(_events.c.id == sa.bindparam('event_id'))
        .values(
            chain=sa.bindparam('new_chain'),
            chain_seq=sa.bindparam('new_seq'),
            digest=sa.bindparam('new_digest'),
        )
    )
    while True:
        query = sa.select(*(_events.c[name] for name in EVENT_FIELDS)).order_by(_events.c.id)
        if after is not None:
            query = query.where(_events.c.id > after)
        rows = bind.execute(query.limit(_BATCH)).mappings().all()
        if not rows:
            break
        sealed = []
        for row in rows:
            chain = position % CHAINS
            seq, previous = tips[chain]
            digest = link(key, previous, {**row, 'chain': chain, 'chain_seq': seq + 1})
            tips[chain] = (seq + 1, digest)
            sealed.append(
                {'event_id': row['id'], 'new_chain': chain, 'new_seq': seq + 1, 'new_digest': digest}
            )
            position += 1
        bind.execute(seal, sealed)
        after = rows[-1]['id']
    op.bulk_insert(
        heads,
        [{'chain': chain, 'seq': seq, 'digest': digest} for chain, (seq, digest) in tips.items()],
    )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    heads = op.create_table('audit_chain_heads',
    sa.Column('chain', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.CheckConstraint('seq >= 0', name=op.f('ck_audit_chain_heads_seq_not_negative')),
    sa.PrimaryKeyConstraint('chain', name=op.f('pk_audit_chain_heads'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('chain_seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('digest', sa.String(length=64), nullable=True))

    if postgres:
        # Sealing writes to events the append-only trigger guards; this once, by the owner.
        op.execute('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only')
    _seal_existing_events(heads)
    if postgres:
        op.execute('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only')

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('chain', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('chain_seq', existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column('digest', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index('ix_audit_events_chain_position', ['chain', 'chain_seq'], unique=True)

    if postgres:
        op.execute(
            'CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events '
            'FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()'
        )
        op.execute(
            """
            CREATE FUNCTION audit_chain_heads_forward_only() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'UPDATE' THEN
                    IF NEW.chain = OLD.chain AND NEW.seq > OLD.seq THEN
                        RETURN NEW;
                    END IF;
                END IF;
                RAISE EXCEPTION 'audit chain heads only move forward';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            'CREATE TRIGGER audit_chain_heads_forward_only BEFORE UPDATE OR DELETE '
            'ON audit_chain_heads FOR EACH ROW EXECUTE FUNCTION audit_chain_heads_forward_only()'
        )
        op.execute(
            'CREATE TRIGGER audit_chain_heads_no_truncate BEFORE TRUNCATE ON audit_chain_heads '
            'FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_heads_forward_only()'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS audit_chain_heads_no_truncate ON audit_chain_heads')
        op.execute('DROP TRIGGER IF EXISTS audit_chain_heads_forward_only ON audit_chain_heads')
        op.execute('DROP FUNCTION IF EXISTS audit_chain_heads_forward_only()')
        op.execute('DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_chain_position')
        batch_op.drop_column('digest')
        batch_op.drop_column('chain_seq')
        batch_op.drop_column('chain')

    op.drop_table('audit_chain_heads')
