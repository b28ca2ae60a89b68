"""With PIZZABOX_REDIS_URL, every instance counts against one budget per token and per address.

Needs a Redis: `PIZZABOX_TEST_REDIS_URL` (default redis://127.0.0.1:6379/0; `.ci/run` starts
one). Without one these tests are skipped, and fail under CI. Each test writes under a key prefix
of its own, so parallel workers and other runs sharing that Redis never meet.
"""

import asyncio
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx
import pytest
import redis
from litestar import Litestar
from prometheus_client.parser import text_string_to_metric_families

from api.core.access import Role
from api.core.config import PROMETHEUS_MULTIPROC_DIR
from api.core.counters import RedisCounters, RedisUnreachable
from tests.helpers import (
    API,
    Client,
    Server,
    assert_problem,
    bearer,
    free_port,
    issue_token,
    serving,
    settings_for,
    start_server,
    wait_until_serving,
)

REDIS_ENV = "PIZZABOX_TEST_REDIS_URL"
LIMIT = 6
AUTH_LIMIT = 4


def _unavailable(reason: str) -> None:
    # CI starts a Redis (.ci/run); there, a missing one is a broken run, not a reason to skip.
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis the tests may write to."""
    url = os.environ.get(REDIS_ENV, "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        _unavailable(f"no Redis at {url} ({exc}); set {REDIS_ENV}")
    finally:
        client.close()
    return url


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix no other test or run uses; its keys are removed afterwards."""
    prefix = f"pizzabox-test-{uuid.uuid4().hex[:16]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)
    finally:
        client.close()


@asynccontextmanager
async def two_instances(
    database_url: str, **overrides: object
) -> AsyncIterator[tuple[Litestar, Client, Client]]:
    """Two apps with the same settings, each started on its own, as two instances are."""
    async with AsyncExitStack() as stack:
        first_app, first = await stack.enter_async_context(
            serving(settings_for(database_url, **overrides))
        )
        _, second = await stack.enter_async_context(
            serving(settings_for(database_url, **overrides))
        )
        yield first_app, first, second


async def test_instances_share_one_budget_per_token(
    migrated_database: str, redis_url: str, redis_prefix: str
) -> None:
    async with two_instances(
        migrated_database,
        rate_limit_per_minute=LIMIT,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
    ) as (app, first, second):
        token = await issue_token(app, Role.VIEWER)
        for sent in range(LIMIT):
            instance = (first, second)[sent % 2]
            response = await instance.get(f"{API}/me", headers=bearer(token))
            assert response.status_code == 200, response.text
            assert response.headers["ratelimit-remaining"] == str(LIMIT - 1 - sent)
        for instance in (first, second):
            refused = await instance.get(f"{API}/me", headers=bearer(token))
            assert_problem(refused, 429)
            assert 0 < int(refused.headers["retry-after"]) <= 60
        # Another token has a budget of its own, on both.
        other = await issue_token(app, Role.VIEWER, name="other")
        response = await second.get(f"{API}/me", headers=bearer(other))
        assert response.headers["ratelimit-remaining"] == str(LIMIT - 1)


async def test_instances_share_one_budget_per_address(
    migrated_database: str, redis_url: str, redis_prefix: str
) -> None:
    async with two_instances(
        migrated_database,
        auth_failures_per_minute=AUTH_LIMIT,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
    ) as (app, first, second):
        token = await issue_token(app, Role.VIEWER)
        # Successes are forgiven wherever they happen.
        for instance in (first, second) * AUTH_LIMIT:
            assert (await instance.get(f"{API}/me", headers=bearer(token))).status_code == 200
        for guess in range(AUTH_LIMIT):
            instance = (first, second)[guess % 2]
            assert_problem(await instance.get(f"{API}/me", headers=bearer("pzb_guess")), 401)
        for instance in (first, second):
            refused = await instance.get(f"{API}/me", headers=bearer(token))
            assert_problem(refused, 429)
            assert "failed authentications" in refused.json()["detail"]


async def test_requests_sent_at_once_to_both_instances_stay_within_the_budget(
    migrated_database: str, redis_url: str, redis_prefix: str
) -> None:
    # Counting is one atomic step in Redis: no two requests can both take the last place.
    async with two_instances(
        migrated_database,
        rate_limit_per_minute=LIMIT,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
    ) as (app, first, second):
        token = await issue_token(app, Role.VIEWER)
        responses = await asyncio.gather(
            *(
                instance.get(f"{API}/me", headers=bearer(token))
                for instance in (first, second) * (LIMIT * 2)
            )
        )
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200] * LIMIT + [429] * (LIMIT * 3), statuses


async def test_an_unreachable_redis_stops_the_app_from_starting(migrated_database: str) -> None:
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    # Litestar's lifespan runs in a task group, which raises what failed in a group.
    with pytest.raises(BaseExceptionGroup) as raised:
        async with serving(settings_for(migrated_database, redis_url=url)):
            pass
    # The password stays out of the message.
    assert raised.group_contains(RedisUnreachable, match=r"cannot reach Redis at redis://:\*\*\*@")


