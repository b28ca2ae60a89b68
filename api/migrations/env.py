"""Alembic environment: async, driven by Pizzabox's own settings and metadata."""

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

import api.domains
from api.core.config import Settings
from api.core.db import create_engine
from api.migrate import ENUM_VALUES_PLUGIN

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = api.domains.metadata
# Alembic's own comparisons, and one that sees a value added to or removed from an enum column.
AUTOGENERATE_PLUGINS = ["alembic.autogenerate.*", ENUM_VALUES_PLUGIN]
MIGRATION_LOCK = 7_300_421_001  # any fixed number: the advisory lock migrations share


def _database_url() -> str:
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    return str(url) if url else Settings().database_url


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        autogenerate_plugins=AUTOGENERATE_PLUGINS,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Instances that start together take turns: the first migrates, the others wait
            # here, then find the database at head and do nothing. Released at commit.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(Settings(database_url=_database_url()))
    async with engine.connect() as connection:
        await connection.run_sync(_configure)
    await engine.dispose()


def run_migrations_offline() -> None:
    """Write SQL to stdout instead of running it."""
    context.configure(
        url=_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        compare_type=True,
        autogenerate_plugins=AUTOGENERATE_PLUGINS,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    connectable = config.attributes.get("connection")
    if connectable is None:
        asyncio.run(_run_async())
    else:
        _configure(connectable)
