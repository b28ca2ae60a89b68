"""Abusive GraphQL queries are refused before they reach the database, and introspection can be
switched off."""

import pytest
from litestar import Litestar

from api.core.access import Role
from api.people import service as people_service
from tests.graphql import gql_error
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


async def test_an_unexpected_error_is_masked_and_logged_with_the_request_id(
    client: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret detail from deep inside")

    # Not the database: a bug in our own code, which no request can provoke on purpose.
    monkeypatch.setattr(people_service, "list_people", broken)
    response = await client.post(
        "/graphql",
        json={"query": "{ people { totalCount } }"},
        headers={"X-Request-ID": "report-me-42"},
    )
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "secret detail" not in response.text
    assert response.headers["x-request-id"] == "report-me-42"
    logged = [record for record in caplog.records if record.name == "api.graphql"]
    assert any("request_id=report-me-42" in record.getMessage() for record in logged), logged


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
