"""Hardening a client can see: rate limits, security headers, CORS, introspection, open routes."""

import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from api.core.access import Role
from tests.helpers import (
    API,
    Client,
    assert_problem,
    bearer,
    issue_token,
    serving,
    settings_for,
)

LIMIT = 5
PORTAL = "https://portal.example.com"


@pytest.fixture
async def limited(migrated_database: str) -> AsyncIterator[tuple[Litestar, Client]]:
    """An app that allows each token five requests a minute."""
    async with serving(settings_for(migrated_database, rate_limit_per_minute=LIMIT)) as served:
        yield served


# Rate limiting --------------------------------------------------------------------------------


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


# Security headers -----------------------------------------------------------------------------


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


async def test_api_responses_carry_security_headers(client: Client) -> None:
    await client.post(f"{API}/teams", json={"slug": "shield", "name": "Shield", "org": "sec"})
    for response in (
        await client.get(f"{API}/me"),
        await client.get(f"{API}/teams"),
        await client.get(f"{API}/teams/shield"),
        await client.post(f"{API}/teams", json={"slug": "wall", "name": "Wall", "org": "sec"}),
        await client.post("/graphql", json={"query": "{ viewer { name } }"}),
    ):
        assert response.status_code in (200, 201), response.text
        assert_security_headers(response, strict_csp=True)


@pytest.mark.parametrize(
    ("method", "path", "token", "status"),
    [
        pytest.param("GET", f"{API}/teams/nowhere", True, 404, id="unknown record"),
        pytest.param("GET", f"{API}/teams?limit=0", True, 400, id="bad query"),
        pytest.param("POST", f"{API}/teams", True, 400, id="no body"),
        pytest.param("GET", f"{API}/me", False, 401, id="no token"),
        pytest.param("GET", f"{API}/no-such-route", True, 404, id="unknown route"),
        pytest.param("PUT", f"{API}/teams", True, 405, id="wrong method"),
    ],
)
async def test_error_responses_carry_security_headers(
    client: Client, method: str, path: str, token: bool, status: int
) -> None:
    headers = None if token else {"Authorization": ""}
    response = await client.request(method, path, headers=headers)
    assert response.status_code in (status, 422), response.text
    assert_security_headers(response, strict_csp=True)


async def test_429_carries_security_headers(limited: tuple[Litestar, Client]) -> None:
    app, client = limited
    token = await issue_token(app, Role.VIEWER)
    for _ in range(LIMIT):
        await client.get(f"{API}/me", headers=bearer(token))
    refused = await client.get(f"{API}/me", headers=bearer(token))
    assert refused.status_code == 429
    assert_security_headers(refused, strict_csp=True)


async def test_docs_pages_carry_security_headers(running_client: Client) -> None:
    anonymous = {"Authorization": ""}
    for path, accept in (
        ("/schema", "text/html"),
        ("/schema/swagger", "text/html"),
        ("/graphql", "text/html"),
    ):
        response = await running_client.get(path, headers={**anonymous, "Accept": accept})
        assert response.status_code == 200, (path, response.text)
        assert response.headers["content-type"].startswith("text/html")
        assert_security_headers(response, strict_csp=False)
    spec = await running_client.get("/schema/openapi.json", headers=anonymous)
    assert_security_headers(spec, strict_csp=True)
    health = await running_client.get("/healthz", headers=anonymous)
    assert_security_headers(health, strict_csp=True)


# CORS -----------------------------------------------------------------------------------------


def preflight(origin: str, method: str = "PATCH") -> dict[str, str]:
    """The headers of a browser's CORS preflight."""
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type",
    }


async def test_cors_is_off_by_default(client: Client) -> None:
    for origin in ("https://evil.example.com", PORTAL):
        response = await client.options(f"{API}/teams", headers=preflight(origin))
        assert "access-control-allow-origin" not in response.headers
        response = await client.get(f"{API}/me", headers={"Origin": origin})
        assert response.status_code == 200
        assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("source", ["setting", "environment"])
