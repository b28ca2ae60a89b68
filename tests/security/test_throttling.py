"""Guessing is throttled per client address, and only trusted proxies may say who the client is."""

import asyncio
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.core.access import Role
from api.core.counters import MemoryCounters, Tally
from api.core.middleware import forwarded_client
from api.core.rate_limit import FailedAuthentications, address_key
from tests.helpers import (
    API,
    assert_problem,
    bearer,
    issue_token,
    serve_until_up,
    serving,
    settings_for,
)

LIMIT = 5


def _guess() -> str:
    return "pzb_" + secrets.token_urlsafe(32)


@pytest.mark.parametrize(
    "credentials",
    [
        pytest.param(lambda prefix: bearer(_guess()), id="random tokens"),
        pytest.param(lambda prefix: bearer(prefix + _guess()[16:]), id="a real token's prefix"),
        pytest.param(lambda prefix: {}, id="no token"),
        pytest.param(lambda prefix: {"Authorization": "Basic YWRtaW46YWRtaW4="}, id="not bearer"),
    ],
)
async def test_failed_authentication_is_limited_per_address(
    migrated_database: str, credentials: object
) -> None:
    settings = settings_for(migrated_database, auth_failures_per_minute=LIMIT)
    async with serving(settings) as (app, client):
        real = await issue_token(app, Role.VIEWER)
        headers = credentials(real[:16])  # type: ignore[operator]
        for _ in range(LIMIT):
            assert_problem(await client.get(f"{API}/teams", headers=headers), 401)
        refused = await client.get(f"{API}/teams", headers=headers)
        assert_problem(refused, 429)
        assert 0 < int(refused.headers["retry-after"]) <= 60
        # The address is refused whatever it sends now, GraphQL included, a valid token too.
        graphql = await client.post("/graphql", json={"query": "{ viewer { name } }"})
        assert graphql.status_code == 429
        assert (await client.get(f"{API}/me", headers=bearer(real))).status_code == 429
        # The probes and the documents stay open.
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/schema/openapi.json")).status_code == 200


async def test_anonymous_graphql_operations_count_as_failures(migrated_database: str) -> None:
    settings = settings_for(migrated_database, auth_failures_per_minute=LIMIT)
    async with serving(settings) as (_, client):
        for _ in range(LIMIT):
            response = await client.get("/graphql", params={"query": "{ __typename }"})
            assert response.status_code == 401
        assert (await client.get("/graphql", params={"query": "{ __typename }"})).status_code == 429


async def test_other_addresses_and_valid_tokens_are_not_locked_out(migrated_database: str) -> None:
    settings = settings_for(migrated_database, auth_failures_per_minute=LIMIT)
    async with serving(settings) as (app, attacker):
        real = await issue_token(app, Role.VIEWER)
        for _ in range(LIMIT + 3):
            await attacker.get(f"{API}/teams", headers=bearer(_guess()))
        assert (await attacker.get(f"{API}/me", headers=bearer(real))).status_code == 429

        transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 4000))  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
            for _ in range(LIMIT * 3):
                response = await other.get(f"{API}/me", headers=bearer(real))
                assert response.status_code == 200, response.text


async def test_successes_do_not_count(migrated_database: str) -> None:
    settings = settings_for(migrated_database, auth_failures_per_minute=LIMIT)
    async with serving(settings) as (app, client):
        real = await issue_token(app, Role.VIEWER)
        for _ in range(LIMIT * 3):
            assert (await client.get(f"{API}/me", headers=bearer(real))).status_code == 200


async def test_the_limit_can_be_switched_off(migrated_database: str) -> None:
    async with serving(settings_for(migrated_database, auth_failures_per_minute=0)) as (_, client):
        for _ in range(LIMIT * 4):
            assert_problem(await client.get(f"{API}/teams", headers=bearer(_guess())), 401)


# Trusted proxies ----------------------------------------------------------------------------------


