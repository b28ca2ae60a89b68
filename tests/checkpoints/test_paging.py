"""A product's checkpoints as a contract list: `items` and `next_cursor`, paged in catalogue
order by `limit` and `cursor`, whether the catalogue is the built-in default or stored."""

import base64
import json
import uuid
from typing import Any

import pytest

from tests.checkpoints.conftest import KINDS, at
from tests.factories import create_product
from tests.helpers import API, Client, assert_problem

NEW_KIND = {
    "key": "chaos_drill",
    "name": "Chaos drill",
    "description": "A zone is taken away during business hours.",
    "required_for": ["restricted"],
    "blocking": False,
    "sign_off": "automatic",
}


async def _walk(client: Client, path: str, limit: int) -> tuple[list[str], list[int]]:
    """Every kind the list shows, page by page, and each page's size."""
    kinds: list[str] = []
    sizes: list[int] = []
    params: dict[str, Any] = {"limit": limit}
    for _ in range(20):
        response = await client.get(path, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        kinds += [item["kind"] for item in page["items"]]
        sizes.append(len(page["items"]))
        if page["next_cursor"] is None:
            return kinds, sizes
        params["cursor"] = page["next_cursor"]
    raise AssertionError("the list never reached its last page")


def _cursor(after: Any, kind: str = "product_checkpoints") -> str:
    raw = json.dumps({"after": after, "kind": kind}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def test_the_body_is_a_page_of_every_kind(client: Client) -> None:
    product = await create_product(client)
    response = await client.get(at(product, "checkpoints"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"items", "next_cursor"}
    assert [item["kind"] for item in body["items"]] == KINDS
    assert body["next_cursor"] is None


async def test_limit_2_walks_the_default_catalogue_without_repeats(client: Client) -> None:
    product = await create_product(client)
    kinds, sizes = await _walk(client, at(product, "checkpoints"), limit=2)
    assert kinds == KINDS
    assert sizes == [2, 2, 1]


async def test_limit_2_walks_a_stored_catalogue_and_skips_archived_kinds(client: Client) -> None:
    product = await create_product(client)
    path = at(product, "checkpoints")
    # A cursor issued while the catalogue is still the built-in default ...
    first = (await client.get(path, params={"limit": 2})).json()
    assert [item["kind"] for item in first["items"]] == KINDS[:2]
    # ... keeps its place once a change stores the catalogue and archives a kind.
    assert (await client.post(f"{API}/checkpoint-kinds", json=NEW_KIND)).status_code == 201
    assert (await client.delete(f"{API}/checkpoint-kinds/security_posture")).status_code == 204
    rest = (await client.get(path, params={"cursor": first["next_cursor"]})).json()
    assert [item["kind"] for item in rest["items"]] == [*KINDS[3:], "chaos_drill"]
    live = [kind for kind in KINDS if kind != "security_posture"]
    kinds, sizes = await _walk(client, path, limit=2)
    assert kinds == [*live, "chaos_drill"]
    assert sizes == [2, 2, 1]


async def test_a_cursor_at_an_archived_kind_still_reads_the_next_page(client: Client) -> None:
    product = await create_product(client)
    path = at(product, "checkpoints")
    page = (await client.get(path, params={"limit": 3})).json()
    assert page["items"][-1]["kind"] == "security_posture"
    assert (await client.delete(f"{API}/checkpoint-kinds/security_posture")).status_code == 204
    rest = (await client.get(path, params={"cursor": page["next_cursor"]})).json()
    assert [item["kind"] for item in rest["items"]] == KINDS[3:]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("not-a-cursor", id="not base64 JSON"),
        pytest.param(_cursor(str(uuid.uuid4())), id="a kind that never existed"),
        pytest.param(_cursor(7), id="a number for a position"),
        pytest.param(_cursor(None), id="null for a position"),
        pytest.param(_cursor(str(uuid.uuid4()), kind="kind"), id="another list's cursor"),
        pytest.param("A" * 513, id="longer than any cursor issued"),
    ],
)
async def test_a_forged_cursor_is_400_naming_cursor(client: Client, cursor: str) -> None:
    product = await create_product(client)
    response = await client.get(at(product, "checkpoints"), params={"cursor": cursor})
    assert_problem(response, (400, 422), field="cursor")


async def test_a_checkpoint_kinds_cursor_does_not_page_a_products_checkpoints(
    client: Client,
) -> None:
    product = await create_product(client)
    kinds_cursor = (await client.get(f"{API}/checkpoint-kinds", params={"limit": 2})).json()[
        "next_cursor"
    ]
    assert kinds_cursor is not None
    response = await client.get(at(product, "checkpoints"), params={"cursor": kinds_cursor})
    assert_problem(response, 400, field="cursor")
