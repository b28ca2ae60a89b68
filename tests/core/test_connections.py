"""Connections and transactions: one of each per request, and a connection the server closed
while it sat idle in the pool is replaced, unseen."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import event, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.core.access import Role
from api.core.db import PING_AFTER_IDLE_SECONDS
from tests.helpers import API, Client, app_engine, bearer, issue_token, serving, settings_for


@contextmanager
def transactions_and_checkouts(engine: AsyncEngine) -> Iterator[list[str]]:
    """What `engine` did inside the block: "begin" for each transaction, "checkout" for each
    connection taken from the pool."""
    seen: list[str] = []

    def begun(*_: Any) -> None:
        seen.append("begin")

    def checked_out(*_: Any) -> None:
        seen.append("checkout")

    event.listen(engine.sync_engine, "begin", begun)
    event.listen(engine.sync_engine, "checkout", checked_out)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "begin", begun)
        event.remove(engine.sync_engine, "checkout", checked_out)


async def test_a_request_looks_its_token_up_in_the_transaction_of_its_work(
    app: Any, client: Client, is_postgres: bool
) -> None:
    # The token's `last_used_at` is fresh after this, so it is not written again for a minute.
    assert (await client.get(f"{API}/people")).status_code == 200
    with transactions_and_checkouts(app_engine(app)) as read:
        assert (await client.get(f"{API}/people")).status_code == 200
    assert read == ["checkout", "begin"]
    team = {"slug": "one-transaction", "name": "One", "org": "x"}
    with transactions_and_checkouts(app_engine(app)) as write:
        assert (await client.post(f"{API}/teams", json=team)).status_code == 201
    # PostgreSQL's reader goes on to write. SQLite's writer ends the lookup's reading
    # transaction and takes the write lock as it begins again (see `begin_writing`).
    assert write == ["checkout", "begin"] * (1 if is_postgres else 2)


async def test_a_connection_closed_while_idle_in_the_pool_is_replaced(
    migrated_database: str, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("SQLite has no server to close a connection")
    async with serving(settings_for(migrated_database)) as (app, anonymous):
        token = await issue_token(app, Role.ADMIN)
        assert (await anonymous.get(f"{API}/people", headers=bearer(token))).status_code == 200
        # One request at a time: the pool holds one connection, which the next request reuses.
        async with app_engine(app).connect() as connection:
            pid = await connection.scalar(text("SELECT pg_backend_pid()"))
        url = make_url(migrated_database).set(drivername="postgresql")
        outsider = await asyncpg.connect(url.render_as_string(hide_password=False))
        try:
            # As a restarted server or an idle timeout would.
            assert await outsider.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await outsider.close()
        await asyncio.sleep(PING_AFTER_IDLE_SECONDS + 0.2)
        response = await anonymous.get(f"{API}/people", headers=bearer(token))
        assert response.status_code == 200, response.text
