"""REST face of teams and rosters: /api/v1/teams."""

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response
from litestar.params import FromPath, JSONBody, Parameter

from api.audit.policy import HISTORY
from api.audit.rest import history_page
from api.audit.schemas import AuditEventRead
from api.core.access import PrincipalDep
from api.core.db import SessionDep
from api.core.fields import read_as
from api.core.pagination import DEFAULT_LIMIT, Page
from api.core.rest import (
    NESTED_LIST_PROBLEMS,
    Cursor,
    IfMatch,
    IncludeArchived,
    Limit,
    Org,
    TeamSlug,
    TextQuery,
    absent_or,
    archive_route,
    choice,
    create_route,
    day,
    list_route,
    location,
    one_of,
    problems,
    read_route,
    update_route,
    versioned,
)
from api.people.schemas import PersonRead
from api.teams import service
from api.teams.health import health as roster_health
from api.teams.health.models import HealthStatus
from api.teams.lookups import get_team
from api.teams.models import Membership
from api.teams.policy import TEAMS
from api.teams.schemas import (
    MembershipAdded,
    MembershipCreate,
    MembershipRead,
    MembershipUpdate,
    RosterFilter,
    TeamCreate,
    TeamRead,
    TeamsFilter,
    TeamUpdate,
)


def membership_read(membership: Membership, team_slug: str) -> MembershipRead:
    """The REST shape of a membership whose person is loaded."""
    return read_as(
        MembershipRead,
        membership,
        team=team_slug,
        person=PersonRead.model_validate(membership.person),
    )


