"""Shared test helpers: the HTTP client type, problem and header checks, an SQL statement
counter, and `pizzabox serve` run as a real server."""

import asyncio
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

import httpx
from litestar import Litestar
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.app import create_app
from api.audit.trail import attach_principal
from api.core.access import SYSTEM, Role
from api.core.config import Settings
from api.identity.schemas import TokenCreate
from api.identity.service import create_token

Client = httpx.AsyncClient

API = "/api/v1"

# Transaction control and connection set-up are not the queries a test wants to count.
_NOT_COUNTED = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)\b", re.IGNORECASE)
# Authentication looks the token up before every request (and touches `last_used_at` at most
# once a minute): a fixed cost outside the work being measured, counted by its own tests.
_AUTHENTICATION = re.compile(r"\b(FROM|UPDATE|JOIN)\s+api_token", re.IGNORECASE)


@dataclass
class StatementCounter:
    """The SQL statements a block of code ran, transaction control left out."""

    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many statements ran."""
        return len(self.statements)


@contextmanager
def count_statements(engine: AsyncEngine) -> Iterator[StatementCounter]:
    """Count the statements `engine` runs inside the block."""
    counter = StatementCounter()

    def before_cursor_execute(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        if not _NOT_COUNTED.match(statement) and not _AUTHENTICATION.search(statement):
            counter.statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield counter
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before_cursor_execute)


def app_engine(app: Litestar) -> AsyncEngine:
    """The engine of a running app (its lifespan has started)."""
    engine: AsyncEngine = app.state.engine
    return engine


def assert_problem(
    response: httpx.Response, status: int | tuple[int, ...], *, field: str | None = None
) -> dict[str, Any]:
    """Check the response is an RFC 9457 problem with the status, naming `field` if given."""
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == response.status_code
    assert isinstance(problem["type"], str)
    assert problem["type"]
    assert isinstance(problem["title"], str)
    assert problem["title"]
    assert isinstance(problem["detail"], str)
    assert problem["detail"]
    if field is not None:
        errors = problem.get("errors")
        assert isinstance(errors, list), problem
        assert all(set(error) >= {"field", "message"} for error in errors), errors
        fields = [error["field"] for error in errors]
        assert any(name == field or name.endswith(f".{field}") for name in fields), (
            field,
            problem,
        )
    return problem


async def list_all(client: Client, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list, following `next_cursor` to the last page."""
    items: list[dict[str, Any]] = []
    query = dict(params)
    for _ in range(1000):
        response = await client.get(path, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        if page["next_cursor"] is None:
            return items
        query["cursor"] = page["next_cursor"]
    raise AssertionError(f"{path} never reached its last page")


async def list_statements(
    client: Client, engine: AsyncEngine, path: str, *, expect_items: int, **params: Any
) -> int:
    """How many SQL statements one page of a list costs, checking the page holds every row."""
    # A first call warms connections and caches so only the list's own queries are counted.
    await client.get(path, params={"limit": 200, **params})
    with count_statements(engine) as counter:
        response = await client.get(path, params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) == expect_items
    assert counter.count > 0, "the counter saw no statements; is it listening to the app's engine?"
    return counter.count


@asynccontextmanager
async def running_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Start the app's lifespan and stop it on exit, as an ASGI server would."""
    # The lifespan holds an anyio task group, which must be left by the task that entered it;
    # pytest sets fixtures up and tears them down in different tasks, so one task owns it here.
    started, stopping = asyncio.Event(), asyncio.Event()

    async def serve() -> None:
        async with app.lifespan():
            started.set()
            await stopping.wait()

    task = asyncio.create_task(serve())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        await task  # raises the start-up error
    try:
        yield
    finally:
        stopping.set()
        await task


@asynccontextmanager
async def seeding(app: Litestar) -> AsyncIterator[AsyncSession]:
    """A session of the app's that writes as Pizzabox itself, for seeding rows behind the API."""
    async with app.state.sessionmaker() as session:
        attach_principal(session.sync_session, SYSTEM)
        yield session


async def issue_token(
    app: Litestar,
    role: Role,
    *,
    person_id: uuid.UUID | str | None = None,
    products: Sequence[str] = (),
    name: str | None = None,
) -> str:
    """A fresh token's secret, made the way `pizzabox token create` makes one."""
    async with app.state.sessionmaker() as session:
        attach_principal(session.sync_session, SYSTEM)
        data = TokenCreate.model_validate(
            {
                "name": name or f"test-{role.value}",
                "role": role,
                "person_id": person_id,
                "products": list(products),
            }
        )
        _, secret = await create_token(session, data=data, principal=SYSTEM)
        await session.commit()
    return secret


def bearer(token: str) -> dict[str, str]:
    """The header that sends `token`."""
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[Litestar, Client]]:
    """An app of its own for these settings, started, with a client that sends no token."""
    app = create_app(settings)
    async with running_lifespan(app):
        transport = httpx.ASGITransport(app=cast(Any, app))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield app, client


def settings_for(database_url: str, **overrides: Any) -> Settings:
    """Settings for a dedicated app on the test database; rate limits off unless asked."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "log_level": "WARNING",
        "rate_limit_per_minute": 0,
        "auth_failures_per_minute": 0,
        **overrides,
    }
    return Settings(**values)


def assert_security_headers(response: httpx.Response, *, strict_csp: bool) -> None:
    """The headers every response carries; JSON gets a CSP that allows nothing at all."""
    headers = response.headers
    where = (response.request.method, str(response.request.url), response.status_code)
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("x-frame-options") == "DENY", where
    assert headers.get("referrer-policy") == "no-referrer", where
    csp = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, where
    if strict_csp:
        assert "default-src 'none'" in csp, where
        assert "unsafe-inline" not in csp, where
    if response.request.url.path.startswith(API):
        assert headers.get("cache-control") == "no-store", where


# `pizzabox serve`, as users run it ----------------------------------------------------------------


def free_port() -> int:
    """A TCP port on the loopback that nothing listens on (at the time of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A `pizzabox serve` process and where it answers."""

    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def stop(self) -> None:
        """Stop it as a supervisor would (SIGTERM) and wait for it to exit."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(environment: Mapping[str, str], log: Path, *options: str) -> Server:
    """Start `pizzabox serve` on a free port with `options`, without waiting for it."""
    port = free_port()
    command = [sys.executable, "-c", "from api.cli import main; main()", "serve"]
    output: IO[bytes] = log.open("ab")
    with output:
        process = subprocess.Popen(
            [*command, "--port", str(port), *options],
            env=dict(environment),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return Server(process, f"http://127.0.0.1:{port}", log)


def wait_until_serving(server: Server, *, within: float = 60) -> bool:
    """Whether the server answers /healthz within `within` seconds; False if it exited first, as
    it does when another process (a parallel test worker) took its port in between."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            time.sleep(0.2)
    server.stop()
    raise AssertionError(
        f"pizzabox serve did not answer within {within:.0f} s:\n{server.log.read_text()}"
    )


def serve_until_up(environment: Mapping[str, str], log: Path, *options: str) -> Server:
    """`pizzabox serve` with `options`, answering; tried on three free ports in a row."""
    for _ in range(3):
        server = start_server(environment, log, *options)
        if wait_until_serving(server):
            return server
    raise AssertionError(f"pizzabox serve exited at once three times:\n{log.read_text()}")
