"""What every list shares: bounded pages, cursors that belong to one list, one value per filter,
and case-insensitive search beyond ASCII."""

import base64
import json

import pytest

from tests.factories import create_person, create_product, create_team
from tests.graphql import error_fields, gql_data, gql_error
from tests.helpers import (
    API,
    Client,
    assert_problem,
    list_all,
)

PRODUCTS = f"{API}/products"


async def _list_paths(client: Client) -> list[str]:
    team = await create_team(client)
    product = await create_product(client, team=team["slug"])
    return [
        f"{API}/people",
        f"{API}/teams",
        f"{API}/teams/{team['slug']}/members",
        f"{API}/products",
        f"{API}/products/{product['slug']}/changes",
        f"{API}/products/{product['slug']}/checkpoints",
    ]


async def test_every_list_bounds_its_limit(client: Client) -> None:
    for path in await _list_paths(client):
        for limit in ("0", "201"):
            response = await client.get(path, params={"limit": limit})
            assert_problem(response, (400, 422), field="limit")
        assert (await client.get(path, params={"limit": "200"})).status_code == 200


async def test_every_list_refuses_a_cursor_it_did_not_issue(client: Client) -> None:
    for path in await _list_paths(client):
        response = await client.get(path, params={"cursor": "not-a-cursor"})
        assert_problem(response, 400, field="cursor")


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


def _cursor_as_issued_before(record_id: str, kind: str) -> str:
    # How cursors were written when they were first issued: they stay valid across releases.
    raw = json.dumps({"after": record_id, "kind": kind}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def test_cursors_keep_their_format(client: Client) -> None:
    team = await create_team(client)
    products = [await create_product(client, team=team["slug"]) for _ in range(3)]
    page = (await client.get(PRODUCTS, params={"limit": 1})).json()
    assert page["next_cursor"] == _cursor_as_issued_before(products[0]["id"], "products")
    query = (
        "query($after: String) { products(first: 1, after: $after) "
        "{ edges { cursor node { slug } } pageInfo { endCursor } } }"
    )
    connection = (await gql_data(client, query, after=None))["products"]
    assert connection["edges"][0]["cursor"] == page["next_cursor"]
    assert connection["pageInfo"]["endCursor"] == page["next_cursor"]
    # A cursor written the old way reads the next page, in REST and GraphQL alike.
    issued = _cursor_as_issued_before(products[1]["id"], "products")
    rest = (await client.get(PRODUCTS, params={"cursor": issued})).json()
    assert [item["slug"] for item in rest["items"]] == [products[2]["slug"]]
    connection = (await gql_data(client, query, after=issued))["products"]
    assert [edge["node"]["slug"] for edge in connection["edges"]] == [products[2]["slug"]]


async def test_people_search_folds_non_ascii_case(client: Client) -> None:
    zoe = await create_person(client, name="Zoë Ångström", email="zoe@example.com")
    await create_person(client, name="Zoe Angstrom", email="plain@example.com")
    for query in ("ZOË", "ångström", "ÅNGSTRÖM", "zoë ång"):
        found = await list_all(client, f"{API}/people", q=query)
        assert [person["id"] for person in found] == [zoe["id"]], query


async def test_org_filters_fold_non_ascii_case(client: Client) -> None:
    person = await create_person(client, home_org="Ökonomie")
    await create_person(client, home_org="Okonomie")
    team = await create_team(client, org="Ökonomie")
    await create_team(client, org="Okonomie")
    product = await create_product(client, team=team["slug"])
    for org in ("ÖKONOMIE", "ökonomie", "Ökonomie"):
        people = await list_all(client, f"{API}/people", org=org)
        assert [p["id"] for p in people] == [person["id"]], org
        teams = await list_all(client, f"{API}/teams", org=org)
        assert [t["slug"] for t in teams] == [team["slug"]], org
        products = await list_all(client, PRODUCTS, org=org)
        assert [p["slug"] for p in products] == [product["slug"]], org


async def test_team_and_product_search_fold_non_ascii_case(client: Client) -> None:
    team = await create_team(client, name="Équipe Über", mission="Straße bauen")
    product = await create_product(client, team=team["slug"], name="Ölpreis Rechner")
    assert [t["slug"] for t in await list_all(client, f"{API}/teams", q="éQUIPE")] == [team["slug"]]
    assert [t["slug"] for t in await list_all(client, f"{API}/teams", q="ÜBER")] == [team["slug"]]
    assert [p["slug"] for p in await list_all(client, PRODUCTS, q="ÖLPREIS")] == [product["slug"]]


@pytest.mark.parametrize(
    ("path", "query", "names"),
    [
        pytest.param("/products", "stagee=building", ["stagee"], id="misspelt filter"),
        pytest.param("/teams", "org=retail&limt=5&sort=name", ["limt", "sort"], id="two unknown"),
        pytest.param("/people", "LIMIT=5", ["LIMIT"], id="names are case-sensitive"),
    ],
)
async def test_an_unknown_query_parameter_is_400_naming_it(
    client: Client, path: str, query: str, names: list[str]
) -> None:
    response = await client.get(f"{API}{path}?{query}")
    problem = assert_problem(response, 400)
    assert [error["field"] for error in problem["errors"]] == names, problem
    for name in names:
        assert name in problem["detail"], problem


async def test_a_misspelt_filter_never_returns_everything(client: Client) -> None:
    team = await create_team(client)
    await create_product(client, team=team["slug"])
    assert (await client.get(PRODUCTS, params={"stage": "building"})).json()["items"] == []
    misspelt = await client.get(PRODUCTS, params={"stagee": "building"})
    assert_problem(misspelt, 400, field="stagee")
