"""A CI token reads the products it lists, and learns nothing of any other."""

from litestar import Litestar

from api.core.access import Role
from tests.factories import unique
from tests.helpers import API, Client, assert_problem, bearer
from tests.identity.world import build_world, gql_as


async def test_ci_token_reads_only_its_products(app: Litestar, client: Client) -> None:
    world = await build_world(app, client)
    ci = bearer(world.tokens[Role.CI])
    listed, unlisted = world.own.product, world.foreign.product

    response = await client.get(f"{API}/products/{listed}", headers=ci)
    assert response.status_code == 200, response.text
    assert response.json()["slug"] == listed
    page = await client.get(f"{API}/products", headers=ci)
    assert [item["slug"] for item in page.json()["items"]] == [listed]
    filtered = await client.get(f"{API}/products", params={"team": world.foreign.team}, headers=ci)
    assert filtered.json()["items"] == []
    assert_problem(await client.get(f"{API}/products/{unlisted}", headers=ci), 404)
    assert_problem(await client.get(f"{API}/products/{unlisted}/changes", headers=ci), 404)

    for path in (
        f"{API}/teams",
        f"{API}/teams/{world.own.team}",
        f"{API}/people",
        f"{API}/people/{world.subject_id}",
        f"{API}/audit-events",
        f"{API}/tokens",
    ):
        assert_problem(await client.get(path, headers=ci), 403)
    assert_problem(
        await client.patch(f"{API}/products/{listed}", json={"summary": "x"}, headers=ci), 403
    )
    assert_problem(await client.delete(f"{API}/products/{listed}", headers=ci), 403)
    assert_problem(
        await client.post(
            f"{API}/products",
            json={
                "slug": unique("ci"),
                "name": "X",
                "team": world.own.team,
                "data_classification": "public",
            },
            headers=ci,
        ),
        403,
    )

    token = world.tokens[Role.CI]
    body = await gql_as(
        client,
        token,
        "query($listed: String!) { product(slug: $listed) { slug }"
        " products { totalCount edges { node { slug } } } }",
        listed=listed,
    )
    assert "errors" not in body, body
    assert body["data"]["product"] == {"slug": listed}
    assert body["data"]["products"]["totalCount"] == 1
    assert [edge["node"]["slug"] for edge in body["data"]["products"]["edges"]] == [listed]

    body = await gql_as(
        client, token, "query($s: String!) { product(slug: $s) { slug } }", s=unlisted
    )
    assert body["data"] == {"product": None}
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    for query in (
        "{ teams { totalCount } }",
        "{ people { totalCount } }",
        "{ auditEvents { totalCount } }",
    ):
        body = await gql_as(client, token, query)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    # Following a relation it may not read is refused too, field by field.
    body = await gql_as(
        client, token, "query($s: String!) { product(slug: $s) { slug team { slug } } }", s=listed
    )
    assert body["data"]["product"] == {"slug": listed, "team": None}
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Also where a page of the list brings its teams and rosters along with the products.
    body = await gql_as(
        client,
        token,
        "{ products { edges { node { slug team { members { person { email } } } } } } }",
    )
    assert body["data"]["products"]["edges"] == [{"node": {"slug": listed, "team": None}}]
    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]


async def test_ci_token_learns_nothing_about_products_it_does_not_list(
    app: Litestar, client: Client
) -> None:
    world = await build_world(app, client)
    ci = bearer(world.tokens[Role.CI])
    unlisted, missing = world.foreign.product, unique("no-such-product")

    hidden = assert_problem(await client.get(f"{API}/products/{unlisted}", headers=ci), 404)
    absent = assert_problem(await client.get(f"{API}/products/{missing}", headers=ci), 404)
    # The same answer as for a product that does not exist, but for the slug it asked about.
    assert hidden["detail"].replace(unlisted, "<slug>") == absent["detail"].replace(
        missing, "<slug>"
    )
    query = "query($s: String!) { product(slug: $s) { slug } }"
    hidden_error = (await gql_as(client, world.tokens[Role.CI], query, s=unlisted))["errors"][0]
    absent_error = (await gql_as(client, world.tokens[Role.CI], query, s=missing))["errors"][0]
    assert hidden_error["message"].replace(unlisted, "<slug>") == absent_error["message"].replace(
        missing, "<slug>"
    )
