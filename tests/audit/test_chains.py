"""The chains under many writers at once and across instances, and a trail written before the
chains existed, verified intact after the upgrade."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from click.testing import CliRunner
from litestar import Litestar
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from api import migrate
from api.app import create_app
from api.audit.trail import attach_principal
from api.cli import main
from api.core.access import SYSTEM, Role
from api.core.config import Settings, get_settings
from api.teams.models import Team
from tests.audit.tampering import EVENTS, forged_event, links, verify
from tests.factories import create_person, create_team
from tests.helpers import API, Client, bearer, issue_token, running_lifespan

# The revision before the chains: a trail written then must verify intact after the upgrade.
BEFORE_CHAINS = "c41f0e2a9d15"


# Many writers at once ------------------------------------------------------------------------


async def test_concurrent_writers_leave_an_intact_trail(
    app: Litestar, client: Client, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("SQLite serialises every writer behind one lock; see the PostgreSQL run")
    writes = 80
    responses = await asyncio.gather(
        *(
            client.post(
                f"{API}/people",
                json={
                    "email": f"writer-{number}@example.com",
                    "name": f"Writer {number}",
                    "job_family": "engineering",
                    "home_org": "platform",
                },
            )
            for number in range(writes)
        )
    )
    assert [r.status_code for r in responses] == [201] * writes, [r.text for r in responses]
    verdict = await verify(client)
    assert verdict["intact"] is True, verdict["problems"]
    assert verdict["events_checked"] == writes + 1  # and the admin's token
    # Writers spread over the chains instead of queueing on one.
    assert len({item.chain for item in await links(app)}) > 8


@asynccontextmanager
async def another_instance(migrated_database: str) -> AsyncIterator[tuple[Litestar, Client]]:
    """A second app on the same database, as another process would run: its own engine, so its
    own idea of where each chain ended."""
    other = create_app(
        Settings(database_url=migrated_database, log_level="WARNING", rate_limit_per_minute=0)
    )
    async with running_lifespan(other):
        transport = httpx.ASGITransport(app=cast(Any, other))
        async with httpx.AsyncClient(transport=transport, base_url="http://other") as client:
            client.headers.update(bearer(await issue_token(other, Role.ADMIN)))
            yield other, client


async def test_a_write_after_a_rolled_back_one_extends_the_chain_from_its_real_head(
    app: Litestar, client: Client, migrated_database: str
) -> None:
    async with another_instance(migrated_database) as (other, other_client):
        # The instance has written once, on one chain; a write that then rolls back moved that
        # chain's head only in the instance's memory.
        async with other.state.sessionmaker() as session:
            attach_principal(session.sync_session, SYSTEM)
            session.add(Team(slug="rolled-back", name="Rolled back", org="platform"))
            await session.flush()
            await session.rollback()
        # The next write takes the same chain, and finds where it really ends.
        await create_team(other_client)
        await create_team(other_client)
        chains = {item.chain for item in await links(app)}
    verdict = await verify(client)
    assert verdict["intact"] is True, verdict["problems"]
    assert verdict["events_checked"] == 4  # two tokens and two teams
    assert len(chains) <= 3


async def test_writers_of_two_instances_share_the_chains(
    app: Litestar, client: Client, migrated_database: str
) -> None:
    async with another_instance(migrated_database) as (_, other_client):
        # Taking turns, then all at once: each instance keeps finding chains the other moved.
        for _ in range(10):
            await create_team(client)
            await create_team(other_client)
        await asyncio.gather(
            *(create_person(writer) for writer in (client, other_client) for _ in range(20))
        )
    verdict = await verify(client)
    assert verdict["intact"] is True, verdict["problems"]
    assert verdict["events_checked"] == 2 + 20 + 40


# Upgrading a trail written before the chains ---------------------------------------------------


@pytest.fixture
def scratch_database(tmp_path: Path) -> Iterator[str]:
    """A SQLite file of its own, for a test that moves between revisions."""
    get_settings.cache_clear()
    yield f"sqlite+aiosqlite:///{tmp_path / 'upgrade.db'}"
    get_settings.cache_clear()


async def _write_unchained_events(database_url: str, count: int) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            rows = [
                {
                    **(forged_event(record_id=str(number), person_id=uuid.uuid4())),
                    "changes": {"name": {"old": None, "new": f"Zoë {number}"}, "n": number},
                }
                for number in range(count)
            ]
            # Only the columns that revision has: the insert names just the keys it is given.
            await connection.execute(insert(EVENTS), rows)
    finally:
        await engine.dispose()


def test_an_existing_trail_verifies_intact_after_the_upgrade(scratch_database: str) -> None:
    migrate.upgrade(scratch_database, BEFORE_CHAINS)
    asyncio.run(_write_unchained_events(scratch_database, 70))
    migrate.upgrade(scratch_database)

    result = CliRunner().invoke(
        main,
        ["audit", "verify"],
        env={"PIZZABOX_DATABASE_URL": scratch_database, "PIZZABOX_AUDIT_KEY": None},
    )
    assert result.exit_code == 0, result.output
    assert "intact: 70 events checked" in result.output
    # Down and up again: sealed afresh, still intact.
    migrate.downgrade(scratch_database, BEFORE_CHAINS)
    migrate.upgrade(scratch_database)
    get_settings.cache_clear()
    again = CliRunner().invoke(
        main,
        ["audit", "verify"],
        env={"PIZZABOX_DATABASE_URL": scratch_database, "PIZZABOX_AUDIT_KEY": None},
    )
    assert again.exit_code == 0, again.output


def test_verify_that_cannot_run_exits_2(tmp_path: Path) -> None:
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            main,
            ["audit", "verify"],
            env={"PIZZABOX_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'none.db'}"},
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2, result.output
    assert "verifying the audit trail failed" in result.output
