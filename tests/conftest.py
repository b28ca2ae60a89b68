"""Test database and app fixtures.

The database is `PIZZABOX_TEST_DATABASE_URL` (PostgreSQL in CI) or a fresh SQLite file. It is
built by running the migrations, and every test that uses `client` starts with empty tables.
Under pytest-xdist each worker has a database of its own: a SQLite file in the worker's own
temporary directory, or the configured database's name with the worker's appended (`test_gw0`,
`test_gw1`, ...), created on PostgreSQL if it does not exist yet.
"""

import asyncio
import os
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
from litestar import Litestar
from sqlalchemy import Table, insert, inspect, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine

from api import migrate
from api.app import create_app
from api.audit.chain import PUBLIC_KEY, genesis_heads
from api.audit.models import AuditChainHead
from api.core.access import Role
from api.core.config import Settings
from api.domains import metadata
from tests.helpers import Client, app_engine, issue_token, running_lifespan

TEST_DATABASE_ENV = "PIZZABOX_TEST_DATABASE_URL"
# pytest-xdist names each worker here (gw0, gw1, ...); a run without workers has no name.
XDIST_WORKER_ENV = "PYTEST_XDIST_WORKER"


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """How many workers `-n auto` (the default) starts: one per CPU for the suite or a folder of
    it, none when only test files or single tests are named, where starting workers and building
    their databases takes longer than running the tests."""
    configured = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS")
    if configured:
        return int(configured)
    if config.args and all(arg.split("::")[0].endswith(".py") for arg in config.args):
        return 0
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuse two test functions of one name: a failure is found and talked about by its name."""
    modules: defaultdict[str, set[str]] = defaultdict(set)
    for item in items:
        if isinstance(item, pytest.Function):
            modules[item.originalname].add(item.nodeid.split("::", 1)[0])
    shared = {name: sorted(found) for name, found in modules.items() if len(found) > 1}
    if shared:
        raise pytest.UsageError(f"test names must be unique; these are not: {shared}")


def worker_database_url(url: str, worker: str | None) -> str:
    """The database one xdist worker uses: `url` with the worker's name appended to the
    database's, so that workers never empty each other's tables; `url` itself without workers."""
    if worker is None:
        return url
    parsed = make_url(url)
    name = parsed.database
    if not name or name == ":memory:":
        return url
    if parsed.get_backend_name() == "sqlite":
        path = Path(name)
        name = str(path.with_name(f"{path.stem}_{worker}{path.suffix}"))
    else:
        name = f"{name}_{worker}"
    return parsed.set(database=name).render_as_string(hide_password=False)


def create_postgres_database(url: str) -> None:
    """Create the PostgreSQL database `url` names unless it exists, from the `postgres` database."""
    parsed = make_url(url)
    name = parsed.database
    maintenance = parsed.set(drivername="postgresql", database="postgres")

    async def create() -> None:
        connection = await asyncpg.connect(maintenance.render_as_string(hide_password=False))
        try:
            if await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                return
            quoted = '"' + str(name).replace('"', '""') + '"'
            await connection.execute(f"CREATE DATABASE {quoted}")
        except asyncpg.DuplicateDatabaseError:
            pass  # another run created it between the check and the CREATE
        finally:
            await connection.close()

    asyncio.run(create())


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The database the suite runs against; each xdist worker has its own (see above)."""
    configured = os.environ.get(TEST_DATABASE_ENV)
    if configured:
        url = worker_database_url(configured, os.environ.get(XDIST_WORKER_ENV))
        if make_url(url).get_backend_name() == "postgresql":
            create_postgres_database(url)
        return url
    # xdist gives each worker a temporary directory of its own, so the file is the worker's.
    path: Path = tmp_path_factory.mktemp("db") / "test.db"
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def is_postgres(database_url: str) -> bool:
    """Whether the suite runs on PostgreSQL."""
    return database_url.startswith("postgresql")


@pytest.fixture(scope="session")
def migrated_database(database_url: str) -> str:
    """The test database, cleared of leftovers and built by running every migration."""
    migrate.downgrade(database_url, "base")
    migrate.upgrade(database_url)
    return database_url


@pytest.fixture(scope="session")
def app(migrated_database: str) -> Litestar:
    """The app under test, configured explicitly for the test database."""
    # Rate limiting is tested with an app of its own; here it would only slow bulk tests down.
    return create_app(
        Settings(
            database_url=migrated_database,
            log_level="WARNING",
            rate_limit_per_minute=0,
            auth_failures_per_minute=0,
        )
    )


@pytest.fixture(scope="session")
async def running_client(app: Litestar) -> AsyncIterator[Client]:
    """One HTTP client for the session, against the app with its lifespan started.

    The app runs in the test's own event loop (not a portal thread), so tests may use its engine
    and sessionmaker directly and send concurrent requests with `asyncio.gather`.
    """
    async with running_lifespan(app):
        # httpx types the ASGI app more narrowly than Litestar's own signature; it is one.
        transport = httpx.ASGITransport(app=cast(Any, app))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def _migrated_tables(engine: AsyncEngine) -> list[Table]:
    # Models a migration has not created yet (work in progress elsewhere) have nothing to empty.
    async with engine.connect() as connection:
        names = set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    return [table for table in metadata.sorted_tables if table.name in names]


@pytest.fixture(scope="session")
async def tables(app: Litestar, running_client: Client) -> list[Table]:
    """The app's tables in dependency order (parents first)."""
    return await _migrated_tables(app_engine(app))


async def empty_tables(
    engine: AsyncEngine, tables: list[Table], *, audit_key: bytes = PUBLIC_KEY
) -> None:
    """Remove every row from every table, leaving the schema and alembic_version alone, and put
    the audit chains back at their start for `audit_key` (the test app's: the public one)."""
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # The trail's triggers refuse to delete its rows; a superuser may switch them off for
            # this transaction, as a restore would.
            await connection.execute(text("SET LOCAL session_replication_role = replica"))
        # DELETE, not TRUNCATE: on the few rows a test leaves, PostgreSQL deletes them in some
        # 5 ms, where truncating every table takes some 50 ms, and this runs before every test.
        for table in reversed(tables):
            await connection.execute(table.delete())
        if AuditChainHead.__table__ in tables:  # type: ignore[attr-defined]
            await connection.execute(insert(AuditChainHead), genesis_heads(audit_key))


@pytest.fixture
async def client(app: Litestar, running_client: Client, tables: list[Table]) -> Client:
    """An admin's client against an app whose database is empty (but for the admin's token)."""
    await empty_tables(app_engine(app), tables)
    running_client.headers["Authorization"] = f"Bearer {await issue_token(app, Role.ADMIN)}"
    return running_client


@pytest.fixture
async def anonymous(app: Litestar, client: Client) -> AsyncIterator[Client]:
    """A client of the same app that sends no token (the database emptied as for `client`)."""
    transport = httpx.ASGITransport(app=cast(Any, app))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as bare:
        yield bare
