"""GraphQL face of teams and rosters."""

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from functools import partial
from typing import Annotated

import strawberry
from strawberry.experimental.pydantic import type as pydantic_type

from api.audit.graphql import AuditEventType, history_connection
from api.audit.policy import HISTORY
from api.core.db import loaded
from api.core.errors import InvalidInput
from api.core.graphql import (
    After,
    Connection,
    First,
    GraphQLInfo,
    Requires,
    documented,
    extend_type,
    from_read,
    known_or,
    node,
    related_node,
    relation,
    selected,
    shared,
)
from api.core.graphql_fields import Face
from api.people.graphql import PersonType
from api.people.loaders import PeopleLoaders
from api.people.policy import PEOPLE
from api.teams import service
from api.teams.health.graphql import (
    HealthPointType,
    HealthStatusEnum,
    HealthWarningType,
    TeamHealthType,
    TeamRoleEnum,
)
from api.teams.health.loaders import HealthLoaders
from api.teams.loaders import TeamLoaders
from api.teams.models import Membership, Team, today
from api.teams.policy import TEAMS
from api.teams.schemas import (
    MembershipCreate,
    MembershipRead,
    MembershipUpdate,
    TeamCreate,
    TeamRead,
    TeamsFilter,
    TeamUpdate,
)

_AT = "The roster as it was on this day (not in the future); today when left out."
_INCLUDE_ENDED = "Every stint the team ever had, ended ones included (ignored with `at`)."
_HEALTH_AT = "The team's health as it was on this day (not in the future); today when left out."


@pydantic_type(model=TeamRead, name="Team", description="A small team that owns products.")
class TeamType:
    """A team, as REST's `TeamRead` shows one (the types come from it), and its relations."""

    id: strawberry.auto
    slug: strawberry.auto
    name: strawberry.auto
    mission: strawberry.auto
    org: strawberry.auto
    created_at: strawberry.auto
    updated_at: strawberry.auto
    version: strawberry.auto
    archived_at: strawberry.auto
    # Today's roster, when a page of teams loaded it up front (`give_rosters`).
    known_members: strawberry.Private[
        list[Annotated["MembershipType", strawberry.lazy("api.teams.graphql")]] | None
    ] = None

    @strawberry.field(
        extensions=[Requires(PEOPLE, "read")],
        description=(
            "Members today, or on a past day given as `at`; with `includeEnded` (and no `at`), "
            "every stint the team ever had."
        ),
    )
    def members(
        self,
        info: GraphQLInfo,
        at: Annotated[date | None, strawberry.argument(description=_AT)] = None,
        include_ended: Annotated[bool, strawberry.argument(description=_INCLUDE_ENDED)] = False,
    ) -> list[Annotated["MembershipType", strawberry.lazy("api.teams.graphql")]] | None:
        if at is not None and at > today():
            raise InvalidInput.field("at", "must not be in the future")
        today_only = at is None and not include_ended
        return known_or(
            self.known_members if today_only else None,
            lambda: _roster(info, self.id, at, include_ended and at is None),
        )

    @strawberry.field(
        extensions=[Requires(HISTORY, "read")],
        description="Every change of the team and its roster, from the audit trail, oldest first.",
    )
    async def history(
        self, info: GraphQLInfo, first: First = None, after: After = None
    ) -> Connection[AuditEventType] | None:
        return await history_connection(info, self.id, first, after)

    @strawberry.field(
        extensions=[Requires(TEAMS, "read")],
        description="Size and shape against the two-pizza guideline, today or on a past `at`.",
    )
    async def health(
        self,
        info: GraphQLInfo,
        at: Annotated[date | None, strawberry.argument(description=_HEALTH_AT)] = None,
    ) -> TeamHealthType | None:
        if at is not None and at > today():
            raise InvalidInput.field("at", "must not be in the future")
        return from_read(
            TeamHealthType,
            await info.context.loaders[HealthLoaders].team_health.load((self.id, at)),
        )

    @strawberry.field(
        extensions=[Requires(TEAMS, "read")],
        description="The team's size and status at each day they changed, oldest first.",
    )
    async def health_history(self, info: GraphQLInfo) -> list[HealthPointType] | None:
        points = await info.context.loaders[HealthLoaders].health_history.load(self.id)
        return [from_read(HealthPointType, point) for point in points]


