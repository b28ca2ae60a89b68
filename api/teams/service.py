"""Rules and queries for teams and their rosters."""

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlmodel import col

from api.core.access import ARCHIVED_PERSON, Principal
from api.core.db import SelectT, columns, narrowed, relation, same_text, text_search, utcnow
from api.core.errors import Conflict, FieldError, InvalidInput, NotFound, Unauthenticated
from api.core.hooks import Hook
from api.core.pagination import Paging, Window, fetch_window
from api.core.policy import Scope
from api.core.writes import Precondition, apply_changes, check_if_match, flush, stamp
from api.people.models import Person
from api.people.service import person_archived
from api.teams.health.guideline import load_guideline
from api.teams.health.rules import team_status_subquery
from api.teams.lookups import get_team
from api.teams.models import Membership, Team, TeamRole, active_on, today
from api.teams.policy import TEAMS
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


async def _filtered(session: AsyncSession, filters: TeamsFilter) -> Select[Team]:
    statement = select(Team)
    if filters.health is not None:
        # Headcount and status are computed in SQL for every team at once, not team by team.
        statuses = team_status_subquery(await load_guideline(session), None)
        statement = statement.join(statuses, statuses.c.team_id == col(Team.id)).where(
            statuses.c.status == filters.health.value
        )
    if not filters.include_archived:
        statement = statement.where(col(Team.archived_at).is_(None))
    return narrowed(
        statement,
        (filters.org, same_text(col(Team.org))),
        (filters.q, lambda q: text_search(q, col(Team.slug), col(Team.name), col(Team.mission))),
    )


async def list_teams(
    session: AsyncSession, *, filters: TeamsFilter, principal: Principal, paging: Paging
) -> Window[Team]:
    """One page of teams matching the filters, oldest first."""
    TEAMS.check(principal, "read")
    statement = await _filtered(session, filters)
    return await fetch_window(session, statement, Team.id, paging)


async def create_team(session: AsyncSession, *, data: TeamCreate, principal: Principal) -> Team:
    """Add a team; the slug must be new. A team-scoped creator (a contributor) joins it as its
    lead in the same transaction, since that is the only way they may ever change it."""
    if await session.scalar(select(col(Team.id)).where(col(Team.slug) == data.slug)) is not None:
        raise Conflict(
            f"a team with slug {data.slug!r} already exists",
            [FieldError("slug", "is already taken")],
        )
    lead = None
    if TEAMS.scope(principal, "write") == Scope.OWN_TEAMS and principal.person_id is not None:
        # Locked, as `add_member` does: archiving the person at the same moment must not leave
        # an archived lead on a new team.
        lead = await session.get(Person, principal.person_id, with_for_update=True)
        if lead is None or lead.archived_at is not None:
            raise Unauthenticated(ARCHIVED_PERSON)
    team = Team(slug=data.slug, name=data.name, mission=data.mission, org=data.org)
    session.add(team)
    if lead is not None:
        # The team's id is set when it is made, so both go in one flush.
        session.add(
            Membership(
                team_id=team.id,
                person_id=lead.id,
                role=TeamRole.LEAD,
                allocation_percent=100,
                start_date=today(),
            )
        )
    await flush(session)
    return team


def _check_not_archived(team: Team) -> None:
    if team.archived_at is not None:
        raise Conflict(f"team {team.slug!r} is archived and cannot change")


async def update_team(
    session: AsyncSession,
    slug: str,
    *,
    data: TeamUpdate,
    if_match: Precondition,
    principal: Principal,
) -> Team:
    """Change some of a team's fields."""
    team = await get_team(session, slug)
    TEAMS.check(principal, "write", team_id=team.id)
    check_if_match(team, if_match)
    _check_not_archived(team)
    apply_changes(team, data.model_dump(exclude_unset=True), required=_REQUIRED_TEAM)
    await flush(session)
    return team


# Run on a team about to be archived, locked: a higher domain refuses here what would be left
# orphaned (products owns this check: a team with live products is not archived).
team_archiving: Hook[Team] = Hook("team archiving")


