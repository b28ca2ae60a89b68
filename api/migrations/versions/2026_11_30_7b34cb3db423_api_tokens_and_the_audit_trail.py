"""API tokens (stored as hashes) and the append-only audit trail.

Reviewed by hand after autogenerate. Token secrets are never stored: `lookup` holds the first 16
characters (to find the row) and `secret_hash` the SHA-256 of the whole token. On PostgreSQL a
trigger refuses UPDATE and DELETE on audit_events, so the trail stays append-only even for a
script that bypasses the API; SQLite keeps that rule in the application alone.

Revision ID: 7b34cb3db423
Revises: 45baa79bb186
Create Date: 2026-11-30 02:17:35.661253
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.core.db import UTCDateTime

revision: str = '7b34cb3db423'
down_revision: str | None = '45baa79bb186'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('record_type', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('parent_type', sa.String(length=32), nullable=True),
    sa.Column('parent_id', sa.String(length=64), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('token_id', sa.Uuid(), nullable=True),
    sa.Column('person_id', sa.Uuid(), nullable=True),
    sa.Column('request_id', sa.String(length=128), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.CheckConstraint("kind IN ('change', 'access')", name=op.f('ck_audit_events_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_actor'), ['actor'], unique=False)
        batch_op.create_index('ix_audit_events_created_at', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_record_type'), ['record_type'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('lookup', sa.String(length=16), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=True),
    sa.Column('expires_at', UTCDateTime(), nullable=True),
    sa.Column('last_used_at', UTCDateTime(), nullable=True),
    sa.Column('revoked_at', UTCDateTime(), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.CheckConstraint("role IN ('viewer', 'contributor', 'security_reviewer', 'admin', 'ci')", name=op.f('ck_api_tokens_role')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_api_tokens_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('lookup', name=op.f('uq_api_tokens_lookup'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_person_id'), ['person_id'], unique=False)

    op.create_table('api_token_products',
    sa.Column('token_id', sa.Uuid(), nullable=False),
    sa.Column('product_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_api_token_products_product_id_products')),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_api_token_products_token_id_api_tokens')),
    sa.PrimaryKeyConstraint('token_id', 'product_id', name=op.f('pk_api_token_products'))
    )
    with op.batch_alter_table('api_token_products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_products_product_id'), ['product_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'audit events are append-only';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    with op.batch_alter_table('api_token_products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_products_product_id'))

    op.drop_table('api_token_products')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_person_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_record_type'))
        batch_op.drop_index(batch_op.f('ix_audit_events_record_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_parent_id'))
        batch_op.drop_index('ix_audit_events_created_at')
        batch_op.drop_index(batch_op.f('ix_audit_events_actor'))

    op.drop_table('audit_events')
