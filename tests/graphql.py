"""A small GraphQL client for tests: POST a document, get `data` or the errors back."""

from typing import Any

from tests.helpers import Client


async def gql(client: Client, query: str, **variables: Any) -> dict[str, Any]:
    """Run a GraphQL document and return the whole response body (data and errors)."""
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def gql_data(client: Client, query: str, **variables: Any) -> dict[str, Any]:
    """Run a GraphQL document that must succeed and return its `data`."""
    body = await gql(client, query, **variables)
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


async def gql_error(client: Client, query: str, code: str, **variables: Any) -> dict[str, Any]:
    """Run a GraphQL document that must fail with `code`; return its first error."""
    body = await gql(client, query, **variables)
    assert body.get("errors"), body
    error: dict[str, Any] = body["errors"][0]
    assert error["extensions"]["code"] == code, error
    return error


def error_fields(error: dict[str, Any]) -> list[str]:
    """The input fields a GraphQL error names."""
    return [item["field"] for item in error["extensions"].get("errors", [])]
