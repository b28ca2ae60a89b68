"""Run Alembic migrations from code: the CLI, start-up and the tests all come through here.

Also teaches autogenerate (and so `alembic check`) to compare enum columns' values with their
CHECK constraints, which Alembic does not do by itself.
"""

import logging
import re
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from alembic.operations import ops
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.runtime.plugins import Plugin
from alembic.script import ScriptDirectory
from alembic.util import PriorityDispatchResult
from sqlalchemy import CheckConstraint, Column, Enum, Table

# The autogenerate plugin below, as api/migrations/env.py names it in `autogenerate_plugins`.
ENUM_VALUES_PLUGIN = "pizzabox.enum_values"
_QUOTED = re.compile(r"'((?:[^']|'')*)'")
# Under Alembic's logger, so `alembic check` and `revision --autogenerate` print it with theirs.
_log = logging.getLogger("alembic.autogenerate.enum_values")


# Inside the package (as package data), so an installed `pizzabox` finds them from any directory.
SCRIPT_LOCATION = Path(__file__).resolve().parent / "migrations"


def _script_location() -> Path:
    if not (SCRIPT_LOCATION / "env.py").is_file():
        raise FileNotFoundError(f"the migrations are missing from the package: {SCRIPT_LOCATION}")
    return SCRIPT_LOCATION


def alembic_config(database_url: str) -> Config:
    """An Alembic config that targets `database_url`, without reading alembic.ini's logging."""
    config = Config()
    config.set_main_option("script_location", str(_script_location()))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Undo migrations down to `revision` (`base` removes every table)."""
    command.downgrade(alembic_config(database_url), revision)


def current(database_url: str) -> str | None:
    """The revision the database is at, or None when it has no migrations applied."""
    config = alembic_config(database_url)
    revisions: list[str] = []

    def _read(rev: object, context: MigrationContext) -> list[object]:
        revisions.extend(context.get_current_heads())
        return []

    script = ScriptDirectory.from_config(config)
    with EnvironmentContext(config, script, fn=_read):
        script.run_env()
    return revisions[0] if revisions else None


def _allowed_values(check_sql: str) -> set[str]:
    # SQLite keeps a CHECK as written (`role IN ('lead', ...)`), PostgreSQL as it understood it
    # (`(role)::text = ANY (ARRAY['lead'::character varying, ...])`): in both, the allowed
    # values are the quoted literals.
    return {value.replace("''", "'") for value in _QUOTED.findall(check_sql)}


def _enum_checks(table: Table) -> Iterator[tuple[CheckConstraint, Column[object], Enum]]:
    """The CHECK constraints SQLAlchemy made for the table's non-native enum columns."""
    for constraint in table.constraints:
        # Type-bound: made by a column's type (`create_constraint=True`), not written by hand.
        if not isinstance(constraint, CheckConstraint) or not constraint._type_bound:
            continue
        (column,) = constraint.columns
        if isinstance(column.type, Enum) and constraint.name:
            yield constraint, column, column.type


def _compare_enum_values(
    autogen_context: AutogenContext,
    modify_table_ops: ops.ModifyTableOps,
    schema: str | None,
    table_name: str,
    conn_table: Table | None,
    metadata_table: Table | None,
) -> PriorityDispatchResult:
    """Report an enum column whose values differ from its CHECK constraint in the database, as
    the constraint dropped and created again (or just created, when the database has none)."""
    if conn_table is None or metadata_table is None:
        return PriorityDispatchResult.CONTINUE
    in_database = {
        str(constraint.name): constraint
        for constraint in conn_table.constraints
        if isinstance(constraint, CheckConstraint) and constraint.name
    }
    for constraint, column, enum in _enum_checks(metadata_table):
        wanted = set(enum.enums)
        existing = in_database.get(str(constraint.name))
        if existing is not None:
            held = _allowed_values(str(existing.sqltext))
            if held == wanted:
                continue
            _log.info(
                "Detected changed values of enum column %s.%s: added %s, removed %s",
                table_name,
                column.name,
                sorted(wanted - held),
                sorted(held - wanted),
            )
            modify_table_ops.ops.append(ops.DropConstraintOp.from_constraint(existing))
        else:
            _log.info("Detected missing CHECK constraint %r on %s", constraint.name, table_name)
        modify_table_ops.ops.append(ops.AddConstraintOp.from_constraint(constraint))
    return PriorityDispatchResult.CONTINUE


# Registered once per process, on import; env.py imports this module every time it runs.
Plugin(ENUM_VALUES_PLUGIN).add_autogenerate_comparator(_compare_enum_values, "table", "enum_values")
