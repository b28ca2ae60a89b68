"""Prometheus metrics at /metrics: off unless turned on; requests by route template and status,
database connections, GraphQL operations by name; for a scraper's token alone when one is set."""

import os
import secrets
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from api.core.access import Role
from api.core.config import PROMETHEUS_MULTIPROC_DIR
from tests.factories import create_team
from tests.helpers import (
    API,
    Client,
    assert_problem,
    bearer,
    issue_token,
    serve_until_up,
    serving,
    settings_for,
)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: Client) -> Samples:
    """Every sample /metrics exposes, by name and labels."""
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value; 0 when it has not been exposed yet."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def requests(path: str, status: int, method: str = "GET") -> dict[str, str]:
    """The labels of the request metrics for one route and status."""
    return {"app_name": "pizzabox", "method": method, "path": path, "status_code": str(status)}


async def test_metrics_are_off_unless_turned_on(migrated_database: str) -> None:
    async with serving(settings_for(migrated_database)) as (app, client):
        token = await issue_token(app, Role.ADMIN)
        assert_problem(await client.get("/metrics", headers=bearer(token)), 404)


async def test_requests_are_counted_by_route_template_and_status(migrated_database: str) -> None:
    async with serving(settings_for(migrated_database, metrics=True)) as (app, client):
        client.headers.update(bearer(await issue_token(app, Role.ADMIN)))
        template = f"{API}/teams/{{slug}}"
        before = await scrape(client)

        slug = (await create_team(client))["slug"]
        for _ in range(3):
            assert (await client.get(f"{API}/teams/{slug}")).status_code == 200
        assert (await client.get(f"{API}/teams/no-such-team")).status_code == 404
        # Refused by the authentication middleware, before any handler: counted as what it was.
        refused = await client.get(f"{API}/teams/{slug}", headers=bearer("pzb_not-a-token"))
        assert refused.status_code == 401

        after = await scrape(client)
        counted = "pizzabox_requests_total"
        assert (
            value(after, counted, **requests(template, 200))
            - value(before, counted, **requests(template, 200))
            == 3
        )
        assert (
            value(after, counted, **requests(template, 404))
            - value(before, counted, **requests(template, 404))
            == 1
        )
        assert (
            value(after, counted, **requests(template, 401))
            - value(before, counted, **requests(template, 401))
            == 1
        )
        assert value(after, counted, **requests(f"{API}/teams", 201, "POST")) >= 1
        # One series per route, never one per record.
        assert not any(slug in str(labels) for _, labels in after)
        # Latency, in a histogram per route and status.
        assert (
            value(after, "pizzabox_request_duration_seconds_count", **requests(template, 200))
            - value(before, "pizzabox_request_duration_seconds_count", **requests(template, 200))
            == 3
        )
        assert (
            value(
                after,
                "pizzabox_request_duration_seconds_bucket",
                le="+Inf",
                **requests(template, 200),
            )
            >= 3
        )
        # Nothing is in progress between requests; a running request has no status yet.
        running = {"app_name": "pizzabox", "method": "GET", "path": template}
        assert ("pizzabox_requests_in_progress", frozenset(running.items())) in after
        assert value(after, "pizzabox_requests_in_progress", **running) == 0
        # Scrapes are not counted.
        assert not any("/metrics" in str(labels) for _, labels in after)


async def test_database_pool_is_measured(migrated_database: str) -> None:
    async with serving(settings_for(migrated_database, metrics=True)) as (app, client):
        samples = await scrape(client)
        # This app's pool (SQLite's default, five; PIZZABOX_DATABASE_POOL_SIZE on PostgreSQL) is
        # part of the total of the process's apps, and nothing holds a connection during a scrape.
        assert value(samples, "pizzabox_db_pool_size") >= app.state.engine.pool.size()
        assert value(samples, "pizzabox_db_pool_connections_in_use") == 0


async def test_graphql_operations_are_counted_by_name(migrated_database: str) -> None:
    async with serving(settings_for(migrated_database, metrics=True)) as (app, client):
        token = await issue_token(app, Role.VIEWER)
        name = f"Viewer{secrets.token_hex(4)}"
        counted = "pizzabox_graphql_operations_total"
        for _ in range(2):
            response = await client.post(
                "/graphql",
                json={"query": f"query {name} {{ viewer {{ name }} }}"},
                headers=bearer(token),
            )
            assert response.status_code == 200, response.text
            assert "errors" not in response.json()
        response = await client.post(
            "/graphql",
            json={"query": f"query {name}Broken {{ team(slug: 1) {{ name }} }}"},
            headers=bearer(token),
        )
        assert response.json()["errors"]

        samples = await scrape(client)
        assert value(samples, counted, operation=name, type="query", outcome="ok") == 2
        broken = {"operation": f"{name}Broken", "type": "query", "outcome": "error"}
        assert value(samples, counted, **broken) == 1
        graphql = requests("/graphql", 200, "POST")
        assert value(samples, "pizzabox_requests_total", **graphql) >= 3


async def test_a_metrics_token_closes_metrics_to_everyone_else(migrated_database: str) -> None:
    scraper = secrets.token_hex(32)
    settings = settings_for(migrated_database, metrics=True, metrics_token=scraper)
    async with serving(settings) as (app, client):
        api_token = await issue_token(app, Role.ADMIN)
        for headers in ({}, bearer(api_token), bearer(scraper[:-1]), {"Authorization": scraper}):
            refused = await client.get("/metrics", headers=headers)
            assert_problem(refused, 401)
            assert refused.headers["www-authenticate"].startswith("Bearer")
        assert (
            "pizzabox_requests_total"
            in (await client.get("/metrics", headers=bearer(scraper))).text
        )


async def test_metrics_stay_out_of_the_api_document(migrated_database: str) -> None:
    async with serving(settings_for(migrated_database, metrics=True)) as (_, client):
        document = (await client.get("/schema/openapi.json")).json()
        assert "/metrics" not in document["paths"]


def test_a_metrics_directory_given_to_serve_is_emptied_and_used(
    migrated_database: str, tmp_path: Path
) -> None:
    # prometheus-client's multiprocess mode, as an operator sets it up for another supervisor.
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_1.db").write_bytes(b"left by a run before")
    environment = {
        **os.environ,
        "PIZZABOX_DATABASE_URL": migrated_database,
        "PIZZABOX_METRICS": "true",
        "PIZZABOX_LOG_LEVEL": "WARNING",
        PROMETHEUS_MULTIPROC_DIR: str(directory),
    }
    environment.pop("PIZZABOX_WORKERS", None)
    server = serve_until_up(environment, tmp_path / "serve.log")
    try:
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            for _ in range(3):
                assert client.get(f"{API}/me").status_code == 401
            scraped = client.get("/metrics")
    finally:
        server.stop()
    assert scraped.status_code == 200, scraped.text
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(scraped.text)
        for sample in family.samples
    }
    assert value(samples, "pizzabox_requests_total", **requests(f"{API}/me", 401)) == 3
    assert value(samples, "pizzabox_db_pool_size") > 0
    assert not (directory / "counter_1.db").exists()
