"""Every log line names the request it was logged for, by the X-Request-ID the client was sent."""

import asyncio
import logging
from typing import Any

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.core.logs import log_formatter
from api.people import service as people_service
from api.people.schemas import PeopleFilter
from tests.helpers import API, Client, assert_problem, settings_for


def lines_of(caplog: pytest.LogCaptureFixture, logger: str) -> list[str]:
    """The lines `logger` (or a logger below it) wrote, as Pizzabox formats them."""
    return [
        log_formatter().format(record)
        for record in caplog.records
        if record.name == logger or record.name.startswith(f"{logger}.")
    ]


@pytest.fixture
def broken_people_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """Listing people fails with a bug of our own, which no request can provoke on purpose."""

    def broken(filters: PeopleFilter) -> None:
        raise RuntimeError(f"secret detail from deep inside, for {filters.q}")

    # Deep inside the service, where REST and GraphQL both reach it.
    monkeypatch.setattr(people_service, "_filtered", broken)


@pytest.mark.usefixtures("broken_people_list")
async def test_an_unexpected_rest_error_is_logged_with_the_request_id(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    response = await client.get(f"{API}/people")
    problem = assert_problem(response, 500)
    request_id = response.headers["x-request-id"]
    assert problem["request_id"] == request_id
    assert "secret detail" not in response.text
    logged = [line for line in lines_of(caplog, "api") if "unhandled error" in line]
    assert logged, caplog.text
    assert all(f"request_id={request_id} " in line for line in logged), logged
    assert any("secret detail" in line for line in logged), "the log names the cause"

    # The id ends with its request: a line logged afterwards names none.
    logging.getLogger("api.tests").error("after the request")
    assert "request_id=- after the request" in lines_of(caplog, "api.tests")[-1]


@pytest.mark.usefixtures("broken_people_list")
async def test_an_unexpected_graphql_error_is_masked_and_logged_with_the_request_id(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "{ people { totalCount } }"},
        headers={"X-Request-ID": "report-me-42"},
    )
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "secret detail" not in response.text
    assert response.headers["x-request-id"] == "report-me-42"
    logged = lines_of(caplog, "api.graphql")
    assert any("request_id=report-me-42 unexpected error" in line for line in logged), logged


@pytest.mark.usefixtures("broken_people_list")
async def test_concurrent_requests_keep_their_own_request_ids(
    client: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    markers = [f"person{number}" for number in range(4)]
    in_flight = asyncio.Barrier(len(markers))
    broken = people_service.list_people

    async def fail_together(*args: Any, **kwargs: Any) -> None:
        # Every request has bound its id before any of them logs its failure.
        await in_flight.wait()
        await broken(*args, **kwargs)

    monkeypatch.setattr(people_service, "list_people", fail_together)
    async with asyncio.timeout(30):
        responses = await asyncio.gather(
            *(client.get(f"{API}/people", params={"q": marker}) for marker in markers)
        )

    sent_ids = {
        marker: assert_problem(response, 500)["request_id"]
        for marker, response in zip(markers, responses, strict=True)
    }
    assert len(set(sent_ids.values())) == len(markers)
    failures = [line for line in lines_of(caplog, "api") if "unhandled error" in line]
    for marker, request_id in sent_ids.items():
        # The traceback in the line names the request's own `q`.
        logged = [line for line in failures if line.endswith(f"for {marker}")]
        assert len(logged) == 1, failures
        assert f"request_id={request_id} " in logged[0]


async def test_sql_statements_are_logged_with_the_request_id(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    response = await client.get(f"{API}/people", headers={"X-Request-ID": "sql-trace-7"})
    assert response.status_code == 200, response.text
    statements = [line for line in lines_of(caplog, "sqlalchemy.engine") if "SELECT" in line]
    assert statements, "no SQL was logged; the check proves nothing"
    assert all("request_id=sql-trace-7 " in line for line in statements), statements


async def test_the_servers_access_log_carries_the_request_id(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings_for(database_url))
    # As `pizzabox serve` leaves them, whatever set them up before: uvicorn's lines are written
    # by the root logger's handler, in Pizzabox's format, not by handlers of uvicorn's own.
    for name in ("uvicorn", "uvicorn.access"):
        assert logging.getLogger(name).propagate
        assert not logging.getLogger(name).handlers
    caplog.set_level(logging.INFO, logger="uvicorn.access")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None))
    serving = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            # uvicorn has no event for "started", only this flag.
            while not server.started:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            # Routed, and refused by routing before any route's middleware runs.
            answered = await http.get("/healthz", headers={"X-Request-ID": "access-9"})
            unrouted = await http.get("/no-such-page", headers={"X-Request-ID": "access-10"})
    finally:
        server.should_exit = True
        await serving
    assert (answered.status_code, unrouted.status_code) == (200, 404)
    logged = lines_of(caplog, "uvicorn.access")
    assert any("request_id=access-9 " in line and "/healthz " in line for line in logged), logged
    assert any("request_id=access-10 " in line and "/no-such-page " in line for line in logged)
