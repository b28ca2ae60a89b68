"""Concurrent roster changes on PostgreSQL: one person, one stint at a time."""

import asyncio

import pytest

from tests.factories import create_person, create_team, unique
from tests.helpers import API, Client


async def test_concurrent_adds_of_one_member_make_one_membership(
    client: Client, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("SQLite serialises every writer behind one lock; see the PostgreSQL run")
    team = await create_team(client)
    person = await create_person(client)
    path = f"{API}/teams/{team['slug']}/members"
    body = {"person_id": person["id"], "role": "engineer"}
    responses = await asyncio.gather(*(client.post(path, json=body) for _ in range(3)))
    assert sorted(r.status_code for r in responses) == [201, 409, 409], [r.text for r in responses]
    history = (await client.get(path, params={"include_ended": "true"})).json()["items"]
    assert len(history) == 1


async def test_archiving_a_team_races_no_new_product_onto_it(
    client: Client, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("SQLite serialises every writer behind one lock; see the PostgreSQL run")
    # Several rounds, so at least some of them interleave inside the database.
    for _ in range(5):
        team = await create_team(client)
        body = {"slug": unique("late"), "name": "Late", "team": team["slug"]}
        archived, created = await asyncio.gather(
            client.delete(f"{API}/teams/{team['slug']}"),
            client.post(f"{API}/products", json={**body, "data_classification": "public"}),
        )
        # Either order is fine, but never both: an archived team owning a live product.
        assert not (archived.status_code == 204 and created.status_code == 201), (
            archived.text,
            created.text,
        )