@pydantic_type(
    model=MembershipRead, name="Membership", description="One stint of one person on one team."
)
class MembershipType:
    """A membership, as REST's `MembershipRead` shows one, with its team and person as
    relations rather than a slug and a nested person."""

    id: strawberry.auto
    role: strawberry.auto
    allocation_percent: strawberry.auto
    start_date: strawberry.auto
    end_date: strawberry.auto
    created_at: strawberry.auto
    updated_at: strawberry.auto
    version: strawberry.auto
    team_id: strawberry.Private[uuid.UUID]
    person_id: strawberry.Private[uuid.UUID]
    # The person and the team, when the membership's rows brought them (`membership_nodes`).
    known_person: strawberry.Private[PersonType | None] = None
    known_team: strawberry.Private[TeamType | None] = None

    @strawberry.field(
        extensions=[Requires(TEAMS, "read")],
        description="The team's health warnings today: size is a warning, never an error.",
    )
    async def warnings(self, info: GraphQLInfo) -> list[HealthWarningType] | None:
        health = await info.context.loaders[HealthLoaders].team_health.load((self.team_id, None))
        return [HealthWarningType(**item.model_dump()) for item in health.warnings]

    @strawberry.field(extensions=[Requires(PEOPLE, "read")], description="The member.")
    def person(self, info: GraphQLInfo) -> PersonType | None:
        return known_or(self.known_person, lambda: _person(info, self.person_id))

    @strawberry.field(extensions=[Requires(TEAMS, "read")], description="The team.")
    def team(self, info: GraphQLInfo) -> TeamType | None:
        return known_or(self.known_team, lambda: load_team(info, self.team_id))


# Strawberry's pydantic types keep only their fields: what their resolvers call is out here.


async def _roster(
    info: GraphQLInfo, team_id: uuid.UUID, at: date | None, every_stint: bool
) -> list[MembershipType]:
    memberships = await info.context.loaders[TeamLoaders].roster.load((team_id, (at, every_stint)))
    return membership_nodes(memberships)


async def _person(info: GraphQLInfo, person_id: uuid.UUID) -> PersonType:
    return node(PersonType, await info.context.loaders[PeopleLoaders].person.load(person_id))


async def load_team(info: GraphQLInfo, team_id: uuid.UUID) -> TeamType:
    """A team by id, through the request's loader."""
    return node(TeamType, await info.context.loaders[TeamLoaders].team.load(team_id))


def membership_nodes(memberships: Sequence[Membership]) -> list[MembershipType]:
    """Memberships as GraphQL objects, with the person and team their rows brought along (a
    roster loads its people, a person's memberships their teams)."""
    nodes: list[MembershipType] = []
    for membership in memberships:
        person, team = loaded(membership, "person"), loaded(membership, "team")
        nodes.append(
            node(
                MembershipType,
                membership,
                known_person=None if person is None else node(PersonType, person),
                known_team=None if team is None else node(TeamType, team),
            )
        )
    return nodes


def team_node(team: Team) -> TeamType:
    """A team as its GraphQL object."""
    return node(TeamType, team)


async def give_rosters(
    info: GraphQLInfo, teams: Mapping[uuid.UUID, TeamType], path: Sequence[str]
) -> None:
    """Give a page's `teams` today's rosters, people included, in one query, when the field at
    `path` (the teams' field under the page's) shows their `members` as of today and the caller
    may see them; their `members` then answer without a loader each."""
    principal = info.context.principal
    wanted = any(
        not members.arguments.get("at") and not members.arguments.get("includeEnded")
        for members in selected(info, *path, "members")
    )
    if not teams or not wanted:
        return
    if not (TEAMS.allows(principal, "read") and PEOPLE.allows(principal, "read")):
        return  # `members` refuses them anyway
    rosters = await info.context.loaders[TeamLoaders].roster_rows.load_many(list(teams))
    people: dict[uuid.UUID, PersonType] = {}
    for team, rows in zip(teams.values(), rosters, strict=True):
        team.known_members = [
            node(
                MembershipType,
                row,
                known_person=shared(
                    people,
                    row.person_id,
                    partial(related_node, PersonType, row, service.PERSON_COLUMNS),
                ),
            )
            for row in rows
        ]