async def archive_team(
    session: AsyncSession, slug: str, *, if_match: Precondition, principal: Principal
) -> Team:
    """Archive a team that owns no live products, ending its current memberships."""
    team = await get_team(session, slug)
    TEAMS.check(principal, "write", team_id=team.id)
    # Lock the team before counting its products: a product being created for it concurrently
    # holds the row (FOR SHARE) until it commits, so the count below cannot miss it.
    await session.refresh(team, with_for_update=True)
    check_if_match(team, if_match)
    if team.archived_at is not None:
        return team
    await team_archiving.run(session, team)
    stamp(team, "archived_at")
    assert team.archived_at is not None
    await end_open_memberships(
        session, col(Membership.team_id) == team.id, on=team.archived_at.date()
    )
    await flush(session)
    return team


async def end_open_memberships(
    session: AsyncSession, condition: ColumnElement[bool], *, on: date
) -> None:
    """End, on `on`, every open membership that matches `condition`."""
    # Through the ORM, one by one, so each ending is versioned and in the audit trail.
    open_memberships = await session.scalars(
        select(Membership).where(condition).where(col(Membership.end_date).is_(None))
    )
    now = utcnow()
    for membership in open_memberships:
        membership.end_date = max(on, membership.start_date)
        membership.updated_at = now


def _roster(team: Team, roster: RosterFilter) -> Select[Membership]:
    statement = (
        select(Membership)
        .where(col(Membership.team_id) == team.id)
        .options(joinedload(relation(Membership.person)))
    )
    if roster.include_ended and roster.at is None:
        return statement
    return statement.where(*active_on(roster.at or today()))


async def list_members(
    session: AsyncSession, slug: str, *, roster: RosterFilter, principal: Principal, paging: Paging
) -> tuple[Team, Window[Membership]]:
    """A team's members on a day (today by default), or every stint it ever had."""
    TEAMS.check(principal, "read")
    if roster.at is not None and roster.at > today():
        raise InvalidInput.field("at", "must not be in the future")
    team = await get_team(session, slug)
    window = await fetch_window(session, _roster(team, roster), Membership.id, paging)
    return team, window


async def _current_membership(
    session: AsyncSession, team: Team, person_id: uuid.UUID
) -> Membership | None:
    return await session.scalar(
        select(Membership)
        .where(col(Membership.team_id) == team.id, col(Membership.person_id) == person_id)
        .where(*active_on(today()))
        .options(joinedload(relation(Membership.person)), joinedload(relation(Membership.team)))
    )


async def read_team(session: AsyncSession, slug: str, *, principal: Principal) -> Team:
    """A team by slug, archived or not, for a caller who may read teams."""
    TEAMS.check(principal, "read")
    return await get_team(session, slug)


async def read_member(
    session: AsyncSession, slug: str, person_id: uuid.UUID, *, principal: Principal
) -> Membership:
    """A person's current membership of a team, for a caller who may read teams."""
    TEAMS.check(principal, "read")
    return await get_member(session, slug, person_id)


async def get_member(session: AsyncSession, slug: str, person_id: uuid.UUID) -> Membership:
    """A person's current membership of a team."""
    team = await get_team(session, slug)
    membership = await _current_membership(session, team, person_id)
    if membership is None:
        raise NotFound(f"person {person_id} is not a current member of team {slug!r}")
    return membership


async def add_member(
    session: AsyncSession, slug: str, *, data: MembershipCreate, principal: Principal
) -> Membership:
    """Put a person on a team, from today or a past start date."""
    team = await get_team(session, slug)
    TEAMS.check(principal, "write", team_id=team.id)
    _check_not_archived(team)
    start = data.start_date or today()
    if start > today():
        raise InvalidInput.field("start_date", "must not be in the future")
    # Lock the person's row: two adds of one person (or an add racing their archiving) would
    # otherwise both pass the overlap check below and both insert, on PostgreSQL.
    person = await session.get(Person, data.person_id, with_for_update=True)
    if person is None:
        raise InvalidInput.field("person_id", f"no person with id {data.person_id}")
    if person.archived_at is not None:
        raise InvalidInput.field("person_id", "the person is archived")
    overlapping = await session.scalar(
        select(Membership)
        .where(
            col(Membership.team_id) == team.id,
            col(Membership.person_id) == person.id,
            or_(col(Membership.end_date).is_(None), col(Membership.end_date) > start),
        )
        .order_by(col(Membership.start_date))
        .limit(1)
    )
    if overlapping is not None:
        until = f" until {overlapping.end_date}" if overlapping.end_date else ""
        raise Conflict(
            f"{person.email} is already on team {slug!r} from {overlapping.start_date}{until}",
            [FieldError("person_id", "is already a member")],
        )
    membership = Membership(
        team_id=team.id,
        person_id=person.id,
        role=data.role,
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
    principal: Principal,
) -> Membership:
    """Change a current member's role or allocation."""
    membership = await get_member(session, slug, person_id)
    TEAMS.check(principal, "write", team_id=membership.team.id)
    check_if_match(membership, if_match)
    apply_changes(membership, data.model_dump(exclude_unset=True), required=_REQUIRED_MEMBERSHIP)
    await flush(session)
    return membership