class TeamsController(Controller):
    """Teams: small, cross-functional, owning products."""

    path = "/teams"
    tags = ("teams",)

    @list_route("listTeams", TEAMS, summary="List teams")
    async def list_teams(
        self,
        session: SessionDep,
        principal: PrincipalDep,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        org: Org = None,
        q: TextQuery = None,
        health: Annotated[
            str | None,
            Parameter(
                description="Roster health status today (computed for every team in SQL)",
                schema_extra=one_of(HealthStatus),
            ),
        ] = None,
        include_archived: IncludeArchived = False,
    ) -> Page[TeamRead]:
        """Teams, oldest first, filtered by org, health status, and free text on slug, name and
        mission."""
        filters = TeamsFilter(
            org=org,
            q=q,
            health=choice(HealthStatus, health, field="health"),
            include_archived=include_archived,
        )
        window = await service.list_teams(session, filters=filters, cursor=cursor, limit=limit)
        return window.page(TeamRead.model_validate)

    @create_route("createTeam", TEAMS, summary="Create a team")
    async def create_team(
        self,
        request: Request[Any, Any, Any],
        session: SessionDep,
        principal: PrincipalDep,
        data: JSONBody[TeamCreate],
    ) -> Response[TeamRead]:
        """Create a team; the slug must be new."""
        team = await service.create_team(session, data=data, principal=principal)
        return versioned(
            TeamRead.model_validate(team),
            team,
            created_at=location(request, "getTeam", slug=team.slug),
        )

    @read_route("/{slug:str}", "getTeam", TEAMS, summary="Get a team")
    async def get_team(
        self, session: SessionDep, principal: PrincipalDep, slug: TeamSlug
    ) -> Response[TeamRead]:
        """One team, with an ETag for conditional writes."""
        team = await get_team(session, slug)
        return versioned(TeamRead.model_validate(team), team)

    @update_route("/{slug:str}", "updateTeam", TEAMS, summary="Change a team")
    async def update_team(
        self,
        session: SessionDep,
        principal: PrincipalDep,
        slug: TeamSlug,
        data: JSONBody[TeamUpdate],
        if_match: IfMatch = None,
    ) -> Response[TeamRead]:
        """Change the fields sent; `If-Match` makes it conditional (412 when stale)."""
        team = await service.update_team(
            session, slug, data=data, if_match=if_match, principal=principal
        )
        return versioned(TeamRead.model_validate(team), team)

    @archive_route("/{slug:str}", "archiveTeam", TEAMS, summary="Archive a team")
    async def archive_team(
        self, session: SessionDep, principal: PrincipalDep, slug: TeamSlug, if_match: IfMatch = None
    ) -> None:
        """Archive a team that owns no live products; its roster history stays."""
        await service.archive_team(session, slug, if_match=if_match, principal=principal)

    @list_route(
        "listTeamHistory",
        HISTORY,
        path="/{slug:str}/history",
        summary="A team's audit history, roster included",
        responses=NESTED_LIST_PROBLEMS,
    )
    async def history(
        self,
        session: SessionDep,
        slug: TeamSlug,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[AuditEventRead]:
        """Every change of the team and of its memberships, with who made it."""
        team = await get_team(session, slug)
        return await history_page(session, team.id, cursor=cursor, limit=limit)


class MembersController(Controller):
    """A team's roster, with its history."""

    path = "/teams/{slug:str}/members"
    tags = ("teams",)

    @list_route(
        "listTeamMembers", TEAMS, summary="List a team's members", responses=NESTED_LIST_PROBLEMS
    )
    async def list_members(
        self,
        session: SessionDep,
        principal: PrincipalDep,
        slug: TeamSlug,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        at: Annotated[
            str | None,
            Parameter(
                description="Members on this date (YYYY-MM-DD), today or earlier",
                schema_extra=absent_or(format="date"),
            ),
        ] = None,
        include_ended: Annotated[
            bool, Parameter(description="Every stint the team ever had, ended ones too")
        ] = False,
    ) -> Page[MembershipRead]:
        """Current members by default; `at` gives the roster on a past day."""
        roster = RosterFilter(at=day(at, field="at"), include_ended=include_ended)
        team, window = await service.list_members(
            session, slug, roster=roster, cursor=cursor, limit=limit
        )
        return window.page(lambda row: membership_read(row, team.slug))

    @create_route(
        "addTeamMember",
        TEAMS,
        summary="Add a member to a team",
        verb="write",
        responses=problems(404, 409, 413, 415, 422),
    )
    async def add_member(
        self,
        request: Request[Any, Any, Any],
        session: SessionDep,
        principal: PrincipalDep,
        slug: TeamSlug,
        data: JSONBody[MembershipCreate],
    ) -> Response[MembershipAdded]:
        """Put a person on the team; a person may be on several teams.

        A team that grows past the size guideline still takes the member: the answer's
        `warnings` say so, with the team's other health warnings.
        """
        membership = await service.add_member(session, slug, data=data, principal=principal)
        health = await roster_health.team_health(session, slug, on=None)
        return versioned(
            MembershipAdded(
                **membership_read(membership, slug).model_dump(), warnings=health.warnings
            ),
            membership,
            created_at=location(
                request, "getTeamMember", slug=slug, person_id=membership.person_id
            ),
        )

    @read_route("/{person_id:uuid}", "getTeamMember", TEAMS, summary="Get a current membership")
    async def get_member(
        self,
        session: SessionDep,
        principal: PrincipalDep,
        slug: TeamSlug,
        person_id: FromPath[uuid.UUID],
    ) -> Response[MembershipRead]:
        """A person's current membership of the team."""
        membership = await service.get_member(session, slug, person_id)
        return versioned(membership_read(membership, slug), membership)

    @update_route("/{person_id:uuid}", "updateTeamMember", TEAMS, summary="Change a membership")
    async def update_member(
        self,
        session: SessionDep,
        principal: PrincipalDep,
        slug: TeamSlug,
        person_id: FromPath[uuid.UUID],
        data: JSONBody[MembershipUpdate],
        if_match: IfMatch = None,
    ) -> Response[MembershipRead]:
        """Change a current member's role or allocation."""
        membership = await service.update_member(
            session, slug, person_id, data=data, if_match=if_match, principal=principal
        )
        return versioned(membership_read(membership, slug), membership)

    @archive_route("/{person_id:uuid}", "endTeamMembership", TEAMS, summary="End a membership")
    async def end_member(
        self,
        session: SessionDep,
        principal: PrincipalDep,
        slug: TeamSlug,
        person_id: FromPath[uuid.UUID],
        if_match: IfMatch = None,
    ) -> None:
        """End the person's membership today; it stays in the roster's history."""
        await service.end_member(session, slug, person_id, if_match=if_match, principal=principal)
