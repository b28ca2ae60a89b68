"""HEAD answers as GET does, without a body, for records, lists, probes and refusals."""

from typing import Any

import httpx

from tests.factories import create_person, create_product
from tests.helpers import API, Client

PRODUCTS = f"{API}/products"
ANONYMOUS = {"Authorization": ""}


async def assert_head_mirrors_get(client: Client, path: str, **params: Any) -> httpx.Response:
    """HEAD answers as GET does (status, ETag, Content-Length, Content-Type) with no body."""
    got = await client.get(path, params=params)
    head = await client.head(path, params=params)
    assert head.status_code == got.status_code, (path, head.status_code, got.status_code)
    assert head.content == b"", (path, head.content)
    for name in ("etag", "content-length", "content-type"):
        assert head.headers.get(name) == got.headers.get(name), (path, name)
    assert head.headers["content-length"] == str(len(got.content)), path
    return head


async def test_head_answers_health_like_get(client: Client) -> None:
    head = await assert_head_mirrors_get(client, "/healthz")
    assert head.status_code == 200


async def test_head_answers_a_record_with_its_etag(client: Client) -> None:
    product = await create_product(client)
    head = await assert_head_mirrors_get(client, f"{PRODUCTS}/{product['slug']}")
    assert head.status_code == 200
    assert head.headers["etag"] == f'"{product["id"]}:{product["version"]}"'


async def test_head_answers_a_list(client: Client) -> None:
    for _ in range(3):
        await create_person(client)
    head = await assert_head_mirrors_get(client, f"{API}/people", limit=2)
    assert head.status_code == 200
    assert int(head.headers["content-length"]) > 0


async def test_head_of_an_unknown_record_is_404_without_a_body(client: Client) -> None:
    await assert_head_mirrors_get(client, f"{PRODUCTS}/no-such-product")
    assert (await client.head(f"{PRODUCTS}/no-such-product")).status_code == 404


async def test_head_without_a_token_is_401(client: Client) -> None:
    for path in (f"{API}/me", PRODUCTS, f"{API}/people"):
        head = await client.head(path, headers=ANONYMOUS)
        got = await client.get(path, headers=ANONYMOUS)
        assert head.status_code == got.status_code == 401, (path, head.status_code)
        assert head.content == b""
