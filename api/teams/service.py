"""Rules and queries for teams and their rosters."""

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from api.db import utcnow
from api.errors import Conflict, FieldError, InvalidInput, NotFound
from api.pagination import Window, count_rows, fetch_window
from api.people.models import Person
from api.products.models import Product
from api.records import Precondition, apply_changes, check_if_match, flush, text_search
from api.teams.models import Membership, Team
from api.teams.schemas import (
    MembershipCreate,
    MembershipUpdate,
    RosterFilter,
    TeamCreate,
    TeamsFilter,
    TeamUpdate,
)

_REQUIRED_TEAM = frozenset({"name", "mission", "org"})
_REQUIRED_MEMBERSHIP = frozenset({"role", "allocation_percent"})


def today() -> date:
    """Today's date in UTC, the calendar rosters are kept in."""
    return utcnow().date()


def active_on(day: date) -> Sequence[object]:
    """Conditions for a membership that is in force on `day` (end dates are exclusive)."""
    return (
        Membership.start_date <= day,  # type: ignore[operator]
        or_(Membership.end_date.is_(None), Membership.end_date > day),  # type: ignore[union-attr,operator]
    )


async def get_team(session: AsyncSession, slug: str) -> Team:
    """A team by slug, archived or not."""
    team = await session.scalar(select(Team).where(Team.slug == slug))
    if team is None:
        raise NotFound(f"no team with slug {slug!r}")
    return team


async def get_teams(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Team]:
    """Many teams by id, in one query."""
    if not ids:
        return {}
    rows = await session.scalars(select(Team).where(Team.id.in_(set(ids))))  # type: ignore[attr-defined]
    return {team.id: team for team in rows}


def _filtered(filters: TeamsFilter) -> Select[tuple[Team]]:
    statement = select(Team)
    if not filters.include_archived:
        statement = statement.where(Team.archived_at.is_(None))  # type: ignore[union-attr]
    if filters.org:
        statement = statement.where(func.lower(Team.org) == filters.org.lower())
    if filters.q:
        statement = statement.where(text_search(filters.q, Team.slug, Team.name, Team.mission))
    return statement


async def list_teams(
    session: AsyncSession, *, filters: TeamsFilter, cursor: str | None, limit: int
) -> Window[Team]:
    """One page of teams matching the filters, oldest first."""
    return await fetch_window(session, _filtered(filters), Team.id, cursor=cursor, limit=limit)


async def count_teams(session: AsyncSession, *, filters: TeamsFilter) -> int:
    """How many teams match the filters."""
    return await count_rows(session, _filtered(filters))


async def create_team(session: AsyncSession, *, data: TeamCreate) -> Team:
    """Add a team; the slug must be new."""
    if await session.scalar(select(Team.id).where(Team.slug == data.slug)) is not None:
        raise Conflict(
            f"a team with slug {data.slug!r} already exists", [FieldError("slug", "is already taken")]
        )
    team = Team(slug=data.slug, name=data.name, mission=data.mission, org=data.org)
    session.add(team)
    await flush(session)
    return team


def _check_not_archived(team: Team) -> None:
    if team.archived_at is not None:
        raise Conflict(f"team {team.slug!r} is archived and cannot change")


async def update_team(
    session: AsyncSession, slug: str, *, data: TeamUpdate, if_match: Precondition
) -> Team:
    """Change some of a team's fields."""
    team = await get_team(session, slug)
    check_if_match(team, if_match)
    _check_not_archived(team)
    apply_changes(team, data.model_dump(exclude_unset=True), required=_REQUIRED_TEAM)
    await flush(session)
    return team


async def archive_team(session: AsyncSession, slug: str, *, if_match: Precondition) -> Team:
    """Archive a team that owns no live products, ending its current memberships."""
    team = await get_team(session, slug)
    check_if_match(team, if_match)
    if team.archived_at is not None:
        return team
    live_products = await session.scalar(
        select(func.count())
        .select_from(Product)
        .where(Product.team_id == team.id, Product.archived_at.is_(None))  # type: ignore[union-attr]
    )
    if live_products:
        raise Conflict(
            f"team {slug!r} still owns {live_products} product(s); move or archive them first"
        )
    now = utcnow()
    team.archived_at = now
    team.updated_at = now
    await end_open_memberships(session, Membership.team_id == team.id, on=now.date())
    await flush(session)
    return team


async def end_open_memberships(session: AsyncSession, condition: object, *, on: date) -> None:
    """End, on `on`, every open membership that matches `condition`."""
    await session.execute(
        update(Membership)
        .where(condition)  # type: ignore[arg-type]
        .where(Membership.end_date.is_(None))  # type: ignore[union-attr]
        .values(end_date=on, updated_at=utcnow(), version=Membership.version + 1)
    )


def _roster(team: Team, roster: RosterFilter) -> Select[tuple[Membership]]:
    statement = (
        select(Membership)
        .where(Membership.team_id == team.id)  # type: ignore[arg-type]
        .options(joinedload(Membership.person))  # type: ignore[arg-type]
    )
    if roster.include_ended and roster.at is None:
        return statement
    return statement.where(*active_on(roster.at or today()))  # type: ignore[arg-type]


