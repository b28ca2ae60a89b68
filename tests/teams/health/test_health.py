"""Roster health over the guideline's boundaries, over time, as a list filter, and its SQL cost."""

import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from litestar import Litestar

from api.people.models import JobFamily, Person
from api.teams.health.models import TeamSizeException
from api.teams.models import Membership, Team, TeamRole
from tests.factories import add_member, create_person, create_team, unique
from tests.graphql import gql_data
from tests.helpers import (
    API,
    Client,
    app_engine,
    assert_problem,
    count_statements,
    list_all,
    list_statements,
    seeding,
)
from tests.teams.health.factories import (
    JUSTIFICATION,
    SeededTeam,
    days_ago,
    grant,
    health,
    insert_exception,
    moment,
    seed_staffed_teams,
    size_codes,
)

GUIDELINE = f"{API}/guidelines/team-size"
STATUSES = ("under", "recommended", "acceptable", "over", "over_with_exception")

# (size, exception max, status, size warnings) under the default guideline 3 / 5-8 / 10.
DEFAULT_BOUNDARIES: list[tuple[int, int | None, str, set[str]]] = [
    (0, None, "under", {"under_minimum"}),
    (2, None, "under", {"under_minimum"}),
    (3, None, "acceptable", {"below_recommended"}),
    (4, None, "acceptable", {"below_recommended"}),
    (5, None, "recommended", set()),
    (8, None, "recommended", set()),
    (9, None, "acceptable", {"above_recommended", "many_communication_paths"}),
    (10, None, "acceptable", {"above_recommended", "many_communication_paths"}),
    (11, None, "over", {"over_guideline", "many_communication_paths"}),
    (11, 12, "over_with_exception", {"over_guideline_with_exception", "many_communication_paths"}),
    (12, 12, "over_with_exception", {"over_guideline_with_exception", "many_communication_paths"}),
    (13, 12, "over", {"over_exception", "many_communication_paths"}),
]


async def seed_boundaries(
    app: Litestar, client: Client, cases: Sequence[tuple[int, int | None]]
) -> list[SeededTeam]:
    """One staffed team per (size, exception max) case; exceptions granted through REST."""
    teams = await seed_staffed_teams(app, [size for size, _ in cases])
    for team, (_, exception_max) in zip(teams, cases, strict=True):
        if exception_max is not None:
            await grant(client, team.slug, max_size=exception_max)
    return teams


async def listed(client: Client, **params: Any) -> set[str]:
    """The slugs of every team the list returns for these filters."""
    return {team["slug"] for team in await list_all(client, f"{API}/teams", limit=200, **params)}


async def test_every_status_boundary_of_the_default_guideline(
    app: Litestar, client: Client
) -> None:
    cases = [(size, exception_max) for size, exception_max, _, _ in DEFAULT_BOUNDARIES]
    teams = await seed_boundaries(app, client, cases)
    by_status: dict[str, set[str]] = {status: set() for status in STATUSES}
    for team, (size, exception_max, status, warnings) in zip(
        teams, DEFAULT_BOUNDARIES, strict=True
    ):
        shape = await health(client, team.slug)
        case = (size, exception_max)
        assert shape["headcount"] == size, case
        assert shape["status"] == status, case
        assert shape["limit"] == max(10, exception_max or 0), case
        assert shape["communication_paths"] == size * (size - 1) // 2, case
        assert size_codes(shape["warnings"]) == warnings, (case, shape["warnings"])
        by_status[status].add(team.slug)

    # The list filter computes the same statuses in SQL.
    for status, slugs in by_status.items():
        assert await listed(client, health=status) == slugs, status


async def test_statuses_follow_a_changed_guideline(app: Litestar, client: Client) -> None:
    teams = await seed_boundaries(app, client, [(size, None) for size in (1, 2, 3, 4, 5, 6, 7, 7)])
    guideline = {"minimum": 2, "recommended_min": 3, "recommended_max": 4, "acceptable_max": 6}
    response = await client.put(GUIDELINE, json=guideline)
    assert response.status_code == 200, response.text
    await grant(client, teams[-1].slug, max_size=7)
    expected = [
        ("under", {"under_minimum"}),
        ("acceptable", {"below_recommended"}),
        ("recommended", set()),
        ("recommended", set()),
        ("acceptable", {"above_recommended", "many_communication_paths"}),
        ("acceptable", {"above_recommended", "many_communication_paths"}),
        ("over", {"over_guideline", "many_communication_paths"}),
        ("over_with_exception", {"over_guideline_with_exception", "many_communication_paths"}),
    ]
    by_status: dict[str, set[str]] = {status: set() for status in STATUSES}
    for team, (status, warnings) in zip(teams, expected, strict=True):
        shape = await health(client, team.slug)
        assert shape["status"] == status, team.size
        assert size_codes(shape["warnings"]) == warnings, (team.size, shape["warnings"])
        assert shape["guideline"]["acceptable_max"] == 6
        by_status[status].add(team.slug)
    for status, slugs in by_status.items():
        assert await listed(client, health=status) == slugs, status


