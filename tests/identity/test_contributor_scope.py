"""A contributor changes the teams they are on and those teams' products, and nothing else."""

from litestar import Litestar

from api.core.access import Role
from tests.factories import add_member, create_product, create_team, unique
from tests.helpers import API, Client, assert_problem, bearer, list_all
from tests.identity.world import build_world, gql_as


async def _version(client: Client, path: str) -> int:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    version: int = response.json()["version"]
    return version


async def test_contributor_changes_own_team_and_its_products(app: Litestar, client: Client) -> None:
    world = await build_world(app, client)
    mine = bearer(world.tokens[Role.CONTRIBUTOR])
    team, product = world.own.team, world.own.product

    response = await client.patch(f"{API}/teams/{team}", json={"name": "Ours"}, headers=mine)
    assert response.status_code == 200, response.text
    response = await client.patch(
        f"{API}/products/{product}", json={"summary": "Sharper"}, headers=mine
    )
    assert response.status_code == 200, response.text
    assert response.json()["summary"] == "Sharper"
    response = await client.post(
        f"{API}/teams/{team}/members",
        json={"person_id": world.newcomer_id, "role": "designer"},
        headers=mine,
    )
    assert response.status_code == 201, response.text
    response = await client.post(
        f"{API}/products",
        json={
            "slug": unique("mine"),
            "name": "Mine",
            "team": team,
            "data_classification": "public",
        },
        headers=mine,
    )
    assert response.status_code == 201, response.text
    assert response.json()["team"] == team
    # The audit trail names the person behind the token.
    events = await list_all(client, f"{API}/audit-events", record_id=response.json()["id"])
    assert [event["person_id"] for event in events] == [world.contributor_id]


async def test_contributor_cannot_change_another_team_or_its_products(
    app: Litestar, client: Client
) -> None:
    world = await build_world(app, client)
    mine = bearer(world.tokens[Role.CONTRIBUTOR])
    team, product, member = world.foreign.team, world.foreign.product, world.foreign.member_id
    team_version = await _version(client, f"{API}/teams/{team}")
    product_version = await _version(client, f"{API}/products/{product}")
    events_before = len(await list_all(client, f"{API}/audit-events"))

    refused = [
        await client.patch(f"{API}/teams/{team}", json={"name": "Taken"}, headers=mine),
        await client.delete(f"{API}/teams/{team}", headers=mine),
        await client.patch(f"{API}/products/{product}", json={"name": "Taken"}, headers=mine),
        await client.delete(f"{API}/products/{product}", headers=mine),
        await client.post(
            f"{API}/teams/{team}/members",
            json={"person_id": world.newcomer_id, "role": "engineer"},
            headers=mine,
        ),
        await client.patch(
            f"{API}/teams/{team}/members/{member}", json={"allocation_percent": 10}, headers=mine
        ),
        await client.delete(f"{API}/teams/{team}/members/{member}", headers=mine),
        await client.post(
            f"{API}/products",
            json={
                "slug": unique("theirs"),
                "name": "X",
                "team": team,
                "data_classification": "public",
            },
            headers=mine,
        ),
    ]
    for response in refused:
        assert_problem(response, 403)

    body = await gql_as(
        client,
        world.tokens[Role.CONTRIBUTOR],
        """mutation($team: String!, $product: String!, $person: UUID!) {
          updateTeam(input: {slug: $team, name: "Taken"}) { slug }
          updateProduct(input: {slug: $product, name: "Taken"}) { slug }
          archiveProduct(input: {slug: $product}) { slug }
          addTeamMember(input: {team: $team, personId: $person, role: ENGINEER}) { id }
          createProduct(input: {slug: "gql-theirs", name: "X", team: $team,
                                dataClassification: PUBLIC}) { slug }
        }""",
        team=team,
        product=product,
        person=world.newcomer_id,
    )
    assert body["data"] == dict.fromkeys(
        ["updateTeam", "updateProduct", "archiveProduct", "addTeamMember", "createProduct"]
    )
    assert {error["extensions"]["code"] for error in body["errors"]} == {"FORBIDDEN"}
    assert len(body["errors"]) == 5
    assert await _version(client, f"{API}/teams/{team}") == team_version
    assert await _version(client, f"{API}/products/{product}") == product_version
    roster = await list_all(client, f"{API}/teams/{team}/members")
    assert [m["person_id"] for m in roster] == [member]
    assert len(await list_all(client, f"{API}/audit-events")) == events_before


