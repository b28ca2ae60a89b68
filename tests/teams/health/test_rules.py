"""Each roster-health rule is stated once: a day's health, the history and the list filter agree
on the boundaries where two copies of a rule used to be able to drift, and history costs a fixed
number of statements however many members, days and teams it covers."""

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

import pytest
from litestar import Litestar
from sqlmodel import SQLModel

from api.people.models import JobFamily, Person
from api.teams.health.models import TeamSizeException
from api.teams.models import Membership, TeamRole
from tests.factories import unique
from tests.graphql import gql_data
from tests.helpers import API, Client, app_engine, count_statements, list_all, seeding
from tests.teams.health.factories import (
    JUSTIFICATION,
    days_ago,
    health,
    insert_exception,
    moment,
    seed_staffed_teams,
    staff,
)

Point = tuple[str, int, float, str, int]


def first_moment(day: date) -> datetime:
    """Midnight UTC at the start of `day`."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def last_moment(day: date) -> datetime:
    """The last microsecond of `day`, UTC: the moment health on a past day describes."""
    return datetime.combine(day, time.max, tzinfo=UTC)


async def history(client: Client, slug: str) -> list[Point]:
    """The team's health history as (on, headcount, fte, status, limit)."""
    response = await client.get(f"{API}/teams/{slug}/health/history")
    assert response.status_code == 200, response.text
    return [(p["on"], p["headcount"], p["fte"], p["status"], p["limit"]) for p in response.json()]


async def on_day(client: Client, slug: str, day: date) -> Point:
    """The team's health on `day`, shaped like a history point."""
    shape = await health(client, slug, at=day.isoformat())
    return (shape["on"], shape["headcount"], shape["fte"], shape["status"], shape["limit"])


# The exception in force ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expires_at", "last_day_in_force"),
    [
        # Expiring as day 10 begins: day 10 is already without it.
        (first_moment(days_ago(10)), days_ago(11)),
        # Expiring at the very moment health on day 10 describes: not in force then.
        (last_moment(days_ago(10)), days_ago(11)),
        # One microsecond later, as day 9 begins: day 10 still had it.
        (last_moment(days_ago(10)) + timedelta(microseconds=1), days_ago(10)),
    ],
    ids=["at-midnight", "at-the-last-microsecond", "just-after-the-day"],
)
async def test_an_exception_expiring_on_a_day_boundary_is_judged_alike_everywhere(
    app: Litestar, client: Client, expires_at: datetime, last_day_in_force: date
) -> None:
    (team,) = await seed_staffed_teams(app, [11], start=days_ago(30))
    await insert_exception(app, team.id, max_size=12, granted_at=moment(-20), expires_at=expires_at)
    first_day_without = last_day_in_force + timedelta(days=1)

    during = await on_day(client, team.slug, last_day_in_force)
    after = await on_day(client, team.slug, first_day_without)
    assert during[3:] == ("over_with_exception", 12)
    assert after[3:] == ("over", 10)
    assert await history(client, team.slug) == [
        (days_ago(30).isoformat(), 11, 11.0, "over", 10),
        (days_ago(20).isoformat(), 11, 11.0, "over_with_exception", 12),
        (first_day_without.isoformat(), 11, 11.0, "over", 10),
    ]


async def test_an_exception_granted_late_in_a_day_covers_that_day(
    app: Litestar, client: Client
) -> None:
    (team,) = await seed_staffed_teams(app, [11], start=days_ago(30))
    granted_at = last_moment(days_ago(5))
    await insert_exception(
        app, team.id, max_size=12, granted_at=granted_at, expires_at=None, withdrawn_at=moment(-1)
    )
    assert (await on_day(client, team.slug, days_ago(6)))[3] == "over"
    assert (await on_day(client, team.slug, days_ago(5)))[3] == "over_with_exception"
    assert (await on_day(client, team.slug, days_ago(1)))[3] == "over"
    assert [point[3] for point in await history(client, team.slug)] == [
        "over",
        "over_with_exception",
        "over",
    ]
    # Withdrawn, it is no longer active, though it shaped the team's health on day 5.
    shape = await health(client, team.slug, at=days_ago(5).isoformat())
    assert shape["size_exception"]["active"] is False


async def test_overlapping_exceptions_are_judged_alike_everywhere(
    app: Litestar, client: Client
) -> None:
    # Grants take turns now, but two exceptions in force at once can be on record (concurrent
    # grants before they did); the later one counts, for a day's health as for the history and
    # the list filter, and it is the one health shows.
    (team,) = await seed_staffed_teams(app, [13], start=days_ago(30))
    await insert_exception(app, team.id, max_size=14, granted_at=moment(-20), expires_at=None)
    await insert_exception(app, team.id, max_size=12, granted_at=moment(-10), expires_at=None)

    assert (await on_day(client, team.slug, days_ago(11)))[3:] == ("over_with_exception", 14)
    assert (await on_day(client, team.slug, days_ago(10)))[3:] == ("over", 12)
    assert await history(client, team.slug) == [
        (days_ago(30).isoformat(), 13, 13.0, "over", 10),
        (days_ago(20).isoformat(), 13, 13.0, "over_with_exception", 14),
        (days_ago(10).isoformat(), 13, 13.0, "over", 12),
    ]
    today = await health(client, team.slug)
    assert (today["status"], today["size_exception"]["max_size"]) == ("over", 12)
    assert {item["slug"] for item in await list_all(client, f"{API}/teams", health="over")} == {
        team.slug
    }


