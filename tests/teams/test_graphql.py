"""Teams and rosters through GraphQL."""

from datetime import date, timedelta

from tests.factories import add_member, create_person, create_product, create_team
from tests.graphql import error_fields, gql_data, gql_error
from tests.helpers import API, Client

TEAM = """
query($slug: String!, $at: Date) {
  team(slug: $slug) {
    slug org
    members(at: $at) { role allocationPercent startDate endDate person { email } }
    products { slug }
  }
}
"""


async def test_team_follows_members_people_and_products(client: Client) -> None:
    team = await create_team(client, slug="rockets", org="space")
    ada = await create_person(client, email="ada@example.com")
    await add_member(client, "rockets", ada["id"], role="lead", allocation_percent=60)
    await create_product(client, team="rockets", slug="falcon")

    data = await gql_data(client, TEAM, slug=team["slug"])
    assert data["team"]["members"] == [
        {
            "role": "LEAD",
            "allocationPercent": 60,
            "startDate": date.today().isoformat(),
            "endDate": None,
            "person": {"email": "ada@example.com"},
        }
    ]
    assert data["team"]["products"] == [{"slug": "falcon"}]

    person = await gql_data(
        client,
        "query($id: UUID!) { person(id: $id) { teams { role team { slug } } } }",
        id=ada["id"],
    )
    assert person["person"]["teams"] == [{"role": "LEAD", "team": {"slug": "rockets"}}]


async def test_roster_on_a_past_day(client: Client) -> None:
    await create_team(client, slug="history")
    long_ago = (date.today() - timedelta(days=30)).isoformat()
    week_ago = (date.today() - timedelta(days=7)).isoformat()
    leaver = await create_person(client, email="leaver@example.com")
    joiner = await create_person(client, email="joiner@example.com")
    await add_member(client, "history", leaver["id"], start_date=long_ago)
    await add_member(client, "history", joiner["id"], start_date=week_ago)
    ended = await gql_data(
        client,
        'mutation($p: UUID!) { endTeamMembership(input: {team: "history", personId: $p}) '
        "{ endDate } }",
        p=leaver["id"],
    )
    assert ended["endTeamMembership"]["endDate"] == date.today().isoformat()

    today = await gql_data(client, TEAM, slug="history")
    assert [m["person"]["email"] for m in today["team"]["members"]] == ["joiner@example.com"]
    past = (date.today() - timedelta(days=10)).isoformat()
    then = await gql_data(client, TEAM, slug="history", at=past)
    assert [m["person"]["email"] for m in then["team"]["members"]] == ["leaver@example.com"]

    future = (date.today() + timedelta(days=1)).isoformat()
    error = await gql_error(client, TEAM, "BAD_USER_INPUT", slug="history", at=future)
    assert error_fields(error) == ["at"]


async def test_membership_mutations(client: Client) -> None:
    await create_team(client, slug="crew")
    person = await create_person(client)
    added = await gql_data(
        client,
        'mutation($p: UUID!) { addTeamMember(input: {team: "crew", personId: $p, '
        "role: ENGINEER, allocationPercent: 50}) { role allocationPercent person { id } } }",
        p=person["id"],
    )
    assert added["addTeamMember"] == {
        "role": "ENGINEER",
        "allocationPercent": 50,
        "person": {"id": person["id"]},
    }
    duplicate = await gql_error(
        client,
        'mutation($p: UUID!) { addTeamMember(input: {team: "crew", personId: $p, role: LEAD}) '
        "{ role } }",
        "CONFLICT",
        p=person["id"],
    )
    assert error_fields(duplicate) == ["personId"]

    too_much = await gql_error(
        client,
        'mutation($p: UUID!) { updateTeamMember(input: {team: "crew", personId: $p, '
        "allocationPercent: 101}) { role } }",
        "BAD_USER_INPUT",
        p=person["id"],
    )
    assert error_fields(too_much) == ["allocationPercent"]
    changed = await gql_data(
        client,
        'mutation($p: UUID!) { updateTeamMember(input: {team: "crew", personId: $p, '
        "role: LEAD, expectedVersion: 1}) { role version } }",
        p=person["id"],
    )
    assert changed["updateTeamMember"] == {"role": "LEAD", "version": 2}
    rest = (await client.get(f"{API}/teams/crew/members/{person['id']}")).json()
    assert (rest["role"], rest["allocation_percent"]) == ("lead", 50)


async def test_team_mutations_and_filters(client: Client) -> None:
    created = await gql_data(
        client,
        'mutation { createTeam(input: {slug: "alpha", name: "Alpha", org: "Core"}) '
        "{ slug version } }",
    )
    assert created["createTeam"] == {"slug": "alpha", "version": 1}
    duplicate = await gql_error(
        client,
        'mutation { createTeam(input: {slug: "alpha", name: "Again", org: "core"}) { slug } }',
        "CONFLICT",
    )
    assert error_fields(duplicate) == ["slug"]
    await gql_data(
        client, 'mutation { updateTeam(input: {slug: "alpha", mission: "Go"}) { mission } }'
    )
    await create_team(client, slug="beta", org="edge")

    found = await gql_data(
        client, '{ teams(filter: {org: "core"}) { totalCount edges { node { slug mission } } } }'
    )
    assert found["teams"] == {
        "totalCount": 1,
        "edges": [{"node": {"slug": "alpha", "mission": "Go"}}],
    }
    await gql_data(client, 'mutation { archiveTeam(input: {slug: "beta"}) { archivedAt } }')
    remaining = await gql_data(client, "{ teams { edges { node { slug } } } }")
    assert remaining["teams"]["edges"] == [{"node": {"slug": "alpha"}}]


async def test_unknown_team_is_not_found(client: Client) -> None:
    await gql_error(client, '{ team(slug: "ghost") { slug } }', "NOT_FOUND")


async def test_every_stint_with_include_ended(client: Client) -> None:
    await create_team(client, slug="stints")
    leaver = await create_person(client, email="gone@example.com")
    stayer = await create_person(client, email="here@example.com")
    week_ago = (date.today() - timedelta(days=7)).isoformat()
    await add_member(client, "stints", leaver["id"], start_date=week_ago)
    await add_member(client, "stints", stayer["id"], start_date=week_ago)
    await client.delete(f"{API}/teams/stints/members/{leaver['id']}")

    query = """
    query($ended: Boolean!) {
      team(slug: "stints") { members(includeEnded: $ended) { endDate person { email } } }
    }
    """
    current = await gql_data(client, query, ended=False)
    assert [m["person"]["email"] for m in current["team"]["members"]] == ["here@example.com"]
    every = await gql_data(client, query, ended=True)
    assert sorted(
        (m["person"]["email"], m["endDate"] is not None) for m in every["team"]["members"]
    ) == [("gone@example.com", True), ("here@example.com", False)]


async def test_field_errors_are_named_in_camel_case_in_the_message(client: Client) -> None:
    await create_team(client, slug="named")
    person = await create_person(client)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    error = await gql_error(
        client,
        'mutation($p: UUID!, $d: Date!) { addTeamMember(input: {team: "named", personId: $p, '
        "role: ENGINEER, startDate: $d}) { role } }",
        "BAD_USER_INPUT",
        p=person["id"],
        d=tomorrow,
    )
    assert error_fields(error) == ["startDate"]
    assert error["message"].startswith("startDate:"), error
