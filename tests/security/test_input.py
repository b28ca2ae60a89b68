"""Odd input is refused with a 4xx naming what is wrong, never a 5xx, never silently reread."""

import json
from typing import Any

import pytest

from tests.factories import create_team
from tests.graphql import error_fields, gql
from tests.helpers import API, Client, assert_problem

# Each overflows datetime's range once converted to UTC, where Pizzabox keeps every instant.
OVERFLOWING = [
    "9999-12-31T23:59:59-00:01",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00+00:01",
]


# Dates that overflow in UTC ------------------------------------------------------------------


@pytest.mark.parametrize("moment", OVERFLOWING)
async def test_token_expiry_that_overflows_is_422(client: Client, moment: str) -> None:
    response = await client.post(
        f"{API}/tokens", json={"name": "late", "role": "viewer", "expires_at": moment}
    )
    assert_problem(response, 422, field="expires_at")


@pytest.mark.parametrize("moment", OVERFLOWING)
async def test_size_exception_expiry_that_overflows_is_422(client: Client, moment: str) -> None:
    team = (await create_team(client))["slug"]
    response = await client.put(
        f"{API}/teams/{team}/size-exception",
        json={"max_size": 12, "justification": "a large platform team", "expires_at": moment},
    )
    assert_problem(response, 422, field="expires_at")
    assert (await client.get(f"{API}/teams/{team}/size-exception")).status_code == 404


@pytest.mark.parametrize("moment", OVERFLOWING)
@pytest.mark.parametrize("parameter", ["since", "until"])
async def test_audit_window_that_overflows_is_422(
    client: Client, moment: str, parameter: str
) -> None:
    response = await client.get(f"{API}/audit-events", params={parameter: moment})
    assert_problem(response, 422, field=parameter)


@pytest.mark.parametrize(
    "moment",
    [
        "2026-W01-1T00:00:00Z",
        "20260101T000000Z",
        "2026-01-01T00Z",
        "2026-01-01 00:00:00Z",
        "2026-01-01T00:00:00",
        "\uff12\uff10\uff12\uff16-01-01T00:00:00Z",
        "2026-01-01T00:00:00.1234567Z",
    ],
)
async def test_audit_window_is_rfc_3339_and_nothing_else(client: Client, moment: str) -> None:
    response = await client.get(f"{API}/audit-events", params={"since": moment})
    assert_problem(response, 422, field="since")


@pytest.mark.parametrize("moment", OVERFLOWING)
async def test_graphql_times_that_overflow_are_bad_user_input(client: Client, moment: str) -> None:
    body = await gql(
        client,
        "query($since: DateTime) { auditEvents(filter: {since: $since}) { totalCount } }",
        since=moment,
    )
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error_fields(error) == ["since"]

    team = (await create_team(client))["slug"]
    body = await gql(
        client,
        "mutation($slug: String!, $at: DateTime) { grantTeamSizeException(input: "
        '{team: $slug, maxSize: 12, justification: "a large platform team", expiresAt: $at})'
        " { maxSize } }",
        slug=team,
        at=moment,
    )
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error_fields(error) == ["expiresAt"]


# Lone surrogates in GraphQL ------------------------------------------------------------------


SURROGATE_QUERIES = [
    "query($q: String) { people(filter: {q: $q}) { totalCount } }",
    "query($q: String) { people(filter: {org: $q}) { totalCount } }",
    "query($q: String!) { product(slug: $q) { slug } }",
    "query($q: String!) { team(slug: $q) { slug } }",
    "query($q: String) { person(email: $q) { name } }",
    "query($q: String) { auditEvents(filter: {actor: $q}) { totalCount } }",
]


@pytest.mark.parametrize("query", SURROGATE_QUERIES)
@pytest.mark.parametrize("text", ["\ud800", "a\udfffb"], ids=["high", "low-inside"])
async def test_lone_surrogates_in_graphql_variables_are_bad_user_input(
    client: Client, query: str, text: str
) -> None:
    # Sent as the JSON escape a client writes (`\ud800`): the text is no Unicode at all.
    payload = json.dumps({"query": query, "variables": {"q": text}})
    response = await client.post(
        "/graphql", content=payload, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert "surrogate" in error["message"]


@pytest.mark.parametrize(
    "query",
    [
        '{ people(filter: {q: "\\ud800"}) { totalCount } }',
        '{ team(slug: "x\\udc00") { slug } }',
        '{ auditEvents(filter: {actor: "\\ud83d"}) { totalCount } }',
    ],
)
async def test_lone_surrogates_in_graphql_literals_are_bad_user_input(
    client: Client, query: str
) -> None:
    body = await gql(client, query)
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error


async def test_a_whole_surrogate_pair_is_an_ordinary_character(client: Client) -> None:
    payload = json.dumps({"query": SURROGATE_QUERIES[0], "variables": {"q": "\U0001f355"}})
    response = await client.post(
        "/graphql", content=payload, headers={"Content-Type": "application/json"}
    )
    assert response.json() == {"data": {"people": {"totalCount": 0}}}


# Patterns match the whole value -------------------------------------------------------------

TEAM = {"name": "Checkout", "org": "retail"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("slug", "checkout2\n"),
        ("slug", " checkout2"),
        ("slug", "checkout2\t"),
    ],
)
async def test_a_pattern_must_match_the_whole_value(client: Client, field: str, value: str) -> None:
    response = await client.post(f"{API}/teams", json={**TEAM, field: value})
    assert_problem(response, 422, field=field)
    assert (await client.get(f"{API}/teams/checkout2")).status_code == 404


async def test_an_email_must_match_as_sent(client: Client) -> None:
    response = await client.post(
        f"{API}/people",
        json={
            "email": "ann@example.com\n",
            "name": "Ann",
            "job_family": "engineering",
            "home_org": "x",
        },
    )
    assert_problem(response, 422, field="email")


# Several operations, none named -------------------------------------------------------------


async def test_several_operations_need_an_operation_name(client: Client) -> None:
    document = (
        "query A { viewer { name } } "
        'mutation B { createTeam(input: {slug: "op-b", name: "B", org: "x"}) { slug } }'
    )
    body: dict[str, Any] = await gql(client, document)
    assert body["data"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "operationName" in error["message"]
    assert (await client.get(f"{API}/teams/op-b")).status_code == 404

    named = await client.post("/graphql", json={"query": document, "operationName": "A"})
    assert named.json()["data"]["viewer"]["name"]
    assert (await client.get(f"{API}/teams/op-b")).status_code == 404


# Filters as long as REST allows, in GraphQL too ---------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("query($q: String) { people(filter: {q: $q}) { totalCount } }", "q"),
        ("query($q: String) { teams(filter: {q: $q}) { totalCount } }", "q"),
        ("query($q: String) { products(filter: {q: $q}) { totalCount } }", "q"),
        ("query($q: String) { products(filter: {org: $q}) { totalCount } }", "org"),
        ("query($q: String) { auditEvents(filter: {actor: $q}) { totalCount } }", "actor"),
    ],
)
async def test_graphql_filters_are_bounded_like_rest(
    client: Client, query: str, field: str
) -> None:
    # SQLite refuses a LIKE pattern past 50,000 bytes: the API refuses one far sooner.
    body = await gql(client, query, q="x" * 100_000)
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error_fields(error) == [field]