# Health on past days --------------------------------------------------------------------------


async def test_health_on_a_past_day_after_members_left(client: Client) -> None:
    team = await create_team(client)
    slug = team["slug"]
    joined = days_ago(30).isoformat()
    people = [await create_person(client) for _ in range(6)]
    for person in people:
        await add_member(client, slug, person["id"], start_date=joined, allocation_percent=50)
    for person in people[:2]:
        response = await client.delete(f"{API}/teams/{slug}/members/{person['id']}")
        assert response.status_code == 204, response.text

    now = await health(client, slug)
    assert (now["headcount"], now["fte"], now["status"]) == (4, 2.0, "acceptable")
    assert "below_recommended" in size_codes(now["warnings"])

    yesterday = await health(client, slug, at=days_ago(1).isoformat())
    assert yesterday["on"] == days_ago(1).isoformat()
    assert (yesterday["headcount"], yesterday["fte"], yesterday["status"]) == (
        6,
        3.0,
        "recommended",
    )
    assert yesterday["communication_paths"] == 15
    assert size_codes(yesterday["warnings"]) == set()

    first_day = await health(client, slug, at=joined)
    assert (first_day["headcount"], first_day["status"]) == (6, "recommended")
    before = await health(client, slug, at=days_ago(31).isoformat())
    assert (before["headcount"], before["status"]) == (0, "under")

    # Today, given explicitly, is the same as leaving `at` out.
    today = await health(client, slug, at=days_ago(0).isoformat())
    assert (today["headcount"], today["status"]) == (4, "acceptable")

    response = await client.get(f"{API}/teams/{slug}/health/history")
    assert response.status_code == 200, response.text
    assert response.json() == [
        {"on": joined, "headcount": 6, "fte": 3.0, "status": "recommended", "limit": 10},
        {
            "on": days_ago(0).isoformat(),
            "headcount": 4,
            "fte": 2.0,
            "status": "acceptable",
            "limit": 10,
        },
    ]


async def test_history_follows_joins_leaves_and_exceptions_in_order(
    app: Litestar, client: Client
) -> None:
    (team,) = await seed_staffed_teams(app, [9], start=days_ago(50))
    for _ in range(2):
        person = await create_person(client)
        await add_member(client, team.slug, person["id"], start_date=days_ago(40).isoformat())
    await insert_exception(
        app, team.id, max_size=11, granted_at=moment(-20), expires_at=moment(-15)
    )

    response = await client.get(f"{API}/teams/{team.slug}/health/history")
    assert response.status_code == 200, response.text
    points = [(p["on"], p["headcount"], p["status"], p["limit"]) for p in response.json()]
    assert points == [
        (days_ago(50).isoformat(), 9, "acceptable", 10),
        (days_ago(40).isoformat(), 11, "over", 10),
        (days_ago(20).isoformat(), 11, "over_with_exception", 11),
        (days_ago(15).isoformat(), 11, "over", 10),
    ]
    assert [p["on"] for p in response.json()] == sorted(p["on"] for p in response.json())


@pytest.mark.parametrize(
    "at", ["2026-13-01", "yesterday", "2026-02-30", "20260101", "", "2026-01-01T00:00:00Z"]
)
async def test_a_malformed_health_date_names_at(client: Client, at: str) -> None:
    team = await create_team(client)
    response = await client.get(f"{API}/teams/{team['slug']}/health", params={"at": at})
    assert_problem(response, (400, 422), field="at")


async def test_a_future_health_date_names_at(client: Client) -> None:
    team = await create_team(client)
    tomorrow = days_ago(-1).isoformat()
    response = await client.get(f"{API}/teams/{team['slug']}/health", params={"at": tomorrow})
    assert_problem(response, 422, field="at")


# The list filter --------------------------------------------------------------------------


