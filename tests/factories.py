"""Small factories that create records through the REST API, as a client would."""

import itertools
from typing import Any

from tests.helpers import API, Client

_sequence = itertools.count(1)


def unique(prefix: str) -> str:
    """A slug-safe value no other factory call returns."""
    return f"{prefix}-{next(_sequence)}"


async def create_person(client: Client, **fields: Any) -> dict[str, Any]:
    """A new person; fields override the defaults."""
    handle = unique("person")
    body = {
        "email": f"{handle}@example.com",
        "name": f"Person {handle}",
        "job_family": "engineering",
        "home_org": "platform",
        **fields,
    }
    response = await client.post(f"{API}/people", json=body)
    assert response.status_code == 201, response.text
    person: dict[str, Any] = response.json()
    return person


async def create_team(client: Client, **fields: Any) -> dict[str, Any]:
    """A new team; fields override the defaults."""
    body = {"slug": unique("team"), "name": "A team", "mission": "Ship it", "org": "platform"}
    body.update(fields)
    response = await client.post(f"{API}/teams", json=body)
    assert response.status_code == 201, response.text
    team: dict[str, Any] = response.json()
    return team


async def create_product(
    client: Client, *, team: str | None = None, **fields: Any
) -> dict[str, Any]:
    """A new product, owned by `team` (a new team when not given); fields override defaults."""
    if team is None:
        team = (await create_team(client))["slug"]
    body = {
        "slug": unique("product"),
        "name": "A product",
        "summary": "Does one thing well",
        "team": team,
        "data_classification": "internal",
        **fields,
    }
    response = await client.post(f"{API}/products", json=body)
    assert response.status_code == 201, response.text
    product: dict[str, Any] = response.json()
    return product


async def add_member(
    client: Client, team: str, person_id: str, *, role: str = "engineer", **fields: Any
) -> dict[str, Any]:
    """Put a person on a team."""
    body = {"person_id": person_id, "role": role, **fields}
    response = await client.post(f"{API}/teams/{team}/members", json=body)
    assert response.status_code == 201, response.text
    membership: dict[str, Any] = response.json()
    return membership
