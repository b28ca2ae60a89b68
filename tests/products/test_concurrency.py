"""Two writers holding the same ETag: exactly one wins, the other gets 412, nothing is lost."""

import asyncio

import pytest

from tests.factories import create_product, create_team
from tests.helpers import API, Client, assert_problem

PRODUCTS = f"{API}/products"


async def test_concurrent_patches_with_the_same_if_match(client: Client, is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip(
            "SQLite serialises every writer behind one lock, so two writes never race; "
            "run with PIZZABOX_TEST_DATABASE_URL=postgresql+asyncpg://… to test the race"
        )
    product = await create_product(client, name="Original")
    path = f"{PRODUCTS}/{product['slug']}"
    # Several rounds, so at least some of them interleave inside the database.
    for round_number in range(5):
        current = await client.get(path)
        etag, version = current.headers["etag"], current.json()["version"]
        names = [f"Writer A{round_number}", f"Writer B{round_number}"]
        responses = await asyncio.gather(
            *(client.patch(path, json={"name": name}, headers={"If-Match": etag}) for name in names)
        )
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200, 412], [r.text for r in responses]
        winner = next(r for r in responses if r.status_code == 200).json()
        loser = next(r for r in responses if r.status_code == 412)
        assert_problem(loser, 412)
        final = (await client.get(path)).json()
        assert final["name"] == winner["name"]
        assert final["version"] == version + 1 == winner["version"]


async def test_concurrent_stage_moves_keep_one_history_entry(
    client: Client, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("SQLite serialises every writer behind one lock; see the PostgreSQL run")
    product = await create_product(client)
    path = f"{PRODUCTS}/{product['slug']}"
    etag = (await client.get(path)).headers["etag"]
    responses = await asyncio.gather(
        client.patch(path, json={"stage": "prfaq_review"}, headers={"If-Match": etag}),
        client.patch(path, json={"stage": "retired"}, headers={"If-Match": etag}),
    )
    assert sorted(r.status_code for r in responses) == [200, 412]
    winner = next(r for r in responses if r.status_code == 200).json()
    final = (await client.get(path)).json()
    assert final["stage"] == winner["stage"]
    assert final["version"] == product["version"] + 1
    changes = (await client.get(f"{path}/changes")).json()["items"]
    assert [c["new_value"] for c in changes] == ["idea", winner["stage"]]


async def test_sequential_patches_with_the_same_if_match(client: Client) -> None:
    product = await create_product(client, name="Original")
    path = f"{PRODUCTS}/{product['slug']}"
    etag = (await client.get(path)).headers["etag"]
    first = await client.patch(path, json={"name": "First"}, headers={"If-Match": etag})
    second = await client.patch(path, json={"name": "Second"}, headers={"If-Match": etag})
    assert first.status_code == 200, first.text
    assert_problem(second, 412)
    final = (await client.get(path)).json()
    assert final["name"] == "First"
    assert final["version"] == product["version"] + 1


async def test_concurrent_creates_of_one_slug_make_one_product(
    client: Client, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("SQLite serialises every writer behind one lock; see the PostgreSQL run")
    team = await create_team(client)
    body = {"slug": "twins", "name": "Twin", "team": team["slug"], "data_classification": "public"}
    responses = await asyncio.gather(*(client.post(PRODUCTS, json=body) for _ in range(3)))
    assert sorted(r.status_code for r in responses) == [201, 409, 409], [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409)
    products = (await client.get(PRODUCTS, params={"include_archived": "true"})).json()["items"]
    assert [p["slug"] for p in products] == ["twins"]
    changes = (await client.get(f"{PRODUCTS}/twins/changes")).json()["items"]
    assert len(changes) == 1
