"""Abusive GraphQL queries are refused before they reach the database, and introspection can be
switched off."""

from graphql import parse
from litestar import Litestar

from api.core.access import Role
from api.core.graphql_guards import ValidDocuments
from tests.factories import create_product, create_team
from tests.graphql import gql_data, gql_error
from tests.helpers import (
    Client,
    app_engine,
    bearer,
    count_statements,
    issue_token,
    serving,
    settings_for,
)


async def test_deep_query_is_refused_without_sql(app: Litestar, client: Client) -> None:
    nested = "team { products { " * 6 + "slug" + " } }" * 6
    # Refused each time it is sent: only documents found valid are kept for the next request.
    for _ in range(2):
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


async def test_a_document_sent_again_answers_for_its_new_variables(client: Client) -> None:
    team = await create_team(client)
    slugs = [(await create_product(client, team=team["slug"]))["slug"] for _ in range(3)]
    query = (
        "query Page($after: String) { products(first: 2, after: $after) "
        "{ edges { node { slug } } pageInfo { endCursor } } }"
    )
    first = (await gql_data(client, query, after=None))["products"]
    second = (await gql_data(client, query, after=first["pageInfo"]["endCursor"]))["products"]
    assert [edge["node"]["slug"] for edge in first["edges"]] == slugs[:2]
    assert [edge["node"]["slug"] for edge in second["edges"]] == slugs[2:]
    # Bad variables are refused each time, though the document was valid.
    for _ in range(2):
        await gql_error(client, query, "BAD_USER_INPUT", after="not-a-cursor")


def test_valid_documents_keep_the_most_recently_used() -> None:
    documents = ValidDocuments(size=2)
    for text in ("{ a }", "{ b }"):
        documents.keep(text, parse(text))
    assert documents.get("{ a }") is not None  # now the most recently used
    documents.keep("{ c }", parse("{ c }"))
    assert documents.get("{ b }") is None
    assert documents.get("{ a }") is not None
    assert documents.get("{ c }") is not None


def test_valid_documents_never_keep_a_long_text() -> None:
    # A valid document padded with a long literal or comment: parsed and validated each time.
    documents = ValidDocuments(size=2, longest=100)
    long = '{ product(slug: "' + "x" * 100 + '") { slug } }'
    documents.keep(long, parse(long))
    assert documents.get(long) is None
    documents.keep("{ a }", parse("{ a }"))
    assert documents.get("{ a }") is not None


async def test_introspection_when_off_is_refused_every_time(migrated_database: str) -> None:
    query = "query Types { __schema { types { name } } }"
    async with serving(settings_for(migrated_database, graphql_introspection=False)) as (
        app,
        anonymous,
    ):
        token = bearer(await issue_token(app, Role.VIEWER))
        for _ in range(2):
            response = await anonymous.post("/graphql", json={"query": query}, headers=token)
            assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # Another app, whose schema allows it, keeps documents of its own.
    async with serving(settings_for(migrated_database)) as (app, anonymous):
        token = bearer(await issue_token(app, Role.VIEWER))
        for _ in range(2):
            response = await anonymous.post("/graphql", json={"query": query}, headers=token)
            assert response.json()["data"]["__schema"]["types"], response.text


async def test_an_error_quotes_at_most_a_little_of_what_was_sent(client: Client) -> None:
    error = await gql_error(client, '{ product(slug: "' + "x" * 5000 + '") { slug } }', "NOT_FOUND")
    assert len(error["message"]) <= 500
    assert error["message"].endswith("…")
