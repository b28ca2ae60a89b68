"""What every request shares: health probes, request ids, problem+json for unknown routes, and
never a server error for odd input."""

from typing import Any, cast

import httpx
import pytest

from api.app import create_app
from api.core.config import Settings
from tests.factories import create_person, create_product, create_team
from tests.helpers import API, Client, assert_problem, running_lifespan


async def test_health_probes_answer_without_a_token(client: Client) -> None:
    for path in ("/healthz", "/readyz"):
        response = await client.get(path)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "ok"


async def test_healthz_answered_before_routing_is_the_routed_answer(
    client: Client, migrated_database: str
) -> None:
    # With CORS on, the probe takes its route; by default it is answered before routing.
    routed_app = create_app(
        Settings(database_url=migrated_database, cors_origins="https://portal.example")
    )
    async with running_lifespan(routed_app):
        transport = httpx.ASGITransport(app=cast(Any, routed_app))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as routed:
            for method in ("GET", "HEAD"):
                sent = {"X-Request-ID": f"probe-{method}"}
                early = await client.request(method, "/healthz", headers=sent)
                late = await routed.request(method, "/healthz", headers=sent)
                assert (early.status_code, early.content) == (late.status_code, late.content)
                assert early.headers.multi_items() == late.headers.multi_items()
                assert early.headers["x-request-id"] == f"probe-{method}"
    # A query string takes the route, which refuses a parameter given twice.
    assert_problem(await client.get("/healthz?x=1&x=2"), 400)


async def test_request_id_is_generated(client: Client) -> None:
    first = (await client.get("/healthz")).headers["x-request-id"]
    second = (await client.get("/healthz")).headers["x-request-id"]
    assert first
    assert first != second


async def test_request_id_is_echoed(client: Client) -> None:
    response = await client.get(f"{API}/people", headers={"X-Request-ID": "trace-42.a:b"})
    assert response.headers["x-request-id"] == "trace-42.a:b"


async def test_unsafe_request_id_is_replaced(client: Client) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "evil id\twith spaces"})
    assert response.headers["x-request-id"] not in ("", "evil id\twith spaces")


async def test_problems_carry_the_request_id(client: Client) -> None:
    response = await client.get(f"{API}/teams/nobody", headers={"X-Request-ID": "find-me"})
    problem = assert_problem(response, 404)
    assert response.headers["x-request-id"] == "find-me"
    assert problem.get("request_id") == "find-me"


async def test_nul_characters_in_filters_are_not_a_server_error(client: Client) -> None:
    # PostgreSQL refuses NUL in text; a filter carrying one must still get a 2xx or 4xx.
    for path, name in [
        (f"{API}/people", "q"),
        (f"{API}/people", "org"),
        (f"{API}/teams", "q"),
        (f"{API}/teams", "org"),
        (f"{API}/products", "q"),
        (f"{API}/products", "team"),
        (f"{API}/products", "org"),
    ]:
        response = await client.get(path, params={name: "a\x00b"})
        assert response.status_code < 500, (path, name, response.text)


async def test_odd_input_never_yields_a_5xx(client: Client) -> None:
    team = await create_team(client)
    product = await create_product(client, team=team["slug"])
    person = await create_person(client)
    odd_values: list[Any] = [None, "", " ", [], {}, 10**30, -1, 1.5, True, "é" * 300, "'; --"]
    targets = [
        ("POST", f"{API}/people"),
        ("PATCH", f"{API}/people/{person['id']}"),
        ("POST", f"{API}/teams"),
        ("PATCH", f"{API}/teams/{team['slug']}"),
        ("POST", f"{API}/teams/{team['slug']}/members"),
        ("POST", f"{API}/products"),
        ("PATCH", f"{API}/products/{product['slug']}"),
    ]
    fields = [
        "email", "name", "job_family", "home_org", "slug", "mission", "org", "person_id",
        "role", "allocation_percent", "start_date", "summary", "team", "stage",
        "data_classification", "target_launch_date",
    ]  # fmt: skip
    for method, path in targets:
        for field in fields:
            for value in odd_values:
                response = await client.request(method, path, json={field: value})
                assert response.status_code < 500, (method, path, field, value, response.text)
    for params in (
        {"limit": "1e3"},
        {"cursor": "x" * 600},
        {"include_archived": "perhaps"},
        {"at": "2024-02-30"},
        {"include_ended": "2"},
    ):
        for path in (f"{API}/people", f"{API}/products", f"{API}/teams/{team['slug']}/members"):
            response = await client.get(path, params=params)
            assert response.status_code < 500, (path, params, response.text)
    for header in ('"', "*", "W/", '"x:1"', f'"{product["id"]}:999999999999999999999"'):
        path = f"{API}/products/{product['slug']}"
        response = await client.patch(path, json={"name": "x"}, headers={"If-Match": header})
        assert response.status_code < 500, (header, response.text)


async def test_unknown_routes_are_problem_404(client: Client) -> None:
    assert_problem(await client.get(f"{API}/nothing-here"), 404)
    assert_problem(await client.get(f"{API}/people/not-a-uuid"), (404, 422))


async def test_readyz_is_503_when_the_database_is_unreachable(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    missing = tmp_path_factory.mktemp("gone") / "no-such-dir" / "pizzabox.db"
    broken = create_app(Settings(database_url=f"sqlite+aiosqlite:///{missing}", log_level="ERROR"))
    async with running_lifespan(broken):
        transport = httpx.ASGITransport(app=cast(Any, broken))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as probe:
            assert (await probe.get("/healthz")).status_code == 200
            response = await probe.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] != "ok"


async def test_options_with_a_query_string_is_answered(client: Client, anonymous: Client) -> None:
    # Litestar answers OPTIONS itself; a query string (a preflight may carry one) changes nothing.
    for caller in (client, anonymous):
        for path in (f"{API}/products?stage=idea", f"{API}/portfolio?org=x", f"{API}/me?a"):
            response = await caller.options(path)
            assert response.status_code == 204, (path, response.text)
            assert "GET" in response.headers["allow"]
