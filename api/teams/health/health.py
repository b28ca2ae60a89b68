"""Roster health: a team's shape against the guideline today or on a past day, and its history."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.core.db import utcnow
from api.core.errors import InvalidInput
from api.people.models import Person
from api.teams.health.exceptions import exception_read
from api.teams.health.guideline import Guideline, guideline_read, load_guideline
from api.teams.health.models import HealthStatus, TeamSizeException
from api.teams.health.rules import exception_in_force_at, history_points, one_day, team_sizes
from api.teams.health.schemas import (
    HealthPoint,
    HealthWarning,
    JobFamilyCount,
    OverAllocatedMember,
    RoleCount,
    TeamHealth,
)
from api.teams.lookups import get_team
from api.teams.models import Membership, Team, TeamRole, active_on


def full_time_equivalents(allocation_percent: int) -> float:
    """Allocation percentages summed over members, as full-time people."""
    return round(allocation_percent / 100, 2)


def _warnings(
    health: TeamHealth, guideline: Guideline, exception: TeamSizeException | None
) -> list[HealthWarning]:
    n = health.headcount
    found: list[HealthWarning] = []

    def warn(code: str, message: str) -> None:
        # A code not in WarningCode fails here, in the tests, never silently in a client.
        found.append(HealthWarning(code=code, message=message))

    status = health.status
    if status == HealthStatus.UNDER:
        warn(
            "under_minimum",
            f"The team has {n} {'person' if n == 1 else 'people'}, fewer than the minimum of "
            f"{guideline.minimum}.",
        )
    elif status == HealthStatus.ACCEPTABLE and n > guideline.recommended_max:
        warn(
            "above_recommended",
            f"The team has {n} people, more than the recommended {guideline.recommended_max} "
            f"(acceptable up to {guideline.acceptable_max}).",
        )
    elif status == HealthStatus.ACCEPTABLE:
        warn(
            "below_recommended",
            f"The team has {n} people, fewer than the recommended {guideline.recommended_min}.",
        )
    elif status == HealthStatus.OVER_WITH_EXCEPTION and exception is not None:
        until = f" until {exception.expires_at:%Y-%m-%d}" if exception.expires_at else ""
        warn(
            "over_guideline_with_exception",
            f"The team has {n} people, over the guideline's {guideline.acceptable_max}, under an "
            f"exception up to {exception.max_size}{until} approved by {exception.approved_by}: "
            f"{exception.justification}",
        )
    elif status == HealthStatus.OVER and exception is not None:
        warn(
            "over_exception",
            f"The team has {n} people, more than even its exception allows ({exception.max_size}).",
        )
    elif status == HealthStatus.OVER:
        warn(
            "over_guideline",
            f"The team has {n} people, over the guideline's acceptable {guideline.acceptable_max}"
            ", with no exception on record.",
        )
    recommended_paths = guideline.recommended_max * (guideline.recommended_max - 1) // 2
    if health.communication_paths > recommended_paths:
        warn(
            "many_communication_paths",
            f"{n} people make {health.communication_paths} communication paths; "
            f"{guideline.recommended_max} would make {recommended_paths}.",
        )
    if n >= 2 and len(health.home_orgs) == 1:
        warn(
            "single_home_org",
            f"Everyone comes from one org ({health.home_orgs[0]}): the team is not "
            "cross-functional.",
        )
    if n > 0 and not health.has_product_manager:
        warn("no_product_manager", "No one on the team is its product manager.")
    if n > 0 and not health.has_security_champion:
        warn("no_security_champion", "No one on the team is its security champion.")
    for member in health.over_allocated_members:
        warn(
            "member_over_allocated",
            f"{member.name} is allocated {member.total_allocation_percent}% across teams.",
        )
    return found


async def health_for_teams(
    session: AsyncSession, teams: Sequence[Team], *, on: date | None = None
) -> dict[uuid.UUID, TeamHealth]:
    """Roster health of many teams in a fixed number of statements, aggregated in SQL."""
    now = utcnow()
    if on is not None and on > now.date():
        raise InvalidInput.field("at", "must not be in the future")
    day = on or now.date()
    team_ids = [team.id for team in teams]
    guideline = await load_guideline(session)
    if not team_ids:
        return {}
    in_teams = col(Membership.team_id).in_(team_ids)
    active = and_(in_teams, *active_on(day))

    # With the exception that applied on the day, and whether it is still in force now.
    sizes = {
        row.team_id: row
        for row in await session.execute(
            team_sizes(one_day(day, team_ids), guideline, now=now).add_columns(
                TeamSizeException, exception_in_force_at(now).label("in_force_now")
            )
        )
    }
    orgs: dict[uuid.UUID, list[str]] = defaultdict(list)
    for team_id, org in await session.execute(
        select(col(Membership.team_id), col(Person.home_org))
        .join(Person, col(Person.id) == col(Membership.person_id))
        .where(active)
        .group_by(col(Membership.team_id), col(Person.home_org))
        .order_by(col(Person.home_org))
    ):
        orgs[team_id].append(org)
    families: dict[uuid.UUID, list[JobFamilyCount]] = defaultdict(list)
    for team_id, family, count in await session.execute(
        select(col(Membership.team_id), col(Person.job_family), func.count())
        .join(Person, col(Person.id) == col(Membership.person_id))
        .where(active)
        .group_by(col(Membership.team_id), col(Person.job_family))
        .order_by(col(Person.job_family))
    ):
        families[team_id].append(JobFamilyCount(job_family=family, count=count))
    roles: dict[uuid.UUID, list[RoleCount]] = defaultdict(list)
    for team_id, role, count in await session.execute(
        select(col(Membership.team_id), col(Membership.role), func.count())
        .where(active)
        .group_by(col(Membership.team_id), col(Membership.role))
        .order_by(col(Membership.role))
    ):
        roles[team_id].append(RoleCount(role=role, count=count))

    totals = (
        select(
            col(Membership.person_id).label("person_id"),
            func.sum(col(Membership.allocation_percent)).label("total"),
        )
        .where(*active_on(day))
        .group_by(col(Membership.person_id))
        .having(func.sum(col(Membership.allocation_percent)) > 100)
        .subquery()
    )
    stretched: dict[uuid.UUID, list[OverAllocatedMember]] = defaultdict(list)
    for team_id, person_id, name, total in await session.execute(
        select(col(Membership.team_id), col(Person.id), col(Person.name), totals.c.total)
        .join(totals, totals.c.person_id == col(Membership.person_id))
        .join(Person, col(Person.id) == col(Membership.person_id))
        .where(active)
        .order_by(col(Person.name))
    ):
        stretched[team_id].append(
            OverAllocatedMember(person_id=person_id, name=name, total_allocation_percent=total)
        )

    result: dict[uuid.UUID, TeamHealth] = {}
    for team in teams:
        size = sizes[team.id]
        exception: TeamSizeException | None = size.TeamSizeException
        role_names = {item.role for item in roles.get(team.id, [])}
        health = TeamHealth(
            team=team.slug,
            on=day,
            headcount=size.headcount,
            fte=full_time_equivalents(size.allocation),
            status=HealthStatus(size.status),
            limit=size.limit,
            communication_paths=size.headcount * (size.headcount - 1) // 2,
            home_orgs=orgs.get(team.id, []),
            job_families=families.get(team.id, []),
            roles=roles.get(team.id, []),
            has_product_manager=TeamRole.PRODUCT_MANAGER.value in role_names,
            has_security_champion=TeamRole.SECURITY_CHAMPION.value in role_names,
            over_allocated_members=stretched.get(team.id, []),
            size_exception=exception_read(exception, team, active=bool(size.in_force_now))
            if exception
            else None,
            guideline=guideline_read(guideline),
            warnings=[],
        )
        health.warnings = _warnings(health, guideline, exception)
        result[team.id] = health
    return result


async def team_health(session: AsyncSession, slug: str, *, on: date | None) -> TeamHealth:
    """One team's roster health today, or on a past day."""
    team = await get_team(session, slug)
    return (await health_for_teams(session, [team], on=on))[team.id]


async def health_history(session: AsyncSession, slug: str) -> list[HealthPoint]:
    """The team's size and status at each day its roster or exception changed, oldest first."""
    team = await get_team(session, slug)
    return (await health_histories(session, [team]))[team.id]


async def health_histories(
    session: AsyncSession, teams: Sequence[Team]
) -> dict[uuid.UUID, list[HealthPoint]]:
    """Health histories of many teams, computed in SQL in two statements whatever their number,
    their members or their days."""
    guideline = await load_guideline(session)
    histories: dict[uuid.UUID, list[HealthPoint]] = {team.id: [] for team in teams}
    if not histories:
        return histories
    for point in await session.execute(history_points(list(histories), guideline, now=utcnow())):
        histories[point.team_id].append(
            HealthPoint(
                on=point.day,
                headcount=point.headcount,
                fte=full_time_equivalents(point.allocation),
                status=HealthStatus(point.status),
                limit=point.limit,
            )
        )
    return histories
