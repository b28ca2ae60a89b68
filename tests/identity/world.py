"""A seeded world for the authorization tests: records the caller owns and records it does not,
and a token for every role."""

from dataclasses import dataclass
from typing import Any

from litestar import Litestar

from api.core.access import Role
from tests.factories import add_member, create_person, create_product, create_team, unique
from tests.helpers import API, Client, bearer, issue_token


@dataclass(frozen=True)
class Scope:
    """The team, product and member a walk addresses: the caller's own, or someone else's."""

    team: str
    product: str
    member_id: str


@dataclass(frozen=True)
class World:
    """Seeded records, and a token for every role.

    `own` is what the contributor and the security reviewer are members of and what the CI token
    lists; `foreign` is a staffed team none of them is on, with a product the CI token does not
    list.
    """

    own: Scope
    foreign: Scope
    spare_product: str
    contributor_id: str
    newcomer_id: str
    subject_id: str
    token_id: str
    tokens: dict[Role, str]


async def build_world(app: Litestar, client: Client) -> World:
    """Seed a world through the admin client."""
    contributor, reviewer, member, outsider, newcomer, subject = [
        await create_person(client) for _ in range(6)
    ]
    own_team, other_team = (await create_team(client))["slug"], (await create_team(client))["slug"]
    for person in (contributor, reviewer, member):
        await add_member(client, own_team, person["id"])
    await add_member(client, other_team, outsider["id"])
    own_product = (await create_product(client, team=own_team))["slug"]
    # A second live product keeps the own team from being archived halfway through a walk
    # (archiving ends every membership, and with it the contributor's rights).
    spare_product = (await create_product(client, team=own_team))["slug"]
    other_product = (await create_product(client, team=other_team))["slug"]
    victim = await client.post(f"{API}/tokens", json={"name": "walked", "role": "viewer"})
    assert victim.status_code == 201, victim.text

    tokens: dict[Role, str] = {}
    for role in Role:
        person_id = None
        if role in (Role.CONTRIBUTOR, Role.SECURITY_REVIEWER):  # act as a person on a team
            person_id = (reviewer if role == Role.SECURITY_REVIEWER else contributor)["id"]
        products = [own_product] if role == Role.CI else []
        tokens[role] = await issue_token(app, role, person_id=person_id, products=products)
    return World(
        own=Scope(team=own_team, product=own_product, member_id=member["id"]),
        foreign=Scope(team=other_team, product=other_product, member_id=outsider["id"]),
        spare_product=spare_product,
        contributor_id=contributor["id"],
        newcomer_id=newcomer["id"],
        subject_id=subject["id"],
        token_id=victim.json()["id"],
        tokens=tokens,
    )


def new_person() -> dict[str, Any]:
    """A valid body for a new person, with an email no other call returns."""
    handle = unique("walker")
    return {
        "email": f"{handle}@example.com",
        "name": "Walker",
        "job_family": "engineering",
        "home_org": "platform",
    }


async def gql_as(client: Client, token: str, query: str, **variables: Any) -> dict[str, Any]:
    """Run a GraphQL document with another caller's token; the whole body comes back."""
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=bearer(token)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