async def test_a_team_nobody_is_on_is_not_any_contributors_to_take(
    app: Litestar, client: Client
) -> None:
    world = await build_world(app, client)
    mine = bearer(world.tokens[Role.CONTRIBUTOR])
    empty = (await create_team(client))["slug"]
    product = (await create_product(client, team=empty))["slug"]

    refused = await client.patch(f"{API}/teams/{empty}", json={"mission": "Mine"}, headers=mine)
    assert_problem(refused, 403)
    refused = await client.patch(f"{API}/products/{product}", json={"name": "Mine"}, headers=mine)
    assert_problem(refused, 403)
    # Nor may the contributor staff it with themselves (or anyone).
    refused = await client.post(
        f"{API}/teams/{empty}/members",
        json={"person_id": world.contributor_id, "role": "lead"},
        headers=mine,
    )
    assert_problem(refused, 403)
    body = await gql_as(
        client,
        world.tokens[Role.CONTRIBUTOR],
        'mutation($slug: String!) { updateTeam(input: {slug: $slug, mission: "Mine"}) { slug } }',
        slug=empty,
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await list_all(client, f"{API}/teams/{empty}/members") == []
    assert (await client.get(f"{API}/teams/{empty}")).json()["version"] == 1

    # An admin staffs an empty team.
    staffed = await client.post(
        f"{API}/teams/{empty}/members", json={"person_id": world.newcomer_id, "role": "lead"}
    )
    assert staffed.status_code == 201, staffed.text


async def test_a_contributor_who_creates_a_team_leads_it(app: Litestar, client: Client) -> None:
    world = await build_world(app, client)
    mine = bearer(world.tokens[Role.CONTRIBUTOR])
    created = await client.post(
        f"{API}/teams", json={"slug": unique("new"), "name": "New", "org": "x"}, headers=mine
    )
    assert created.status_code == 201, created.text
    slug = created.json()["slug"]
    roster = await list_all(client, f"{API}/teams/{slug}/members")
    assert [(m["person_id"], m["role"]) for m in roster] == [(world.contributor_id, "lead")]
    events = await list_all(client, f"{API}/audit-events", record_id=created.json()["id"])
    assert [(e["record_type"], e["action"]) for e in events] == [
        ("team", "create"),
        ("membership", "create"),
    ]
    response = await client.patch(f"{API}/teams/{slug}", json={"mission": "Ours"}, headers=mine)
    assert response.status_code == 200, response.text

    # Through GraphQL too.
    body = await gql_as(
        client,
        world.tokens[Role.CONTRIBUTOR],
        'mutation($slug: String!) { createTeam(input: {slug: $slug, name: "G", org: "x"})'
        " { slug members { role person { id } } } }",
        slug=unique("gql"),
    )
    assert "errors" not in body, body
    members = body["data"]["createTeam"]["members"]
    assert [(m["role"], m["person"]["id"]) for m in members] == [("LEAD", world.contributor_id)]

    # An admin who creates a team does not join it.
    admins = await client.post(
        f"{API}/teams", json={"slug": unique("adm"), "name": "A", "org": "x"}
    )
    assert await list_all(client, f"{API}/teams/{admins.json()['slug']}/members") == []


async def test_moving_a_product_needs_rights_on_both_teams(app: Litestar, client: Client) -> None:
    world = await build_world(app, client)
    mine = bearer(world.tokens[Role.CONTRIBUTOR])
    second = (await create_team(client))["slug"]
    await add_member(client, second, world.contributor_id)

    away = await client.patch(
        f"{API}/products/{world.own.product}", json={"team": world.foreign.team}, headers=mine
    )
    assert_problem(away, 403)
    taken = await client.patch(
        f"{API}/products/{world.foreign.product}", json={"team": world.own.team}, headers=mine
    )
    assert_problem(taken, 403)
    product = (await client.get(f"{API}/products/{world.own.product}")).json()
    assert product["team"] == world.own.team
    assert product["version"] == 1
    other = (await client.get(f"{API}/products/{world.foreign.product}")).json()
    assert other["team"] == world.foreign.team

    body = await gql_as(
        client,
        world.tokens[Role.CONTRIBUTOR],
        "mutation($slug: String!, $team: String!) {"
        " updateProduct(input: {slug: $slug, team: $team}) { slug } }",
        slug=world.own.product,
        team=world.foreign.team,
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    moved = await client.patch(
        f"{API}/products/{world.own.product}", json={"team": second}, headers=mine
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["team"] == second