async def list_members(
    session: AsyncSession,
    slug: str,
    *,
    roster: RosterFilter,
    cursor: str | None,
    limit: int,
) -> tuple[Team, Window[Membership]]:
    """A team's members on a day (today by default), or every stint it ever had."""
    if roster.at is not None and roster.at > today():
        raise InvalidInput.field("at", "must not be in the future")
    team = await get_team(session, slug)
    window = await fetch_window(
        session, _roster(team, roster), Membership.id, cursor=cursor, limit=limit
    )
    return team, window


async def count_members(session: AsyncSession, team: Team, *, roster: RosterFilter) -> int:
    """How many memberships a roster query matches."""
    return await count_rows(session, _roster(team, roster))


async def _current_membership(
    session: AsyncSession, team: Team, person_id: uuid.UUID
) -> Membership | None:
    return await session.scalar(
        select(Membership)
        .where(Membership.team_id == team.id, Membership.person_id == person_id)  # type: ignore[arg-type]
        .where(*active_on(today()))  # type: ignore[arg-type]
        .options(joinedload(Membership.person))  # type: ignore[arg-type]
    )


async def get_member(session: AsyncSession, slug: str, person_id: uuid.UUID) -> Membership:
    """A person's current membership of a team."""
    team = await get_team(session, slug)
    membership = await _current_membership(session, team, person_id)
    if membership is None:
        raise NotFound(f"person {person_id} is not a current member of team {slug!r}")
    return membership


async def add_member(session: AsyncSession, slug: str, *, data: MembershipCreate) -> Membership:
    """Put a person on a team, from today or a past start date."""
    team = await get_team(session, slug)
    _check_not_archived(team)
    start = data.start_date or today()
    if start > today():
        raise InvalidInput.field("start_date", "must not be in the future")
    person = await session.get(Person, data.person_id)
    if person is None:
        raise InvalidInput.field("person_id", f"no person with id {data.person_id}")
    if person.archived_at is not None:
        raise InvalidInput.field("person_id", "the person is archived")
    overlapping = await session.scalar(
        select(Membership.id).where(
            Membership.team_id == team.id,  # type: ignore[arg-type]
            Membership.person_id == person.id,  # type: ignore[arg-type]
            or_(Membership.end_date.is_(None), Membership.end_date > start),  # type: ignore[union-attr,operator]
        )
    )
    if overlapping is not None:
        raise Conflict(
            f"{person.email} is already on team {slug!r} from {start} on",
            [FieldError("person_id", "is already a member")],
        )
    membership = Membership(
        team_id=team.id,
        person_id=person.id,
        role=data.role.value,
        allocation_percent=data.allocation_percent,
        start_date=start,
    )
    membership.person = person
    membership.team = team
    session.add(membership)
    await flush(session)
    return membership


async def update_member(
    session: AsyncSession,
    slug: str,
    person_id: uuid.UUID,
    *,
    data: MembershipUpdate,
    if_match: Precondition,
) -> Membership:
    """Change a current member's role or allocation."""
    membership = await get_member(session, slug, person_id)
    check_if_match(membership, if_match)
    apply_changes(
        membership, data.model_dump(exclude_unset=True, mode="json"), required=_REQUIRED_MEMBERSHIP
    )
    await flush(session)
    return membership


async def end_member(
    session: AsyncSession, slug: str, person_id: uuid.UUID, *, if_match: Precondition
) -> Membership:
    """End a current membership today; the stint stays in the roster's history."""
    membership = await get_member(session, slug, person_id)
    check_if_match(membership, if_match)
    membership.end_date = max(today(), membership.start_date)
    membership.updated_at = utcnow()
    await flush(session)
    return membership


async def memberships_for_teams(
    session: AsyncSession, team_ids: Sequence[uuid.UUID], *, on: date | None = None
) -> dict[uuid.UUID, list[Membership]]:
    """Current memberships of many teams, people loaded, in one query."""
    grouped: dict[uuid.UUID, list[Membership]] = {team_id: [] for team_id in team_ids}
    if not team_ids:
        return grouped
    rows = await session.scalars(
        select(Membership)
        .where(Membership.team_id.in_(set(team_ids)))  # type: ignore[attr-defined]
        .where(*active_on(on or today()))  # type: ignore[arg-type]
        .options(joinedload(Membership.person))  # type: ignore[arg-type]
        .order_by(Membership.id)
    )
    for membership in rows:
        grouped[membership.team_id].append(membership)
    return grouped


async def memberships_for_people(
    session: AsyncSession, person_ids: Sequence[uuid.UUID], *, on: date | None = None
) -> dict[uuid.UUID, list[Membership]]:
    """Current memberships of many people, teams loaded, in one query."""
    grouped: dict[uuid.UUID, list[Membership]] = {person_id: [] for person_id in person_ids}
    if not person_ids:
        return grouped
    rows = await session.scalars(
        select(Membership)
        .where(Membership.person_id.in_(set(person_ids)))  # type: ignore[attr-defined]
        .where(*active_on(on or today()))  # type: ignore[arg-type]
        .options(joinedload(Membership.team))  # type: ignore[arg-type]
        .order_by(Membership.id)
    )
    for membership in rows:
        grouped[membership.person_id].append(membership)
    return grouped


