"""HTTP semantics a client relies on, pinned after review: HEAD, repeated query parameters,
cursors that belong to one list, strong If-Match, GraphQL kept out of OpenAPI, and CORS headers
a browser may read."""

from typing import Any, cast

import httpx
import pytest

from api.app import create_app
from api.core.access import Role
from api.core.config import Settings
from tests.factories import create_person, create_product, create_team
from tests.graphql import error_fields, gql_data, gql_error
from tests.helpers import API, Client, assert_problem, bearer, issue_token, running_lifespan

PRODUCTS = f"{API}/products"
ANONYMOUS = {"Authorization": ""}


# HEAD -----------------------------------------------------------------------------------------


async def assert_head_mirrors_get(client: Client, path: str, **params: Any) -> httpx.Response:
    """HEAD answers as GET does (status, ETag, Content-Length, Content-Type) with no body."""
    got = await client.get(path, params=params)
    head = await client.head(path, params=params)
    assert head.status_code == got.status_code, (path, head.status_code, got.status_code)
    assert head.content == b"", (path, head.content)
    for name in ("etag", "content-length", "content-type"):
        assert head.headers.get(name) == got.headers.get(name), (path, name)
    assert head.headers["content-length"] == str(len(got.content)), path
    return head


async def test_head_answers_health_like_get(client: Client) -> None:
    head = await assert_head_mirrors_get(client, "/healthz")
    assert head.status_code == 200


async def test_head_answers_a_record_with_its_etag(client: Client) -> None:
    product = await create_product(client)
    head = await assert_head_mirrors_get(client, f"{PRODUCTS}/{product['slug']}")
    assert head.status_code == 200
    assert head.headers["etag"] == f'"{product["id"]}:{product["version"]}"'


async def test_head_answers_a_list(client: Client) -> None:
    for _ in range(3):
        await create_person(client)
    head = await assert_head_mirrors_get(client, f"{API}/people", limit=2)
    assert head.status_code == 200
    assert int(head.headers["content-length"]) > 0


async def test_head_of_an_unknown_record_is_404_without_a_body(client: Client) -> None:
    await assert_head_mirrors_get(client, f"{PRODUCTS}/no-such-product")
    assert (await client.head(f"{PRODUCTS}/no-such-product")).status_code == 404


async def test_head_without_a_token_is_401(client: Client) -> None:
    for path in (f"{API}/me", PRODUCTS, f"{API}/people"):
        head = await client.head(path, headers=ANONYMOUS)
        got = await client.get(path, headers=ANONYMOUS)
        assert head.status_code == got.status_code == 401, (path, head.status_code)
        assert head.content == b""


# Repeated query parameters --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query", "name"),
    [
        pytest.param("/products", "stage=idea&stage=building", "stage", id="products stage"),
        pytest.param("/products", "org=a&org=b", "org", id="products org"),
        pytest.param("/people", "org=a&org=b", "org", id="people org"),
        pytest.param("/teams", "org=a&org=a", "org", id="teams org, same value twice"),
        pytest.param("/people", "limit=1&limit=2", "limit", id="people limit"),
    ],
)
async def test_a_repeated_query_parameter_is_400_naming_it(
    client: Client, path: str, query: str, name: str
) -> None:
    response = await client.get(f"{API}{path}?{query}")
    problem = assert_problem(response, 400, field=name)
    assert name in problem["detail"], problem


async def test_a_repeated_filter_is_not_silently_narrowed_to_its_last_value(
    client: Client,
) -> None:
    team_a = await create_team(client, org="alpha")
    team_b = await create_team(client, org="beta")
    await create_product(client, team=team_a["slug"])
    await create_product(client, team=team_b["slug"])
    # Each filter alone works; together they are refused rather than quietly one of them.
    for org in ("alpha", "beta"):
        alone = await client.get(PRODUCTS, params={"org": org})
        assert alone.status_code == 200, alone.text
        assert len(alone.json()["items"]) == 1
    both = await client.get(PRODUCTS, params=[("org", "alpha"), ("org", "beta")])
    assert_problem(both, 400, field="org")


# Cursors belong to one list -------------------------------------------------------------------


async def test_a_people_cursor_is_refused_by_the_products_list(client: Client) -> None:
    for _ in range(2):
        await create_person(client)
    for _ in range(2):
        await create_product(client)
    people_cursor = (await client.get(f"{API}/people", params={"limit": 1})).json()["next_cursor"]
    assert people_cursor is not None
    # The cursor still works on its own list ...
    assert (await client.get(f"{API}/people", params={"cursor": people_cursor})).status_code == 200
    # ... but not on another, where it would silently skip rows.
    response = await client.get(PRODUCTS, params={"cursor": people_cursor})
    assert_problem(response, 400, field="cursor")


async def test_a_products_cursor_is_refused_by_graphql_teams(client: Client) -> None:
    team = await create_team(client)
    for _ in range(2):
        await create_product(client, team=team["slug"])
    await create_team(client)
    products_cursor = (await client.get(PRODUCTS, params={"limit": 1})).json()["next_cursor"]
    assert products_cursor is not None
    error = await gql_error(
        client,
        "query($after: String) { teams(first: 1, after: $after) { edges { node { slug } } } }",
        "BAD_USER_INPUT",
        after=products_cursor,
    )
    # GraphQL lists name the cursor as REST does (see tests/products/test_graphql.py).
    assert error_fields(error) == ["cursor"], error


async def test_a_graphql_teams_cursor_pages_teams(client: Client) -> None:
    # The control: the connection's own cursor is accepted by the same query.
    for _ in range(2):
        await create_team(client)
    query = (
        "query($after: String) { teams(first: 1, after: $after) "
        "{ edges { cursor node { slug } } } }"
    )
    first = (await gql_data(client, query, after=None))["teams"]["edges"]
    second = (await gql_data(client, query, after=first[0]["cursor"]))["teams"]["edges"]
    assert len(first) == len(second) == 1
    assert first[0]["node"]["slug"] != second[0]["node"]["slug"]


# If-Match compares strongly -------------------------------------------------------------------


async def test_a_weak_if_match_is_412_and_changes_nothing(client: Client) -> None:
    product = await create_product(client, name="Before")
    path = f"{PRODUCTS}/{product['slug']}"
    strong = (await client.get(path)).headers["etag"]
    assert strong == f'"{product["id"]}:{product["version"]}"'

    weak = await client.patch(path, json={"name": "Weakly"}, headers={"If-Match": f"W/{strong}"})
    assert_problem(weak, 412)
    after = await client.get(path)
    assert after.json()["name"] == "Before"
    assert after.json()["version"] == product["version"]
    assert after.headers["etag"] == strong

    ok = await client.patch(path, json={"name": "Strongly"}, headers={"If-Match": strong})
    assert ok.status_code == 200, ok.text
    assert ok.json()["name"] == "Strongly"
    assert ok.json()["version"] == product["version"] + 1


# GraphQL stays out of OpenAPI -----------------------------------------------------------------


async def test_graphql_is_not_an_openapi_path(client: Client) -> None:
    response = await client.get("/schema/openapi.json", headers=ANONYMOUS)
    assert response.status_code == 200, response.text
    paths = response.json()["paths"]
    assert not [path for path in paths if path.startswith("/graphql")], sorted(paths)
    assert f"{API}/products" in paths  # the REST API is still documented
    # GraphQL itself still answers.
    assert (await client.post("/graphql", json={"query": "{ viewer { name } }"})).status_code == 200


# CORS -----------------------------------------------------------------------------------------

PORTAL = "https://portal.example"


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
