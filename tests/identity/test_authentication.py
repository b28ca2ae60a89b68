"""Who may call: every API route and GraphQL need a token (GraphQL however the request is spelt),
health, docs and the GraphiQL page stay open, and a token dies with its person."""

import json
import re
import uuid
from urllib.parse import quote

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from api.core.access import Role
from tests.factories import add_member, create_person, create_team
from tests.helpers import (
    API,
    Client,
    assert_problem,
    bearer,
    issue_token,
    list_all,
    serving,
    settings_for,
)

SCHEMA_QUERY = "{__schema{types{name}}}"
VIEWER_QUERY = "{viewer{name}}"
MISSPELT = '{ produtc(slug: "x") { slug } }'


def _encoded(query: str) -> str:
    """A GET query string whose parameter name is percent-encoded (`%71uery` is `query`)."""
    return f"%71uery={quote(query, safe='')}"


def _refused_as_graphql(response_status: int, body: dict[str, object]) -> None:
    assert response_status == 401, body
    assert body["data"] is None
    errors = body["errors"]
    assert isinstance(errors, list)
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    # Nothing about the schema leaks: no types, no field suggestions.
    text = json.dumps(body)
    assert "__schema" not in text
    assert "Did you mean" not in text
    assert "Product" not in text


@pytest.mark.parametrize("path", ["/graphql", "/graphql/"])
@pytest.mark.parametrize(
    "query_string",
    [
        _encoded(SCHEMA_QUERY),
        _encoded(VIEWER_QUERY),
        f"query={quote(SCHEMA_QUERY)}",
        f"query={quote(MISSPELT)}",
        f"%71uery={quote('{ not even graphql')}",
        f"query={quote(SCHEMA_QUERY)}&operationName=",
    ],
)
async def test_graphql_by_get_needs_a_token_however_the_query_is_spelt(
    anonymous: Client, path: str, query_string: str
) -> None:
    response = await anonymous.get(f"{path}?{query_string}")
    _refused_as_graphql(response.status_code, response.json())
    # A malformed Authorization header is no token either.
    response = await anonymous.get(f"{path}?{query_string}", headers={"Authorization": "Bearer"})
    _refused_as_graphql(response.status_code, response.json())


@pytest.mark.parametrize("path", ["/graphql", "/graphql/"])
@pytest.mark.parametrize(
    "body",
    [
        {"query": SCHEMA_QUERY},
        {"query": VIEWER_QUERY},
        {"query": "{ produtc { slug } }"},
        [{"query": VIEWER_QUERY}],
    ],
)
async def test_graphql_by_post_needs_a_token(anonymous: Client, path: str, body: object) -> None:
    response = await anonymous.post(path, json=body)
    _refused_as_graphql(response.status_code, response.json())


async def test_the_graphiql_page_stays_open(anonymous: Client) -> None:
    page = await anonymous.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")


async def test_a_bad_token_on_graphql_is_401_even_for_the_page(anonymous: Client) -> None:
    response = await anonymous.get(
        "/graphql", headers={"Accept": "text/html", **bearer("pzb_" + "x" * 43)}
    )
    assert response.status_code == 401


async def test_with_a_token_graphql_by_get_answers(client: Client) -> None:
    response = await client.get(f"/graphql?{_encoded(VIEWER_QUERY)}")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["viewer"]["name"]


async def test_suggestions_are_left_out_when_introspection_is_off(migrated_database: str) -> None:
    settings = settings_for(migrated_database, graphql_introspection=False)
    async with serving(settings) as (app, anonymous):
        token = await issue_token(app, Role.VIEWER)
        response = await anonymous.post(
            "/graphql", json={"query": "{ produtc { slug } }"}, headers=bearer(token)
        )
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "Did you mean" not in error["message"], error
        assert "produtc" in error["message"]
    # With introspection on, the schema is no secret and the hint helps.
    async with serving(settings_for(migrated_database)) as (app, anonymous):
        token = await issue_token(app, Role.VIEWER)
        response = await anonymous.post(
            "/graphql", json={"query": "{ produtc { slug } }"}, headers=bearer(token)
        )
        assert "Did you mean" in response.json()["errors"][0]["message"]


async def test_routes_that_say_nothing_need_a_token(anonymous: Client) -> None:
    for path in ("/api/v1/me", "//api/v1/people", "/api/v1/people/", "/api/v1/teams?limit=1"):
        response = await anonymous.get(path)
        assert response.status_code in (401, 404), (path, response.text)
    for path in ("/healthz", "/readyz", "/schema/openapi.json"):
        assert (await anonymous.get(path)).status_code == 200, path


# A token dies with its person -------------------------------------------------------------------


async def test_archiving_a_person_stops_their_tokens_at_once(app: Litestar, client: Client) -> None:
    person = await create_person(client)
    team = (await create_team(client))["slug"]
    await add_member(client, team, person["id"])
    token = await issue_token(app, Role.CONTRIBUTOR, person_id=person["id"])
    assert (await client.get(f"{API}/me", headers=bearer(token))).status_code == 200

    archived = await client.delete(f"{API}/people/{person['id']}")
    assert archived.status_code == 204, archived.text

    me = await client.get(f"{API}/me", headers=bearer(token))
    problem = assert_problem(me, 401)
    assert "archived" in problem["detail"], problem
    # Why, but not who: a dead token may be in anyone's hands.
    assert person["email"] not in problem["detail"]
    created = await client.post(
        f"{API}/teams",
        json={"slug": "after-archive", "name": "After", "org": "x"},
        headers=bearer(token),
    )
    assert_problem(created, 401)
    graphql = await client.post("/graphql", json={"query": VIEWER_QUERY}, headers=bearer(token))
    assert graphql.status_code == 401
    assert (await client.get(f"{API}/teams/after-archive")).status_code == 404

    # The revocation is in the trail, done by whoever archived the person.
    tokens = await list_all(client, f"{API}/tokens", include_revoked="true")
    mine = next(t for t in tokens if t["person_id"] == person["id"])
    assert mine["revoked_at"] is not None
    events = await list_all(client, f"{API}/audit-events", record_id=mine["id"])
    assert [e["action"] for e in events] == ["create", "revoke"]
    assert events[-1]["actor"] == "test-admin"


# Open routes, and routes that need a token ---------------------------------------------------


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
        # A whole number where the route takes one (a revision), else a UUID (it takes any text).
        numbered = re.sub(r"\{[^}:]+:int\}", "1", route.path)
        path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), numbered)
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