# Who is on the team ----------------------------------------------------------------------------


async def test_a_membership_ending_on_a_day_is_not_counted_that_day(
    app: Litestar, client: Client
) -> None:
    (team,) = await seed_staffed_teams(app, [4], start=days_ago(30))
    await staff(app, team.id, 2, start=days_ago(30), end=days_ago(10))
    await staff(app, team.id, 1, start=days_ago(10), allocation=50)

    assert await on_day(client, team.slug, days_ago(11)) == (
        days_ago(11).isoformat(),
        6,
        6.0,
        "recommended",
        10,
    )
    assert await on_day(client, team.slug, days_ago(10)) == (
        days_ago(10).isoformat(),
        5,
        4.5,
        "recommended",
        10,
    )
    assert await history(client, team.slug) == [
        (days_ago(30).isoformat(), 6, 6.0, "recommended", 10),
        (days_ago(10).isoformat(), 5, 4.5, "recommended", 10),
    ]


async def test_every_day_of_the_history_matches_that_days_health(
    app: Litestar, client: Client
) -> None:
    (team,) = await seed_staffed_teams(app, [3], start=days_ago(25))
    await staff(app, team.id, 3, start=days_ago(22), end=days_ago(12), allocation=50)
    await staff(app, team.id, 6, start=days_ago(18))
    await staff(app, team.id, 1, start=days_ago(15), end=days_ago(14))
    await insert_exception(
        app,
        team.id,
        max_size=13,
        granted_at=moment(-16),
        expires_at=None,
        withdrawn_at=moment(-8),
    )
    await insert_exception(app, team.id, max_size=11, granted_at=moment(-4), expires_at=None)

    points = await history(client, team.slug)
    assert len(points) >= 5
    by_day = {date.fromisoformat(point[0]): point for point in points}
    current = None
    for offset in range(25, -1, -1):
        day = days_ago(offset)
        current = by_day.get(day, current)
        assert current is not None
        assert (await on_day(client, team.slug, day))[1:] == current[1:], day
    # A change day that changes nothing makes no point of its own.
    assert all(earlier[1:] != later[1:] for earlier, later in pairwise(points))


# Statement counts ----------------------------------------------------------------------------


async def history_statements(app: Litestar, client: Client, slug: str) -> tuple[int, int]:
    """The statements one health-history request runs, and how many points it returned."""
    await history(client, slug)  # warm connections and caches
    with count_statements(app_engine(app)) as counter:
        points = await history(client, slug)
    assert counter.count > 0
    return counter.count, len(points)


async def staff_over_many_days(app: Litestar, team_ids: Sequence[uuid.UUID], days: int) -> None:
    """On each of `days` days one member joins each team, and every other one leaves ten days
    later; an exception is granted and expires along the way."""
    records: list[SQLModel] = []
    for team_id in team_ids:
        for offset in range(days, 0, -1):
            person = Person(
                email=f"{unique('member')}@example.com",
                name="Seeded Member",
                job_family=JobFamily.ENGINEERING,
                home_org="platform",
            )
            records += [
                person,
                Membership(
                    team_id=team_id,
                    person_id=person.id,
                    role=TeamRole.ENGINEER,
                    start_date=days_ago(offset),
                    end_date=days_ago(offset - 10) if offset % 2 and offset > 10 else None,
                    allocation_percent=50 + offset % 50,
                ),
            ]
        records.append(
            TeamSizeException(
                team_id=team_id,
                max_size=days + 10,
                justification=JUSTIFICATION,
                approved_by="cto@example.com",
                expires_at=moment(-days / 4),
                created_at=moment(-days / 2),
            )
        )
    async with seeding(app) as session:
        session.add_all([record for record in records if not isinstance(record, TeamSizeException)])
        # Exceptions have no relationship to order them after what they refer to.
        await session.flush()
        session.add_all([record for record in records if isinstance(record, TeamSizeException)])
        await session.commit()


async def test_history_statements_do_not_grow_with_members_or_days(
    app: Litestar, client: Client
) -> None:
    small, large = await seed_staffed_teams(app, [2, 2], start=days_ago(3))
    await staff_over_many_days(app, [large.id], 60)

    few, small_points = await history_statements(app, client, small.slug)
    many, large_points = await history_statements(app, client, large.slug)
    assert small_points <= 2
    assert large_points >= 40
    assert few == many
    assert few <= 3


TEAMS_HISTORY = """
query($first: Int!) {
  teams(first: $first) { edges { node { slug healthHistory { on headcount status } } } }
}
"""


async def graphql_history_statements(app: Litestar, client: Client, first: int) -> int:
    """The statements the teams-with-history query runs, checking every team has a history."""
    await gql_data(client, TEAMS_HISTORY, first=first)  # warm connections and caches
    with count_statements(app_engine(app)) as counter:
        data = await gql_data(client, TEAMS_HISTORY, first=first)
    edges = data["teams"]["edges"]
    assert len(edges) == first
    assert all(edge["node"]["healthHistory"] for edge in edges)
    assert counter.count > 0
    return counter.count


async def test_graphql_history_statements_do_not_grow_with_teams(
    app: Litestar, client: Client
) -> None:
    teams = await seed_staffed_teams(app, [3] * 2, start=days_ago(5))
    few = await graphql_history_statements(app, client, len(teams))
    teams += await seed_staffed_teams(app, [3] * 18, start=days_ago(5))
    await staff_over_many_days(app, [team.id for team in teams], 20)
    many = await graphql_history_statements(app, client, len(teams))
    assert few == many
