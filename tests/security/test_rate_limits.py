"""Rate limits per token: headers on every answer, 429 past the limit with when to retry, and
never for health or docs."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar

from api.core.access import Role
from tests.helpers import (
    API,
    Client,
    assert_problem,
    assert_security_headers,
    bearer,
    issue_token,
    serving,
    settings_for,
)

LIMIT = 5


@pytest.fixture
async def limited(migrated_database: str) -> AsyncIterator[tuple[Litestar, Client]]:
    """An app that allows each token five requests a minute."""
    async with serving(settings_for(migrated_database, rate_limit_per_minute=LIMIT)) as served:
        yield served


async def test_responses_carry_rate_limit_headers(limited: tuple[Litestar, Client]) -> None:
    app, client = limited
    token = await issue_token(app, Role.VIEWER)
    for remaining in range(LIMIT - 1, -1, -1):
        response = await client.get(f"{API}/me", headers=bearer(token))
        assert response.status_code == 200, response.text
        assert response.headers["ratelimit-limit"] == str(LIMIT)
        assert response.headers["ratelimit-remaining"] == str(remaining)
        assert response.headers["ratelimit-policy"] == f"{LIMIT}; w=60"
        assert 0 < int(response.headers["ratelimit-reset"]) <= 60


async def test_past_the_limit_a_token_gets_429_while_others_pass(
    limited: tuple[Litestar, Client],
) -> None:
    app, client = limited
    busy = await issue_token(app, Role.VIEWER, name="busy")
    calm = await issue_token(app, Role.VIEWER, name="calm")
    for _ in range(LIMIT):
        assert (await client.get(f"{API}/teams", headers=bearer(busy))).status_code == 200

    refused = await client.get(f"{API}/teams", headers=bearer(busy))
    assert_problem(refused, 429)
    assert refused.headers["ratelimit-remaining"] == "0"
    # GraphQL counts against the same budget.
    graphql = await client.post(
        "/graphql", json={"query": "{ viewer { name } }"}, headers=bearer(busy)
    )
    assert graphql.status_code == 429

    other = await client.get(f"{API}/teams", headers=bearer(calm))
    assert other.status_code == 200, other.text
    assert other.headers["ratelimit-remaining"] == str(LIMIT - 1)


async def test_429_says_when_to_retry(limited: tuple[Litestar, Client]) -> None:
    app, client = limited
    token = await issue_token(app, Role.VIEWER)
    for _ in range(LIMIT):
        await client.get(f"{API}/me", headers=bearer(token))
    refused = await client.get(f"{API}/me", headers=bearer(token))
    assert refused.status_code == 429
    assert "retry-after" in refused.headers, dict(refused.headers)
    assert 0 < int(refused.headers["retry-after"]) <= 60


async def test_health_and_docs_are_never_limited(limited: tuple[Litestar, Client]) -> None:
    _, client = limited
    for _ in range(LIMIT * 3):
        for path in ("/healthz", "/readyz", "/schema/openapi.json"):
            response = await client.get(path)
            assert response.status_code == 200, (path, response.text)
            assert "ratelimit-limit" not in response.headers


async def test_rate_limiting_can_be_switched_off(migrated_database: str) -> None:
    async with serving(settings_for(migrated_database, rate_limit_per_minute=0)) as (app, client):
        token = await issue_token(app, Role.VIEWER)
        for _ in range(LIMIT * 2):
            response = await client.get(f"{API}/me", headers=bearer(token))
            assert response.status_code == 200
            assert "ratelimit-limit" not in response.headers


async def test_429_carries_security_headers(limited: tuple[Litestar, Client]) -> None:
    app, client = limited
    token = await issue_token(app, Role.VIEWER)
    for _ in range(LIMIT):
        await client.get(f"{API}/me", headers=bearer(token))
    refused = await client.get(f"{API}/me", headers=bearer(token))
    assert refused.status_code == 429
    assert_security_headers(refused, strict_csp=True)


async def test_requests_sent_all_at_once_are_each_counted(
    limited: tuple[Litestar, Client],
) -> None:
    app, client = limited
    token = await issue_token(app, Role.VIEWER)
    answers = await asyncio.gather(
        *(client.get(f"{API}/me", headers=bearer(token)) for _ in range(LIMIT + 3))
    )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] * LIMIT + [429] * 3
    remaining = sorted(int(answer.headers["ratelimit-remaining"]) for answer in answers)
    assert remaining == [0, 0, 0, *range(LIMIT)]
