"""The OpenAPI document: served, documented filters, an explicit camelCase operationId per route,
and GraphQL kept out of it."""

import re

from litestar import Litestar
from litestar.routes import HTTPRoute

from tests.helpers import API, Client

ANONYMOUS = {"Authorization": ""}


async def test_openapi_document_is_served(client: Client) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    for path in ("/api/v1/people", "/api/v1/teams/{slug}/members", "/api/v1/products/{slug}"):
        assert path in document["paths"], sorted(document["paths"])
    operation_ids = [
        operation["operationId"]
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    ]
    assert len(operation_ids) == len(set(operation_ids))


def test_every_rest_route_has_an_explicit_operation_id(app: Litestar) -> None:
    missing = []
    checked = 0
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(
            (API, "/healthz", "/readyz")
        ):
            continue
        for handler in route.route_handlers:
            if handler.http_methods == {"OPTIONS"}:
                continue  # Litestar's own CORS preflight handler
            checked += 1
            if not isinstance(handler.operation_id, str) or not handler.operation_id:
                missing.append(f"{sorted(handler.http_methods)} {route.path}")
    assert checked >= 20
    assert missing == []


def test_operation_ids_are_camel_case(app: Litestar) -> None:
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path.startswith(API):
            for handler in route.route_handlers:
                if isinstance(handler.operation_id, str):
                    assert re.fullmatch(r"[a-z][A-Za-z0-9]*", handler.operation_id)


async def test_openapi_ui_and_documented_filters(client: Client) -> None:
    assert (await client.get("/schema")).status_code == 200
    document = (await client.get("/schema/openapi.json")).json()
    expected = {
        ("/api/v1/people", "get"): {"limit", "cursor", "org", "job_family", "q"},
        ("/api/v1/teams", "get"): {"limit", "cursor", "org", "q", "include_archived"},
        ("/api/v1/products", "get"): {
            "limit", "cursor", "stage", "team", "data_classification", "org", "q",
            "include_archived",
        },
        ("/api/v1/teams/{slug}/members", "get"): {"limit", "cursor", "at", "include_ended"},
    }  # fmt: skip
    for (path, method), names in expected.items():
        operation = document["paths"][path][method]
        documented = {parameter["name"] for parameter in operation.get("parameters", [])}
        assert names <= documented, (path, names - documented)


async def test_graphql_is_not_an_openapi_path(client: Client) -> None:
    response = await client.get("/schema/openapi.json", headers=ANONYMOUS)
    assert response.status_code == 200, response.text
    paths = response.json()["paths"]
    assert not [path for path in paths if path.startswith("/graphql")], sorted(paths)
    assert f"{API}/products" in paths  # the REST API is still documented
    # GraphQL itself still answers.
    assert (await client.post("/graphql", json={"query": "{ viewer { name } }"})).status_code == 200