def test_serve_names_an_unreachable_redis_in_one_line(migrated_database: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from api.cli import main; main()", "serve", "--workers", "2"],
        env={
            **os.environ,
            "PIZZABOX_DATABASE_URL": migrated_database,
            "PIZZABOX_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: connecting to Redis failed: cannot reach Redis at redis://")


# A Redis of the test's own, to stop and start ---------------------------------------------------


def _start_redis(port: int, directory: Path) -> subprocess.Popen[bytes]:
    binary = shutil.which("redis-server")
    if binary is None:
        _unavailable("redis-server is not installed (Debian's redis-server package)")
    options = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(directory)]
    process = subprocess.Popen(
        [str(binary), "--port", str(port), *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_connect_timeout=0.5)
    try:
        for _ in range(100):
            try:
                client.ping()
                return process
            except redis.ConnectionError:
                if process.poll() is not None:
                    break
                time.sleep(0.1)
    finally:
        client.close()
    process.kill()
    raise AssertionError(f"redis-server did not start on port {port}")


def _stop_redis(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=10)


async def test_limits_fail_open_while_redis_is_down_and_return_with_it(
    migrated_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RedisCounters, "RETRY_SECONDS", 0.2)
    port = free_port()
    own_redis = await asyncio.to_thread(_start_redis, port, tmp_path)
    try:
        settings = settings_for(
            migrated_database,
            rate_limit_per_minute=LIMIT,
            redis_url=f"redis://127.0.0.1:{port}/0",
        )
        async with serving(settings) as (app, client):
            token = await issue_token(app, Role.VIEWER)
            counted = await client.get(f"{API}/me", headers=bearer(token))
            assert counted.headers["ratelimit-remaining"] == str(LIMIT - 1)

            await asyncio.to_thread(_stop_redis, own_redis)
            # Redis is down: nothing can be counted, so nothing is refused for it.
            for _ in range(LIMIT * 2):
                response = await client.get(f"{API}/me", headers=bearer(token))
                assert response.status_code == 200, response.text
                assert "ratelimit-remaining" not in response.headers

            own_redis = await asyncio.to_thread(_start_redis, port, tmp_path)
            await asyncio.sleep(0.3)
            # Back (empty, as a restarted Redis without persistence is): counting again.
            response = await client.get(f"{API}/me", headers=bearer(token))
            assert response.headers["ratelimit-remaining"] == str(LIMIT - 1)
    finally:
        await asyncio.to_thread(_stop_redis, own_redis)


# Two `pizzabox serve` processes, as deployed ----------------------------------------------------


@pytest.fixture
def two_servers(
    migrated_database: str, redis_url: str, redis_prefix: str, tmp_path: Path
) -> Iterator[tuple[Server, Server]]:
    """`pizzabox serve --workers 2` with metrics on, and a plain `pizzabox serve`: one database,
    one Redis."""
    environment = {
        **os.environ,
        "PIZZABOX_DATABASE_URL": migrated_database,
        "PIZZABOX_REDIS_URL": redis_url,
        "PIZZABOX_REDIS_PREFIX": redis_prefix,
        "PIZZABOX_RATE_LIMIT_PER_MINUTE": str(LIMIT),
        "PIZZABOX_AUTH_FAILURES_PER_MINUTE": str(AUTH_LIMIT),
        "PIZZABOX_LOG_LEVEL": "WARNING",
    }
    for inherited in (PROMETHEUS_MULTIPROC_DIR, "PIZZABOX_WORKERS", "PIZZABOX_METRICS"):
        environment.pop(inherited, None)
    servers: list[Server] = []
    try:
        for options, extra in (
            (("--workers", "2"), {"PIZZABOX_METRICS": "true"}),
            ((), {}),
        ):
            for _ in range(3):  # another process may take the free port before the server does
                server = start_server({**environment, **extra}, tmp_path / "serve.log", *options)
                if wait_until_serving(server, within=90):
                    servers.append(server)
                    break
            else:
                raise AssertionError((tmp_path / "serve.log").read_text())
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()


async def test_served_instances_share_one_budget(
    migrated_database: str, two_servers: tuple[Server, Server]
) -> None:
    async with serving(settings_for(migrated_database)) as (app, _):
        token = await issue_token(app, Role.VIEWER)
    first, second = two_servers
    # A new connection for every request, so the first server's two workers both get some.
    no_reuse = httpx.Limits(max_keepalive_connections=0)
    async with (
        httpx.AsyncClient(base_url=first.base_url, limits=no_reuse, timeout=10) as a,
        httpx.AsyncClient(base_url=second.base_url, limits=no_reuse, timeout=10) as b,
    ):
        for sent in range(LIMIT):
            response = await (a, b)[sent % 2].get(f"{API}/me", headers=bearer(token))
            assert response.status_code == 200, response.text
            assert response.headers["ratelimit-remaining"] == str(LIMIT - 1 - sent)
        for instance in (a, b):
            refused = await instance.get(f"{API}/me", headers=bearer(token))
            assert_problem(refused, 429)
            assert 0 < int(refused.headers["retry-after"]) <= 60

        for guess in range(AUTH_LIMIT):
            assert_problem(await (a, b)[guess % 2].get(f"{API}/me", headers=bearer("pzb_x")), 401)
        for instance in (a, b):
            refused = await instance.get(f"{API}/me", headers=bearer(token))
            assert "failed authentications" in assert_problem(refused, 429)["detail"]

        # Whichever worker answers the scrape counts both workers' requests.
        scraped = await a.get("/metrics")
        assert scraped.status_code == 200, scraped.text
        answered = {
            sample.labels["status_code"]: sample.value
            for family in text_string_to_metric_families(scraped.text)
            for sample in family.samples
            if sample.name == "pizzabox_requests_total" and sample.labels["path"] == f"{API}/me"
        }
        assert answered == {"200": LIMIT / 2, "429": 2.0, "401": AUTH_LIMIT / 2}
        # The second server has metrics off.
        assert (await b.get("/metrics")).status_code == 404
