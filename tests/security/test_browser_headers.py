"""What a browser is told: security headers on every response, and CORS for the configured
origins only."""

from typing import Any, cast

import httpx
import pytest

from api.app import create_app
from api.core.access import Role
from api.core.config import Settings
from tests.helpers import (
    API,
    Client,
    assert_security_headers,
    bearer,
    issue_token,
    running_lifespan,
    serving,
    settings_for,
)

PORTAL = "https://portal.example.com"


# Security headers -----------------------------------------------------------------------------


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


async def test_cors_exposes_the_headers_a_browser_client_needs(migrated_database: str) -> None:
    settings = Settings(
        database_url=migrated_database,
        log_level="WARNING",
        rate_limit_per_minute=0,
        cors_origins=PORTAL,
    )
    app = create_app(settings)
    async with running_lifespan(app):
        transport = httpx.ASGITransport(app=cast(Any, app))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            token = await issue_token(app, Role.VIEWER)
            response = await client.get(f"{API}/me", headers={**bearer(token), "Origin": PORTAL})
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == PORTAL
    exposed = {
        name.strip().lower()
        for name in response.headers.get("access-control-expose-headers", "").split(",")
    }
    assert {"etag", "location", "x-request-id"} <= exposed, exposed
