"""The connection pool: a connection the server closed while it sat idle is replaced, unseen."""

import asyncio

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import make_url, text

from api.core.access import Role
from api.core.db import PING_AFTER_IDLE_SECONDS
from tests.helpers import API, app_engine, bearer, issue_token, serving, settings_for


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