async def end_member(
    session: AsyncSession,
    slug: str,
    person_id: uuid.UUID,
    *,
    if_match: Precondition,
    principal: Principal,
) -> Membership:
    """End a current membership today; the stint stays in the roster's history."""
    membership = await get_member(session, slug, person_id)
    TEAMS.check(principal, "write", team_id=membership.team.id)
    check_if_match(membership, if_match)
    membership.end_date = max(today(), membership.start_date)
    membership.updated_at = utcnow()
    await flush(session)
    return membership


async def memberships_for_teams(
    session: AsyncSession,
    team_ids: Sequence[uuid.UUID],
    *,
    on: date | None = None,
    every_stint: bool = False,
) -> dict[uuid.UUID, list[Membership]]:
    """Memberships of many teams on a day (today by default), or every stint they ever had,
    people loaded, in one query."""
    grouped: dict[uuid.UUID, list[Membership]] = {team_id: [] for team_id in team_ids}
    if not team_ids:
        return grouped
    statement = _memberships_of(select(Membership), team_ids, on=on, every_stint=every_stint)
    rows = await session.scalars(statement.options(joinedload(relation(Membership.person))))
    for membership in rows:
        grouped[membership.team_id].append(membership)
    return grouped


# How a plain roster row names its person's columns: `person__email`.
PERSON_COLUMNS = "person__"


async def roster_rows_for_teams(
    session: AsyncSession, team_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    """Today's rosters of many teams, for a page that only reads them, in one query: plain rows
    of the memberships' columns, each with its person's columns named `person__…`."""
    grouped: dict[uuid.UUID, list[Row[Any]]] = {team_id: [] for team_id in team_ids}
    if not team_ids:
        return grouped
    statement = select(*columns(Membership), *columns(Person, prefix=PERSON_COLUMNS)).join(
        Person, col(Person.id) == col(Membership.person_id)
    )
    for row in await session.execute(_memberships_of(statement, team_ids)):
        grouped[row.team_id].append(row)
    return grouped


def _memberships_of(
    statement: SelectT,
    team_ids: Sequence[uuid.UUID],
    *,
    on: date | None = None,
    every_stint: bool = False,
) -> SelectT:
    # The memberships of `team_ids` on a day (today by default), or every stint, oldest first.
    statement = statement.where(col(Membership.team_id).in_(set(team_ids)))
    if not every_stint:
        statement = statement.where(*active_on(on or today()))
    return statement.order_by(col(Membership.id))


async def memberships_for_people(
    session: AsyncSession, person_ids: Sequence[uuid.UUID], *, on: date | None = None
) -> dict[uuid.UUID, list[Membership]]:
    """Current memberships of many people, teams loaded, in one query."""
    grouped: dict[uuid.UUID, list[Membership]] = {person_id: [] for person_id in person_ids}
    if not person_ids:
        return grouped
    rows = await session.scalars(
        select(Membership)
        .where(col(Membership.person_id).in_(set(person_ids)))
        .where(*active_on(on or today()))
        .options(joinedload(relation(Membership.team)))
        .order_by(col(Membership.id))
    )
    for membership in rows:
        grouped[membership.person_id].append(membership)
    return grouped


@person_archived.register
async def _end_archived_persons_memberships(session: AsyncSession, person: Person) -> None:
    await end_open_memberships(
        session, col(Membership.person_id) == person.id, on=(person.archived_at or utcnow()).date()
    )
