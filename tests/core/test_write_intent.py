"""Readers never queue behind writers, and a writer that cannot get the lock hears 503, not 500."""

import sqlite3

import pytest

from api.core.access import Role
from tests.factories import create_team
from tests.helpers import API, Client, assert_problem, bearer, issue_token, serving, settings_for

BUSY_TIMEOUT_MS = 300
CREATE_LATE = 'mutation { createTeam(input: {slug: "late", name: "L", org: "x"}) { slug } }'


async def test_graphql_queries_read_while_another_writer_holds_the_lock(
    migrated_database: str, is_postgres: bool, client: Client
) -> None:
    if is_postgres:
        pytest.skip("SQLite's database-wide write lock; PostgreSQL locks rows, never whole reads")
    team = (await create_team(client))["slug"]
    settings = settings_for(migrated_database, sqlite_busy_timeout_ms=BUSY_TIMEOUT_MS)
    async with serving(settings) as (app, anonymous):
        token = await issue_token(app, Role.ADMIN)
        # Used once first, so its `last_used_at` is fresh and not written again for a minute.
        assert (await anonymous.get(f"{API}/me", headers=bearer(token))).status_code == 200
        holder = sqlite3.connect(migrated_database.split("///", 1)[1], isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            response = await anonymous.post(
                "/graphql",
                json={
                    "query": "query($s: String!) { team(slug: $s) { slug } }",
                    "variables": {"s": team},
                },
                headers=bearer(token),
            )
            # The lock is never released: a query that asked for it would have waited the busy
            # timeout and failed, so an answer is proof it read without it (no clock needed).
            assert response.json() == {"data": {"team": {"slug": team}}}

            # A mutation does wait, and then says to come back, in GraphQL's shape.
            body = (
                await anonymous.post(
                    "/graphql",
                    json={"query": CREATE_LATE},
                    headers=bearer(token),
                )
            ).json()
            assert not (body["data"] or {}).get("createTeam"), body
            assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"

            # A REST write waits the busy timeout, then gets 503 with Retry-After, never 500.
            refused = await anonymous.post(
                f"{API}/teams",
                json={"slug": "late", "name": "L", "org": "x"},
                headers=bearer(token),
            )
            assert_problem(refused, 503)
            assert refused.headers["retry-after"] == "1"
            # Listing tokens records an access event, so it is a writer too: 503, not 500.
            assert_problem(await anonymous.get(f"{API}/tokens", headers=bearer(token)), 503)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert (await anonymous.get(f"{API}/teams/late", headers=bearer(token))).status_code == 404