async def _person_teams(root: PersonType, info: GraphQLInfo) -> list[MembershipType] | None:
    memberships = await info.context.loaders[TeamLoaders].memberships_by_person.load(root.id)
    return membership_nodes(memberships)


_PERSON_TEAMS = "The person's current memberships, with their teams."
# People sit below teams: teams shows a person's memberships on the person's type.
extend_type(
    PersonType,
    after="archived_at",
    teams=relation(_person_teams, Requires(TEAMS, "read"), _PERSON_TEAMS),
)


@strawberry.input(description="Filters for the team list.")
@documented(TeamsFilter)
class TeamsFilterInput:
    org: str | None = None
    q: str | None = None
    health: HealthStatusEnum | None = None  # type: ignore[valid-type]
    include_archived: bool = False


@strawberry.input(description="A new team.")
@documented(TeamCreate)
class CreateTeamInput:
    slug: str
    name: str
    mission: str = ""
    org: str


@strawberry.input(description="Fields of a team to change; leave out what stays.")
@documented(TeamUpdate)
class UpdateTeamInput:
    slug: str
    """The team to change."""
    expected_version: int | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    mission: str | None = strawberry.UNSET
    org: str | None = strawberry.UNSET


@strawberry.input(description="The team to archive; its history stays.")
@documented()
class ArchiveTeamInput:
    slug: str
    """The team to archive."""
    expected_version: int | None = None


@strawberry.input(description="Put a person on a team.")
@documented(MembershipCreate)
class AddTeamMemberInput:
    team: str = strawberry.field(description="The team's slug")
    person_id: uuid.UUID
    role: TeamRoleEnum  # type: ignore[valid-type]
    allocation_percent: int = 100
    start_date: date | None = None


@strawberry.input(description="Change a current member's role or allocation.")
@documented(MembershipUpdate)
class UpdateTeamMemberInput:
    team: str = strawberry.field(description="The team's slug")
    person_id: uuid.UUID
    """The member to change."""
    expected_version: int | None = strawberry.UNSET
    role: TeamRoleEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    allocation_percent: int | None = strawberry.UNSET


@strawberry.input(description="Take a person off a team; the stint stays in its history.")
@documented()
class EndTeamMembershipInput:
    team: str = strawberry.field(description="The team's slug")
    person_id: uuid.UUID
    """The member to take off the team."""
    expected_version: int | None = None


TEAM = Face(TeamType, TEAMS)
MEMBER = Face(MembershipType, TEAMS)


@strawberry.type
class TeamsQuery:
    team = TEAM.one(
        service.read_team,
        "A team by slug, archived or not.",
        slug=Annotated[str, strawberry.argument(description="The team's slug.")],
    )
    teams = TEAM.connection(TeamsFilterInput, service.list_teams, "Teams, oldest first.")


@strawberry.type
class TeamsMutation:
    create_team = TEAM.mutation(
        CreateTeamInput,
        service.create_team,
        "Create a team; the slug must be new.",
        verb="create",
    )
    update_team = TEAM.mutation(
        UpdateTeamInput, service.update_team, "Change the fields given.", key=["slug"]
    )
    archive_team = TEAM.mutation(
        ArchiveTeamInput,
        service.archive_team,
        "Archive a team that owns no live products.",
        key=["slug"],
    )
    add_team_member = MEMBER.mutation(
        AddTeamMemberInput, service.add_member, "Put a person on a team.", key=["team"]
    )
    update_team_member = MEMBER.mutation(
        UpdateTeamMemberInput,
        service.update_member,
        "Change a current member's role or allocation.",
        key=["team", "person_id"],
    )
    end_team_membership = MEMBER.mutation(
        EndTeamMembershipInput,
        service.end_member,
        "End a person's membership today; history keeps it.",
        key=["team", "person_id"],
    )