async def test_x_forwarded_for_is_ignored_unless_the_proxy_is_trusted(
    migrated_database: str,
) -> None:
    settings = settings_for(migrated_database, auth_failures_per_minute=LIMIT)
    async with serving(settings) as (_, client):
        for number in range(LIMIT):
            forwarded = {"X-Forwarded-For": f"203.0.113.{number}"}
            assert_problem(
                await client.get(f"{API}/teams", headers={**forwarded, **bearer(_guess())}), 401
            )
        # A fresh X-Forwarded-For from an untrusted peer is still the same address.
        refused = await client.get(
            f"{API}/teams", headers={"X-Forwarded-For": "198.51.100.7", **bearer(_guess())}
        )
        assert_problem(refused, 429)


async def test_a_trusted_proxy_names_the_client(migrated_database: str) -> None:
    # The test transport's peer is 127.0.0.1: trust it, as a load balancer on the same host.
    settings = settings_for(
        migrated_database, auth_failures_per_minute=LIMIT, trusted_proxies="127.0.0.1/32"
    )
    async with serving(settings) as (app, client):
        attacker = {"X-Forwarded-For": "203.0.113.9"}
        for _ in range(LIMIT):
            await client.get(f"{API}/teams", headers={**attacker, **bearer(_guess())})
        assert (await client.get(f"{API}/teams", headers=attacker)).status_code == 429
        # Another client behind the same proxy is not locked out.
        real = await issue_token(app, Role.VIEWER)
        other = await client.get(
            f"{API}/me", headers={"X-Forwarded-For": "198.51.100.7", **bearer(real)}
        )
        assert other.status_code == 200, other.text
        # Whatever the attacker writes left of the proxy's entry is theirs, and proves nothing.
        spoofed = {"X-Forwarded-For": "198.51.100.7, 203.0.113.9"}
        assert (
            await client.get(f"{API}/me", headers={**spoofed, **bearer(real)})
        ).status_code == 429