async def test_health_filter_uses_exceptions_in_force_and_other_filters(
    app: Litestar, client: Client
) -> None:
    recommended, over, expired, excepted, archived = await seed_staffed_teams(
        app, [6, 11, 11, 11, 11]
    )
    await insert_exception(
        app, expired.id, max_size=12, granted_at=moment(-30), expires_at=moment(-1)
    )
    await grant(client, excepted.slug, max_size=12)
    await grant(client, archived.slug, max_size=12)
    assert (await client.delete(f"{API}/teams/{archived.slug}")).status_code == 204
    empty = await create_team(client, org="elsewhere")

    assert await listed(client, health="over") == {over.slug, expired.slug}
    assert await listed(client, health="over_with_exception") == {excepted.slug}
    assert await listed(client, health="recommended") == {recommended.slug}
    assert await listed(client, health="under") == {empty["slug"]}
    assert await listed(client, health="under", include_archived="true") == {
        empty["slug"],
        archived.slug,
    }
    assert await listed(client, health="under", org="platform") == set()
    assert await listed(client, health="acceptable") == set()

    # Withdrawing the exception moves the team to `over` at once.
    assert (await client.delete(f"{API}/teams/{excepted.slug}/size-exception")).status_code == 204
    assert await listed(client, health="over") == {over.slug, expired.slug, excepted.slug}


@pytest.mark.parametrize("value", ["OVER", "overloaded", "", "over,under"])
async def test_an_unknown_health_filter_names_health(client: Client, value: str) -> None:
    await create_team(client)
    response = await client.get(f"{API}/teams", params={"health": value})
    assert_problem(response, (400, 422), field="health")


# Statement counts -----------------------------------------------------------------------------


async def seed_over_teams(app: Litestar, count: int, people: Sequence[uuid.UUID]) -> None:
    """`count` teams staffed by all of `people` (so everyone is over-allocated); every tenth has
    an exception that covers its size."""
    teams = [
        Team(slug=unique("counted"), name="Counted team", org="platform") for _ in range(count)
    ]
    memberships = [
        Membership(
            team_id=team.id, person_id=person_id, role=TeamRole.ENGINEER, start_date=days_ago(9)
        )
        for team in teams
        for person_id in people
    ]
    exceptions = [
        TeamSizeException(
            team_id=team.id,
            max_size=len(people),
            justification=JUSTIFICATION,
            approved_by="cto@example.com",
        )
        for team in teams[::10]
    ]
    async with seeding(app) as session:
        session.add_all([*teams, *memberships])
        # Exceptions have no relationship to order them after their teams: flush teams first.
        await session.flush()
        session.add_all(exceptions)
        await session.commit()


async def seed_people_rows(app: Litestar, count: int) -> list[uuid.UUID]:
    """`count` people from two orgs."""
    people = [
        Person(
            email=f"{unique('counted')}@example.com",
            name="Counted Person",
            job_family=JobFamily.ENGINEERING,
            home_org="platform" if number % 2 else "product",
        )
        for number in range(count)
    ]
    async with seeding(app) as session:
        session.add_all(people)
        await session.commit()
    return [person.id for person in people]


async def test_health_filter_statements_do_not_grow_with_teams(
    app: Litestar, client: Client
) -> None:
    engine = app_engine(app)
    people = await seed_people_rows(app, 11)
    await seed_over_teams(app, 10, people)
    few = await list_statements(client, engine, f"{API}/teams", expect_items=9, health="over")
    await seed_over_teams(app, 90, people)
    many = await list_statements(client, engine, f"{API}/teams", expect_items=90, health="over")
    assert few == many
    assert few <= 4


TEAMS_HEALTH = """
query($first: Int!) {
  teams(first: $first) {
    edges { node {
      slug
      health { status headcount overAllocatedMembers { name } warnings { code } }
      members { warnings { code } }
    } }
  }
}
"""


async def graphql_statements(app: Litestar, client: Client, first: int) -> int:
    """The statements the teams-with-health query runs, checking it returns `first` teams."""
    await gql_data(client, TEAMS_HEALTH, first=first)  # warm connections and caches
    with count_statements(app_engine(app)) as counter:
        data = await gql_data(client, TEAMS_HEALTH, first=first)
    edges = data["teams"]["edges"]
    assert len(edges) == first
    for edge in edges:
        node = edge["node"]
        assert node["health"]["headcount"] == 11
        assert node["health"]["status"] in {"OVER", "OVER_WITH_EXCEPTION"}
        assert len(node["health"]["overAllocatedMembers"]) == 11
        assert len(node["members"]) == 11
        assert all(m["warnings"] == node["health"]["warnings"] for m in node["members"])
    assert counter.count > 0
    return counter.count


async def test_graphql_team_health_statements_do_not_grow_with_teams(
    app: Litestar, client: Client
) -> None:
    people = await seed_people_rows(app, 11)
    await seed_over_teams(app, 10, people)
    few = await graphql_statements(app, client, 10)
    await seed_over_teams(app, 90, people)
    many = await graphql_statements(app, client, 100)
    assert few == many
