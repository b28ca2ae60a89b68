"""Roster set-up for the health tests: staffed teams, exceptions granted in the past, health reads.

Rosters of a dozen people are seeded through the models in one transaction (as
`tests.factories` does for bulk rows); what a test asserts on still goes through HTTP.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from litestar import Litestar
from sqlmodel import SQLModel

from api.people.models import JobFamily, Person
from api.teams.health.models import TeamSizeException
from api.teams.models import Membership, Team, TeamRole
from tests.factories import unique
from tests.helpers import API, Client, seeding

SIZE_CODES = frozenset(
    {
        "under_minimum",
        "below_recommended",
        "above_recommended",
        "over_guideline",
        "over_guideline_with_exception",
        "over_exception",
        "many_communication_paths",
    }
)
JUSTIFICATION = "Runs the payments migration; splitting now would stall it."


def days_ago(days: int) -> date:
    """A day in the UTC calendar rosters are kept in."""
    return datetime.now(UTC).date() - timedelta(days=days)


def moment(days_from_now: float) -> datetime:
    """An instant relative to now (negative: in the past)."""
    return datetime.now(UTC) + timedelta(days=days_from_now)


@dataclass(frozen=True)
class SeededTeam:
    """A team seeded with a roster."""

    id: uuid.UUID
    slug: str
    size: int


async def _add_all(app: Litestar, records: Sequence[SQLModel]) -> None:
    async with seeding(app) as session:
        session.add_all(records)
        await session.commit()


async def seed_staffed_teams(
    app: Litestar, sizes: Sequence[int], *, start: date | None = None, org: str = "platform"
) -> list[SeededTeam]:
    """One team per size, each staffed by that many engineers from `start` on."""
    records: list[SQLModel] = []
    seeded: list[SeededTeam] = []
    for size in sizes:
        team = Team(slug=unique("sized"), name="Sized team", org=org)
        records.append(team)
        seeded.append(SeededTeam(id=team.id, slug=team.slug, size=size))
        for _ in range(size):
            person = Person(
                email=f"{unique('member')}@example.com",
                name="Seeded Member",
                job_family=JobFamily.ENGINEERING,
                home_org=org,
            )
            records.append(person)
            records.append(
                Membership(
                    team_id=team.id,
                    person_id=person.id,
                    role=TeamRole.ENGINEER,
                    start_date=start or days_ago(60),
                )
            )
    await _add_all(app, records)
    return seeded


async def staff(
    app: Litestar,
    team_id: uuid.UUID,
    size: int,
    *,
    start: date,
    end: date | None = None,
    allocation: int = 100,
) -> None:
    """Put `size` new engineers on an existing team from `start` on (until `end`, if given)."""
    records: list[SQLModel] = []
    for _ in range(size):
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
                start_date=start,
                end_date=end,
                allocation_percent=allocation,
            ),
        ]
    await _add_all(app, records)


async def insert_exception(
    app: Litestar,
    team_id: uuid.UUID,
    *,
    max_size: int,
    granted_at: datetime,
    expires_at: datetime | None,
    withdrawn_at: datetime | None = None,
) -> uuid.UUID:
    """An exception granted in the past, as it was stored then (test set-up, not a mock)."""
    exception = TeamSizeException(
        team_id=team_id,
        max_size=max_size,
        justification=JUSTIFICATION,
        approved_by="cto@example.com",
        expires_at=expires_at,
        withdrawn_at=withdrawn_at,
        created_at=granted_at,
        updated_at=withdrawn_at or granted_at,
    )
    await _add_all(app, [exception])
    return exception.id


async def health(client: Client, slug: str, **params: Any) -> dict[str, Any]:
    """A team's roster health, which must be readable."""
    response = await client.get(f"{API}/teams/{slug}/health", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def codes(warnings: list[dict[str, Any]]) -> set[str]:
    """The warning codes of a health answer."""
    return {warning["code"] for warning in warnings}


def size_codes(warnings: list[dict[str, Any]]) -> set[str]:
    """The warning codes about size alone (not about roles, orgs or allocation)."""
    return codes(warnings) & SIZE_CODES


async def grant(client: Client, slug: str, **fields: Any) -> dict[str, Any]:
    """Grant a size exception that must succeed."""
    body = {"max_size": 12, "justification": JUSTIFICATION, **fields}
    response = await client.put(f"{API}/teams/{slug}/size-exception", json=body)
    assert response.status_code == 200, response.text
    exception: dict[str, Any] = response.json()
    return exception
