"""The org-wide team-size guideline (one row) and per-team size exceptions with their history.

Reviewed by hand after autogenerate. The guideline's numbers are kept in order by a CHECK as well
as by the API; a replaced or withdrawn exception keeps its row with `withdrawn_at` set.

Revision ID: c41f0e2a9d15
Revises: 7b34cb3db423
Create Date: 2026-11-30 02:23:40.048195
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.core.db import UTCDateTime

revision: str = 'c41f0e2a9d15'
down_revision: str | None = '7b34cb3db423'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('team_size_guidelines',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('minimum', sa.Integer(), nullable=False),
    sa.Column('recommended_min', sa.Integer(), nullable=False),
    sa.Column('recommended_max', sa.Integer(), nullable=False),
    sa.Column('acceptable_max', sa.Integer(), nullable=False),
    sa.CheckConstraint('minimum >= 1 AND minimum <= recommended_min AND recommended_min <= recommended_max AND recommended_max <= acceptable_max', name=op.f('ck_team_size_guidelines_in_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_size_guidelines')),
    sa.UniqueConstraint('scope', name=op.f('uq_team_size_guidelines_scope'))
    )
    op.create_table('team_size_exceptions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=False),
    sa.Column('max_size', sa.Integer(), nullable=False),
    sa.Column('justification', sa.String(length=2000), nullable=False),
    sa.Column('approved_by', sa.String(length=200), nullable=False),
    sa.Column('expires_at', UTCDateTime(), nullable=True),
    sa.Column('withdrawn_at', UTCDateTime(), nullable=True),
    sa.CheckConstraint('max_size >= 1', name=op.f('ck_team_size_exceptions_max_size_positive')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_size_exceptions_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_size_exceptions'))
    )
    with op.batch_alter_table('team_size_exceptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_size_exceptions_team_id'), ['team_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('team_size_exceptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_size_exceptions_team_id'))

    op.drop_table('team_size_exceptions')
    op.drop_table('team_size_guidelines')