async def test_cors_allows_only_the_configured_origins(
    migrated_database: str, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    if source == "environment":
        monkeypatch.setenv("PIZZABOX_CORS_ORIGINS", f"{PORTAL}, https://bi.example.com")
        settings = settings_for(migrated_database)
    else:
        settings = settings_for(migrated_database, cors_origins=f"{PORTAL},https://bi.example.com")
    async with serving(settings) as (app, client):
        token = await issue_token(app, Role.VIEWER)
        allowed = await client.options(f"{API}/teams/x", headers=preflight(PORTAL))
        assert allowed.status_code in (200, 204), allowed.text
        assert allowed.headers["access-control-allow-origin"] == PORTAL
        assert "PATCH" in allowed.headers["access-control-allow-methods"]
        graphql = await client.options("/graphql", headers=preflight(PORTAL, "POST"))
        assert graphql.headers["access-control-allow-origin"] == PORTAL

        response = await client.get(f"{API}/me", headers={**bearer(token), "Origin": PORTAL})
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == PORTAL

        stranger = "https://evil.example.com"
        refused = await client.options(f"{API}/teams", headers=preflight(stranger))
        assert "access-control-allow-origin" not in refused.headers
        response = await client.get(f"{API}/me", headers={**bearer(token), "Origin": stranger})
        assert response.headers.get("access-control-allow-origin") != stranger


# GraphQL introspection ------------------------------------------------------------------------

INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_introspection_is_on_by_default(client: Client) -> None:
    response = await client.post("/graphql", json={"query": INTROSPECTION})
    assert response.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_introspection_can_be_switched_off(migrated_database: str) -> None:
    settings = settings_for(migrated_database, graphql_introspection=False)
    async with serving(settings) as (app, client):
        token = bearer(await issue_token(app, Role.ADMIN))
        for query in (INTROSPECTION, '{ __type(name: "Product") { fields { name } } }'):
            response = await client.post("/graphql", json={"query": query}, headers=token)
            assert response.status_code == 200
            body = response.json()
            assert body.get("data") is None, body
            assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
            assert "introspection" in body["errors"][0]["message"].lower()
        # Ordinary queries still run, and `__typename` is not introspection.
        response = await client.post(
            "/graphql", json={"query": "{ __typename viewer { role } }"}, headers=token
        )
        assert response.json() == {"data": {"__typename": "Query", "viewer": {"role": "ADMIN"}}}


# What is open, and what needs a token ---------------------------------------------------------


async def test_health_docs_and_graphiql_are_open(running_client: Client) -> None:
    anonymous = {"Authorization": ""}
    for path in ("/healthz", "/readyz", "/schema/openapi.json", "/schema"):
        response = await running_client.get(path, headers=anonymous)
        assert response.status_code == 200, (path, response.text)
    page = await running_client.get("/graphql", headers={**anonymous, "Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


def api_routes(app: Litestar) -> list[tuple[str, str]]:
    """Every method and concrete path under /api/v1, path parameters filled in."""
    routes: list[tuple[str, str]] = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(API):
            continue
        path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), route.path_format)
        routes.extend(
            (method, path) for method in sorted(route.methods) if method not in {"OPTIONS", "HEAD"}
        )
    return routes


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("", id="missing"),
        pytest.param("Basic dXNlcjpwYXNz", id="not bearer"),
        pytest.param("Bearer pzb_" + "x" * 43, id="unknown"),
        pytest.param("Bearer " + "x" * 47, id="malformed"),
    ],
)
async def test_every_api_route_and_graphql_needs_a_token(
    app: Litestar, running_client: Client, authorization: str
) -> None:
    routes = api_routes(app)
    assert len(routes) > 20, routes
    headers = {"Authorization": authorization}
    for method, path in routes:
        response = await running_client.request(method, path, headers=headers, json={})
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].lower().startswith("bearer"), (method, path)

    for request in (
        running_client.build_request(
            "POST", "/graphql", json={"query": "{ viewer { name } }"}, headers=headers
        ),
        running_client.build_request(
            "GET", "/graphql", params={"query": "{ viewer { name } }"}, headers=headers
        ),
    ):
        response = await running_client.send(request)
        assert response.status_code == 401, response.text
        body = response.json()
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
