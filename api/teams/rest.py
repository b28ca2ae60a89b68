"""REST face of teams and rosters: /api/v1/teams."""

from typing import Annotated, Any

from litestar import Request, Response, Router
from litestar.params import JSONBody, Parameter

from api.audit.policy import HISTORY
from api.audit.rest import history_page
from api.core.access import PrincipalDep
from api.core.db import SessionDep
from api.core.fields import read_as
from api.core.pagination import Page
from api.core.resource import Resource
from api.core.rest import (
    NESTED_LIST_PROBLEMS,
    IncludeArchived,
    Org,
    PagingDep,
    PersonId,
    TeamSlug,
    TextQuery,
    choice,
    choice_of,
    create_route,
    day,
    list_route,
    location,
    problems,
    versioned,
    when,
)
from api.people.schemas import PersonRead
from api.teams import service
from api.teams.health import health as roster_health
from api.teams.health.models import HealthStatus
from api.teams.models import Membership
from api.teams.policy import TEAMS
from api.teams.schemas import (
    MembershipAdded,
    MembershipCreate,
    MembershipRead,
    RosterFilter,
    TeamRead,
    TeamsFilter,
)


def membership_read(membership: Membership, team_slug: str) -> MembershipRead:
    """The REST shape of a membership whose person is loaded."""
    return read_as(
        MembershipRead,
        membership,
        team=team_slug,
        person=PersonRead.model_validate(membership.person),
    )


def member_read(membership: Membership) -> MembershipRead:
    """The REST shape of a membership whose person and team are loaded."""
    return membership_read(membership, membership.team.slug)


TEAM = Resource(
    TEAMS, "Team", "/{slug:str}", {"slug": TeamSlug}, TeamRead.model_validate, shows=TeamRead
)


@list_route("listTeams", TEAMS, summary="List teams")
async def list_teams(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PagingDep,
    org: Org = None,
    q: TextQuery = None,
    health: Annotated[
        str | None,
        choice_of(HealthStatus, "Roster health status today (computed for every team in SQL)"),
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
    window = await service.list_teams(session, filters=filters, principal=principal, paging=paging)
    return window.page(TeamRead.model_validate)


create_team = TEAM.create(service.create_team, "Create a team; the slug must be new.")
get_team = TEAM.get(service.read_team)
update_team = TEAM.update(service.update_team)
archive_team = TEAM.archive(
    service.archive_team,
    doc="Archive a team that owns no live products; its roster history stays.",
)
team_history = TEAM.history(
    service.read_team,
    history_page,
    HISTORY,
    "A team's audit history, roster included",
    "Every change of the team and of its memberships, with who made it.",
)

MEMBER = Resource(
    TEAMS,
    "TeamMember",
    "/{person_id:uuid}",
    {"slug": TeamSlug, "person_id": PersonId},
    member_read,
)


@list_route(
    "listTeamMembers", TEAMS, summary="List a team's members", responses=NESTED_LIST_PROBLEMS
)
async def list_members(
    session: SessionDep,
    principal: PrincipalDep,
    slug: TeamSlug,
    paging: PagingDep,
    at: Annotated[
        str | None, when("Members on this date (YYYY-MM-DD), today or earlier", format="date")
    ] = None,
    include_ended: Annotated[
        bool, Parameter(description="Every stint the team ever had, ended ones too")
    ] = False,
) -> Page[MembershipRead]:
    """Current members by default; `at` gives the roster on a past day."""
    roster = RosterFilter(at=day(at, field="at"), include_ended=include_ended)
    team, window = await service.list_members(
        session, slug, roster=roster, principal=principal, paging=paging
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
        MembershipAdded(**membership_read(membership, slug).model_dump(), warnings=health.warnings),
        membership,
        created_at=location(request, "getTeamMember", slug=slug, person_id=membership.person_id),
    )


get_member = MEMBER.get(
    service.read_member,
    "Get a current membership",
    "A person's current membership of the team.",
)
update_member = MEMBER.update(
    service.update_member,
    "Change a membership",
    "Change a current member's role or allocation.",
)
end_member = MEMBER.archive(
    service.end_member,
    "End a membership",
    "End the person's membership today; it stays in the roster's history.",
    operation_id="endTeamMembership",
)

ROUTES = Router(
    "/teams",
    tags=["teams"],
    route_handlers=[
        list_teams,
        create_team,
        get_team,
        update_team,
        archive_team,
        team_history,
        Router(
            "/{slug:str}/members",
            route_handlers=[list_members, add_member, get_member, update_member, end_member],
        ),
    ],
)
