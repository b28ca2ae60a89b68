"""Request bodies: size limits, JSON that cannot be read, and text the database cannot hold."""

from typing import Any

import pytest

from tests.factories import create_product
from tests.helpers import API, Client, assert_problem, list_all

MIB = 1024 * 1024


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
