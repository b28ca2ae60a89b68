"""Guarded relations answer as they always did with their lean resolvers: what a caller may
read comes back, what it may not is refused field by field, and no permission or record outlives
its request."""

from typing import Any

from litestar import Litestar

from api.core.access import Role
from tests.factories import add_member, create_person, create_product, create_team
from tests.graphql import gql_data
from tests.helpers import API, Client, bearer, issue_token
from tests.identity.world import gql_as

PORTFOLIO = """
query Portfolio($first: Int) {
  products(first: $first) {
    edges { node { slug team { slug members { role person { email } } } } }
  }
}
"""
PRODUCT = """
query Product($slug: String!) {
  product(slug: $slug) {
    slug
    team {
      slug
      members { role person { email } }
      everyone: members(includeEnded: true) { role endDate person { email } }
    }
  }
}
"""


async def _staffed_team(client: Client) -> tuple[str, list[str], list[str]]:
    """A team with two members and one who left, owning two products: its slug, the emails of
    its current members (in the order they joined) and the products' slugs."""
    team = (await create_team(client))["slug"]
    people = [await create_person(client) for _ in range(3)]
    for person in people:
        await add_member(client, team, person["id"])
    left = await client.delete(f"{API}/teams/{team}/members/{people[2]['id']}")
    assert left.status_code == 204, left.text
    products = [(await create_product(client, team=team))["slug"] for _ in range(2)]
    return team, [person["email"] for person in people[:2]], products


def _team_of(team: str, emails: list[str]) -> dict[str, Any]:
    return {
        "slug": team,
        "members": [{"role": "ENGINEER", "person": {"email": email}} for email in emails],
    }


async def test_allowed_relations_come_back(client: Client) -> None:
    team, emails, products = await _staffed_team(client)
    data = await gql_data(client, PORTFOLIO, first=10)
    assert data["products"]["edges"] == [
        {"node": {"slug": slug, "team": _team_of(team, emails)}} for slug in products
    ]
    product = (await gql_data(client, PRODUCT, slug=products[0]))["product"]
    assert product["team"]["members"] == _team_of(team, emails)["members"]
    # An argument reaches the resolver under its Python name: every stint, the ended one too.
    everyone = product["team"]["everyone"]
    assert [member["person"]["email"] for member in everyone][:2] == emails
    assert len(everyone) == 3
    assert [member["endDate"] is None for member in everyone] == [True, True, False]


async def test_a_refused_relation_is_null_with_an_error_for_each_object(
    app: Litestar, client: Client
) -> None:
    _, _, products = await _staffed_team(client)
    # A CI token may read its products, not teams nor people.
    ci = await issue_token(app, Role.CI, products=products)
    body = await gql_as(client, ci, PORTFOLIO, first=10)
    assert body["data"]["products"]["edges"] == [
        {"node": {"slug": slug, "team": None}} for slug in products
    ]
    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"] * 2
    assert sorted(tuple(error["path"]) for error in body["errors"]) == [
        ("products", "edges", index, "node", "team") for index in range(2)
    ]
    assert all("team:read" in error["message"] for error in body["errors"])
    body = await gql_as(client, ci, PRODUCT, slug=products[0])
    assert body["data"]["product"] == {"slug": products[0], "team": None}
    assert [error["path"] for error in body["errors"]] == [["product", "team"]]


async def test_no_permission_carries_over_to_another_request(app: Litestar, client: Client) -> None:
    team, emails, products = await _staffed_team(client)
    ci = await issue_token(app, Role.CI, products=products)
    viewer = await issue_token(app, Role.VIEWER)
    for _ in range(2):
        refused = await gql_as(client, ci, PORTFOLIO, first=10)
        assert refused["data"]["products"]["edges"][0]["node"]["team"] is None
        allowed = await gql_as(client, viewer, PORTFOLIO, first=10)
        assert "errors" not in allowed, allowed["errors"]
        assert allowed["data"]["products"]["edges"][0]["node"]["team"] == _team_of(team, emails)


async def test_a_revoked_token_is_refused_on_the_next_request(client: Client) -> None:
    await _staffed_team(client)
    created = await client.post(f"{API}/tokens", json={"name": "portal", "role": "viewer"})
    assert created.status_code == 201, created.text
    token = bearer(created.json()["token"])
    body = {"query": PORTFOLIO, "variables": {"first": 10}}
    answered = await client.post("/graphql", json=body, headers=token)
    assert answered.status_code == 200
    assert "errors" not in answered.json()
    revoked = await client.delete(f"{API}/tokens/{created.json()['id']}")
    assert revoked.status_code == 204, revoked.text
    refused = await client.post("/graphql", json=body, headers=token)
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_changed_roster_shows_on_the_next_request(client: Client) -> None:
    team, emails, _ = await _staffed_team(client)
    first = await gql_data(client, PORTFOLIO, first=10)
    assert first["products"]["edges"][0]["node"]["team"] == _team_of(team, emails)
    newcomer = await create_person(client)
    await add_member(client, team, newcomer["id"], role="designer")
    second = await gql_data(client, PORTFOLIO, first=10)
    members = second["products"]["edges"][0]["node"]["team"]["members"]
    assert members[-1] == {"role": "DESIGNER", "person": {"email": newcomer["email"]}}
    assert len(members) == len(emails) + 1
