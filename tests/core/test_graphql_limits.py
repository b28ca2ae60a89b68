"""Abusive GraphQL queries are refused before they reach the database, and introspection can be
switched off."""

from litestar import Litestar

from tests.graphql import gql_error
from tests.helpers import (
    Client,
    app_engine,
    count_statements,
)


async def test_deep_query_is_refused_without_sql(app: Litestar, client: Client) -> None:
    nested = "team { products { " * 6 + "slug" + " } }" * 6
    with count_statements(app_engine(app)) as counter:
        error = await gql_error(
            client, f"{{ products {{ edges {{ node {{ {nested} }} }} }} }}", "BAD_USER_INPUT"
        )
    assert "depth" in error["message"]
    assert counter.count == 0


async def test_too_many_aliases_are_refused_without_sql(app: Litestar, client: Client) -> None:
    aliases = " ".join(f"a{number}: products {{ totalCount }}" for number in range(40))
    with count_statements(app_engine(app)) as counter:
        error = await gql_error(client, f"{{ {aliases} }}", "BAD_USER_INPUT")
    assert "aliases" in error["message"]
    assert counter.count == 0


async def test_huge_documents_are_refused_without_sql(app: Litestar, client: Client) -> None:
    fields = " ".join(["slug"] * 3000)
    with count_statements(app_engine(app)) as counter:
        error = await gql_error(
            client, f"{{ products {{ edges {{ node {{ {fields} }} }} }} }}", "BAD_USER_INPUT"
        )
    assert "token" in error["message"].lower()
    assert counter.count == 0


async def test_page_size_over_the_maximum_is_refused_without_sql(
    app: Litestar, client: Client
) -> None:
    with count_statements(app_engine(app)) as counter:
        error = await gql_error(client, "{ teams(first: 201) { totalCount } }", "BAD_USER_INPUT")
    assert error["extensions"]["errors"] == [
        {"field": "first", "message": "must be between 1 and 200"}
    ]
    assert counter.count == 0


async def test_unknown_fields_are_bad_input(client: Client) -> None:
    error = await gql_error(client, "{ products { edges { node { secret } } } }", "BAD_USER_INPUT")
    assert "secret" in error["message"]


async def test_graphiql_page_is_served_to_browsers(client: Client) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_text_the_database_cannot_store_is_bad_input(client: Client) -> None:
    await gql_error(client, '{ product(slug: "nul\\u0000") { slug } }', "BAD_USER_INPUT")
    await gql_error(
        client, '{ products(filter: {q: "a\\u0000"}) { totalCount } }', "BAD_USER_INPUT"
    )
