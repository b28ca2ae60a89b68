"""Concurrent roster changes on PostgreSQL: one person, one stint at a time."""

import asyncio

import pytest

from tests.factories import create_person, create_team
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
