"""Conditional and unconditional writes: If-Match compares strongly, and writers that sent no
precondition never hear 412."""

import asyncio

import pytest

from tests.factories import create_product
from tests.helpers import (
    API,
    Client,
    assert_problem,
)

PRODUCTS = f"{API}/products"


async def test_a_weak_if_match_is_412_and_changes_nothing(client: Client) -> None:
    product = await create_product(client, name="Before")
    path = f"{PRODUCTS}/{product['slug']}"
    strong = (await client.get(path)).headers["etag"]
    assert strong == f'"{product["id"]}:{product["version"]}"'

    weak = await client.patch(path, json={"name": "Weakly"}, headers={"If-Match": f"W/{strong}"})
    assert_problem(weak, 412)
    after = await client.get(path)
    assert after.json()["name"] == "Before"
    assert after.json()["version"] == product["version"]
    assert after.headers["etag"] == strong

    ok = await client.patch(path, json={"name": "Strongly"}, headers={"If-Match": strong})
    assert ok.status_code == 200, ok.text
    assert ok.json()["name"] == "Strongly"
    assert ok.json()["version"] == product["version"] + 1


async def test_concurrent_unconditional_patches_are_200_or_409_never_412(
    client: Client, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip(
            "SQLite serialises every writer behind one lock, so two writes never collide; "
            "run with PIZZABOX_TEST_DATABASE_URL=postgresql+asyncpg://… to test the race"
        )
    product = await create_product(client, name="Original")
    path = f"{PRODUCTS}/{product['slug']}"
    version = product["version"]
    for round_number in range(6):
        names = [f"Writer A{round_number}", f"Writer B{round_number}"]
        # No If-Match: neither writer asked for a precondition, so none can fail.
        responses = await asyncio.gather(*(client.patch(path, json={"name": n}) for n in names))
        statuses = [response.status_code for response in responses]
        assert all(status in (200, 409) for status in statuses), [r.text for r in responses]
        assert 200 in statuses, [r.text for r in responses]
        for response in responses:
            if response.status_code == 409:
                problem = assert_problem(response, 409)
                assert "changed by someone else" in problem["detail"], problem
        winners = [r.json() for r in responses if r.status_code == 200]
        version += len(winners)
        final = (await client.get(path)).json()
        assert final["version"] == version
        assert final["name"] in {winner["name"] for winner in winners}
        assert max(winner["version"] for winner in winners) == version


async def test_sequential_unconditional_patches_both_succeed(client: Client) -> None:
    product = await create_product(client, name="Original")
    path = f"{PRODUCTS}/{product['slug']}"
    first = await client.patch(path, json={"name": "First"})
    second = await client.patch(path, json={"name": "Second"})
    assert (first.status_code, second.status_code) == (200, 200), (first.text, second.text)
    final = (await client.get(path)).json()
    assert final["name"] == "Second"
    assert final["version"] == product["version"] + 2
