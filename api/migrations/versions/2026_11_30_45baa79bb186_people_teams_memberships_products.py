"""People, teams, memberships (rosters with history), products and their tracked changes.

Reviewed by hand after autogenerate: every constraint is named by the metadata's convention,
enum-like columns carry CHECK constraints that mirror the API's enums, and downgrade drops the
tables in reverse dependency order.

Revision ID: 45baa79bb186
Revises:
Create Date: 2026-11-30 02:02:54.109466
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.core.db import UTCDateTime

revision: str = '45baa79bb186'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('people',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('job_family', sa.String(length=32), nullable=False),
    sa.Column('home_org', sa.String(length=100), nullable=False),
    sa.Column('archived_at', UTCDateTime(), nullable=True),
    sa.CheckConstraint("job_family IN ('engineering', 'product', 'design', 'security', 'data_science', 'operations', 'sales', 'marketing', 'support', 'legal', 'finance', 'other')", name=op.f('ck_people_job_family')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people')),
    sa.UniqueConstraint('email', name=op.f('uq_people_email'))
    )
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_people_home_org'), ['home_org'], unique=False)
        batch_op.create_index(batch_op.f('ix_people_job_family'), ['job_family'], unique=False)

    op.create_table('teams',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=63), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('mission', sa.String(length=2000), nullable=False),
    sa.Column('org', sa.String(length=100), nullable=False),
    sa.Column('archived_at', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    sa.UniqueConstraint('slug', name=op.f('uq_teams_slug'))
    )
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_teams_org'), ['org'], unique=False)

    op.create_table('memberships',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('allocation_percent', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.CheckConstraint("role IN ('lead', 'engineer', 'product_manager', 'designer', 'security_champion', 'specialist', 'other')", name=op.f('ck_memberships_role')),
    sa.CheckConstraint('allocation_percent BETWEEN 1 AND 100', name=op.f('ck_memberships_allocation_range')),
    sa.CheckConstraint('end_date IS NULL OR end_date >= start_date', name=op.f('ck_memberships_dates_in_order')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_memberships_person_id_people')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_memberships_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memberships'))
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_memberships_team_id'), ['team_id'], unique=False)

    op.create_table('products',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=63), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=False),
    sa.Column('stage', sa.String(length=32), nullable=False),
    sa.Column('data_classification', sa.String(length=32), nullable=False),
    sa.Column('target_launch_date', sa.Date(), nullable=True),
    sa.Column('archived_at', UTCDateTime(), nullable=True),
    sa.CheckConstraint("data_classification IN ('public', 'internal', 'confidential', 'restricted')", name=op.f('ck_products_classification')),
    sa.CheckConstraint("stage IN ('idea', 'prfaq_review', 'approved', 'building', 'launch_review', 'launched', 'retired')", name=op.f('ck_products_stage')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_products_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('slug', name=op.f('uq_products_slug'))
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_data_classification'), ['data_classification'], unique=False)
        batch_op.create_index(batch_op.f('ix_products_stage'), ['stage'], unique=False)
        batch_op.create_index(batch_op.f('ix_products_team_id'), ['team_id'], unique=False)

    op.create_table('product_changes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Uuid(), nullable=False),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('old_value', sa.String(length=64), nullable=True),
    sa.Column('new_value', sa.String(length=64), nullable=True),
    sa.Column('changed_by', sa.String(length=200), nullable=False),
    sa.CheckConstraint("field IN ('stage', 'target_launch_date')", name=op.f('ck_product_changes_field')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_changes_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_changes'))
    )
    with op.batch_alter_table('product_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_changes_product_id'), ['product_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('product_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_changes_product_id'))

    op.drop_table('product_changes')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_team_id'))
        batch_op.drop_index(batch_op.f('ix_products_stage'))
        batch_op.drop_index(batch_op.f('ix_products_data_classification'))

    op.drop_table('products')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_memberships_team_id'))
        batch_op.drop_index(batch_op.f('ix_memberships_person_id'))

    op.drop_table('memberships')
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_teams_org'))

    op.drop_table('teams')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_people_job_family'))
        batch_op.drop_index(batch_op.f('ix_people_home_org'))

    op.drop_table('people')
