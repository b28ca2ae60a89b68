"""Request bodies: JSON only (415 otherwise), size limits, JSON that cannot be read or repeats a
key, and text the database cannot hold."""

import json
from typing import Any

import pytest

from tests.factories import create_product, create_team, unique
from tests.helpers import API, Client, assert_problem, list_all

MIB = 1024 * 1024
TEAM = {"name": "Checkout", "org": "retail"}


async def test_body_over_one_mib_is_413_and_writes_nothing(client: Client) -> None:
    body = (
        b'{"email": "big@example.com", "name": "Big", "job_family": "sales", "home_org": "'
        + b"x" * MIB
        + b'"}'
    )
    response = await client.post(
        f"{API}/people", content=body, headers={"content-type": "application/json"}
    )
    assert_problem(response, 413)
    assert await list_all(client, f"{API}/people", include_archived="true") == []


async def test_body_just_under_one_mib_is_read(client: Client) -> None:
    # Under the limit the body is parsed, so the answer is about the content (name too long).
    body = (
        b'{"email": "big@example.com", "name": "'
        + b"x" * (MIB - 200)
        + b'", "job_family": "sales", "home_org": "x"}'
    )
    assert len(body) <= MIB
    response = await client.post(
        f"{API}/people", content=body, headers={"content-type": "application/json"}
    )
    assert_problem(response, 422, field="name")


@pytest.mark.parametrize("body", [b"{not json", b'{"email": ', b"\xff\xfe", b'{"a": 1}}'], ids=repr)
async def test_malformed_json_is_400(client: Client, body: bytes) -> None:
    for path in (f"{API}/people", f"{API}/teams", f"{API}/products"):
        response = await client.post(
            path, content=body, headers={"content-type": "application/json"}
        )
        assert_problem(response, 400)
    assert await list_all(client, f"{API}/people", include_archived="true") == []


async def test_empty_body_is_a_clear_4xx_naming_the_body(client: Client) -> None:
    # An empty body is no JSON document at all; the problem must say so, not leak a parameter
    # name of the handler (it once answered `data: 'data'`).
    for method, path in (("POST", f"{API}/people"), ("PATCH", f"{API}/teams/anything")):
        response = await client.request(
            method, path, content=b"", headers={"content-type": "application/json"}
        )
        problem = assert_problem(response, (400, 422))
        fields = {error["field"] for error in problem.get("errors", [])}
        assert fields <= {"body"}, problem
        assert "'data'" not in problem["detail"]
    assert await list_all(client, f"{API}/people", include_archived="true") == []


async def test_body_that_is_not_an_object_is_4xx(client: Client) -> None:
    bodies: list[Any] = [[], "person", 42, None]
    for body in bodies:
        response = await client.post(f"{API}/people", json=body)
        assert_problem(response, (400, 422))


async def test_nul_characters_are_refused(client: Client) -> None:
    body = {"email": "a@example.com", "name": "A\x00B", "job_family": "sales", "home_org": "x"}
    assert_problem(await client.post(f"{API}/people", json=body), 422, field="name")
    product = await create_product(client)
    path = f"{API}/products/{product['slug']}"
    assert_problem(await client.patch(path, json={"summary": "x\x00"}), 422, field="summary")
    assert (await client.get(path)).json() == product


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
        "image/png",
        "multipart/form-data; boundary=x",
        None,
        "application/jsonp",
        "application/merge-patch+json",
    ],
)
async def test_a_create_body_not_sent_as_json_is_415(
    client: Client, content_type: str | None
) -> None:
    slug = unique("nojson")
    headers = {"Content-Type": content_type} if content_type else {}
    response = await client.post(
        f"{API}/teams", content=json.dumps({"slug": slug, **TEAM}), headers=headers
    )
    problem = assert_problem(response, 415, field="Content-Type")
    assert "application/json" in problem["detail"]
    assert response.headers["accept-post"] == "application/json"
    assert (await client.get(f"{API}/teams/{slug}")).status_code == 404


async def test_json_with_a_charset_is_json(client: Client) -> None:
    response = await client.post(
        f"{API}/teams",
        content=json.dumps({"slug": unique("utf8"), **TEAM}),
        headers={"Content-Type": "Application/JSON; charset=utf-8"},
    )
    assert response.status_code == 201, response.text


async def test_a_patch_takes_json_or_a_merge_patch(client: Client) -> None:
    team = (await create_team(client))["slug"]
    for content_type, mission in (
        ("application/json", "First"),
        ("application/merge-patch+json", "Second"),
    ):
        response = await client.patch(
            f"{API}/teams/{team}",
            content=json.dumps({"mission": mission}),
            headers={"Content-Type": content_type},
        )
        assert response.status_code == 200, response.text
        assert response.json()["mission"] == mission
    refused = await client.patch(
        f"{API}/teams/{team}",
        content=json.dumps({"mission": "Third"}),
        headers={"Content-Type": "text/plain"},
    )
    assert_problem(refused, 415)
    assert refused.headers["accept-patch"] == "application/json, application/merge-patch+json"
    assert (await client.get(f"{API}/teams/{team}")).json()["mission"] == "Second"


async def test_graphql_bodies_not_sent_as_json_are_415(client: Client) -> None:
    response = await client.post(
        "/graphql",
        content=json.dumps({"query": "{ viewer { name } }"}),
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    "body",
    [
        '{"slug": "dup-a", "slug": "dup-b", "name": "Dup", "org": "x"}',
        '{"slug": "dup-c", "name": "Dup", "org": "x", "org": "y"}',
    ],
)
async def test_a_key_given_twice_is_400(client: Client, body: str) -> None:
    response = await client.post(
        f"{API}/teams", content=body, headers={"Content-Type": "application/json"}
    )
    problem = assert_problem(response, 400)
    assert "more than once" in problem["detail"]
    teams = await list_all(client, f"{API}/teams")
    assert not [team for team in teams if team["slug"].startswith("dup-")]


async def test_a_key_given_twice_in_graphql_is_400(client: Client) -> None:
    response = await client.post(
        "/graphql",
        content='{"query": "{ viewer { name } }", "query": "{ __typename }"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "more than once" in response.json()["errors"][0]["message"]
