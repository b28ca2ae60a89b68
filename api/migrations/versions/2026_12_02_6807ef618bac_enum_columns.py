"""Enum-valued columns become SQLAlchemy enum columns; the database keeps what it has.

Written by hand. The models now declare `people.job_family`, `memberships.role`,
`products.stage`, `products.data_classification`, `product_changes.field`, `api_tokens.role` and
`audit_events.kind` as `sa.Enum(..., native_enum=False, create_constraint=True)` (see
`api.core.db.stored_enum`) instead of a `String` with a hand-written CHECK. A non-native enum is
stored as the same VARCHAR of the same length, and the CHECK constraint SQLAlchemy makes for it
has the same name (`ck_<table>_<column or name>`, from the enum's `name`) and the same SQL
(`<column> IN ('<value>', …)`, values in the same order) as the ones revisions 45baa79bb186 and
7b34cb3db423 created. So there is nothing to change on either database, in either direction: this
revision marks the point from which the models hand back enum members, and from which
`alembic check` compares each enum's values with its CHECK (`api.migrate`), so a new value
needs a revision of its own that replaces the constraint.

Checked by dumping the schema at 8ce3c1849fc4 and at this revision (`sqlite3 .schema`,
`pg_dump -s`): identical but for `alembic_version`. A database made from the models
(`metadata.create_all`) has the same columns and CHECK constraints as one made by the migrations.

Revision ID: 6807ef618bac
Revises: 8ce3c1849fc4
Create Date: 2026-12-02 11:27:32.771215
"""

from collections.abc import Sequence

revision: str = '6807ef618bac'
down_revision: str | None = '8ce3c1849fc4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Same column types, same constraint names, same constraint SQL: nothing to alter.
    pass


def downgrade() -> None:
    # The String-and-CHECK models of 8ce3c1849fc4 describe the very same schema.
    pass