@pytest.mark.parametrize(
    ("peer", "header", "expected"),
    [
        ("127.0.0.1", "203.0.113.9", "127.0.0.1"),  # nothing trusted here: see `trusted` below
        ("10.0.0.5", "203.0.113.9", "203.0.113.9"),
        ("10.0.0.5", "198.51.100.1, 203.0.113.9", "203.0.113.9"),
        ("10.0.0.5", "203.0.113.9, 10.0.0.7", "203.0.113.9"),
        ("10.0.0.5", "10.0.0.8, 10.0.0.7", "10.0.0.8"),
        # A trusted proxy's entry that is no address is a client of its own, never the proxy.
        ("10.0.0.5", "unknown", "unparsed:unknown"),
        ("10.0.0.5", "203.0.113.9, garbage", "unparsed:garbage"),
        ("10.0.0.5", "203.0.113.9:5678", "203.0.113.9"),
        ("10.0.0.5", "[2001:db8::1]:443", "2001:db8::1"),
        ("192.0.2.1", "203.0.113.9", "192.0.2.1"),
        ("10.0.0.5", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_forwarded_client_reads_from_the_right(peer: str, header: str, expected: str) -> None:
    from ipaddress import ip_network

    trusted = (ip_network("10.0.0.0/8"),)
    assert forwarded_client(peer, header, trusted) == expected


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::ffff", "2001:db8:1:2::/64"),
        ("unparsed:unknown", "unparsed:unknown"),
    ],
)
def test_one_client_is_one_count(address: str, key: str) -> None:
    assert address_key(address) == key


async def test_the_counter_stays_bounded_and_fast() -> None:
    counters = MemoryCounters(max_keys=10_000)
    started = time.monotonic()
    for number in range(counters.max_keys + 5_000):
        await counters.add(f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}", 60)
    # Linear: no rebuilding of the whole table per failure once it is large.
    assert time.monotonic() - started < 10
    assert len(counters._store) == counters.max_keys
    # The oldest windows were forgotten first.
    last = counters.max_keys + 4_999
    assert await counters.read("10.0.0.0") is None
    assert await counters.read(f"10.{last >> 16 & 255}.{last >> 8 & 255}.{last & 255}") == Tally(
        count=1, resets_in=60
    )


async def test_a_window_counts_from_its_first_attempt_and_forgives_successes() -> None:
    failures = FailedAuthentications(MemoryCounters(), per_minute=3)
    assert await failures.attempt("192.0.2.1") == 0
    assert await failures.attempt("192.0.2.1") == 0
    assert await failures.retry_after("192.0.2.1") == 0
    assert await failures.attempt("192.0.2.1") == 0
    assert await failures.retry_after("192.0.2.1") == 60
    # The fourth attempt is one too many; the first success would have been forgiven.
    assert await failures.attempt("192.0.2.1") == 60
    assert await failures.retry_after("192.0.2.2") == 0
    await failures.succeeded("192.0.2.2")
    assert await failures.retry_after("192.0.2.2") == 0


async def test_a_window_ends() -> None:
    counters = MemoryCounters()
    assert await counters.add("client", 1) == Tally(count=1, resets_in=1)
    assert (await counters.add("client", 1)).count == 2  # type: ignore[union-attr]
    await asyncio.sleep(1.05)
    assert await counters.read("client") is None
    assert await counters.add("client", 1) == Tally(count=1, resets_in=1)


async def test_guesses_sent_all_at_once_are_limited_too(migrated_database: str) -> None:
    settings = settings_for(migrated_database, auth_failures_per_minute=LIMIT)
    async with serving(settings) as (_, client):
        responses = await asyncio.gather(
            *(client.get(f"{API}/me", headers=bearer(_guess())) for _ in range(LIMIT * 6))
        )
        statuses = [response.status_code for response in responses]
        assert statuses.count(401) <= LIMIT, statuses
        assert statuses.count(429) >= LIMIT * 5, statuses


async def test_two_authorization_headers_are_refused(migrated_database: str) -> None:
    async with serving(settings_for(migrated_database)) as (app, client):
        real = await issue_token(app, Role.VIEWER)
        for first, second in ((real, _guess()), (_guess(), real)):
            response = await client.get(
                f"{API}/me",
                headers=[
                    ("Authorization", f"Bearer {first}"),
                    ("Authorization", f"Bearer {second}"),
                ],
            )
            assert_problem(response, 401)


async def test_an_anonymous_graphql_post_is_refused_before_its_body_is_read(
    migrated_database: str,
) -> None:
    settings = settings_for(migrated_database, auth_failures_per_minute=LIMIT)
    async with serving(settings) as (_, client):
        body = '{"query": "{ __typename }", "query": "{ __typename }"}'
        for content_type in ("application/json", "text/plain"):
            response = await client.post(
                "/graphql", content=body, headers={"Content-Type": content_type}
            )
            assert response.status_code == 401, response.text
        for _ in range(LIMIT):
            await client.post("/graphql", json={"query": "{ __typename }"})
        assert (await client.post("/graphql", json={"query": "{ __typename }"})).status_code == 429


def test_forwarding_is_ignored_with_no_trusted_proxies() -> None:
    assert forwarded_client("10.0.0.5", "203.0.113.9", ()) == "10.0.0.5"


# The real server ----------------------------------------------------------------------------------


@pytest.fixture
def served_by_uvicorn(tmp_path: Path) -> Iterator[str]:
    """`pizzabox serve` on its own SQLite database, as users run it."""
    environment = {
        **os.environ,
        "PIZZABOX_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'served.db'}",
        "PIZZABOX_AUTH_FAILURES_PER_MINUTE": str(LIMIT),
        "PIZZABOX_LOG_LEVEL": "WARNING",
    }
    environment.pop("FORWARDED_ALLOW_IPS", None)
    server = serve_until_up(environment, tmp_path / "serve.log")
    try:
        yield server.base_url
    finally:
        server.stop()


def test_uvicorn_does_not_trust_x_forwarded_for_from_the_loopback(served_by_uvicorn: str) -> None:
    with httpx.Client(base_url=served_by_uvicorn, timeout=5) as client:
        for number in range(LIMIT):
            response = client.get(
                f"{API}/teams",
                headers={"X-Forwarded-For": f"203.0.113.{number}", **bearer(_guess())},
            )
            assert response.status_code == 401
        refused = client.get(
            f"{API}/teams", headers={"X-Forwarded-For": "198.51.100.99", **bearer(_guess())}
        )
        assert refused.status_code == 429
        assert "retry-after" in refused.headers
