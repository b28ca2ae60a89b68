"""GraphQL face of teams and rosters."""

import uuid
from datetime import date
from typing import Annotated

import strawberry
from strawberry.experimental.pydantic import type as pydantic_type

from api.audit.graphql import AuditEventType, history_connection
from api.audit.policy import HISTORY
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
    node,
    relation,
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
from api.teams.models import today
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

    @strawberry.field(
        extensions=[Requires(PEOPLE, "read")],
        description=(
            "Members today, or on a past day given as `at`; with `includeEnded` (and no `at`), "
            "every stint the team ever had."
        ),
    )
    async def members(
        self,
        info: GraphQLInfo,
        at: Annotated[date | None, strawberry.argument(description=_AT)] = None,
        include_ended: Annotated[bool, strawberry.argument(description=_INCLUDE_ENDED)] = False,
    ) -> list[Annotated["MembershipType", strawberry.lazy("api.teams.graphql")]] | None:
        if at is not None and at > today():
            raise InvalidInput.field("at", "must not be in the future")
        every_stint = include_ended and at is None
        memberships = await info.context.loaders[TeamLoaders].roster.load(
            (self.id, (at, every_stint))
        )
        return [node(MembershipType, membership) for membership in memberships]

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

    @strawberry.field(
        extensions=[Requires(TEAMS, "read")],
        description="The team's health warnings today: size is a warning, never an error.",
    )
    async def warnings(self, info: GraphQLInfo) -> list[HealthWarningType] | None:
        health = await info.context.loaders[HealthLoaders].team_health.load((self.team_id, None))
        return [HealthWarningType(**item.model_dump()) for item in health.warnings]

    @strawberry.field(extensions=[Requires(PEOPLE, "read")], description="The member.")
    async def person(self, info: GraphQLInfo) -> PersonType | None:
        return node(
            PersonType, await info.context.loaders[PeopleLoaders].person.load(self.person_id)
        )

    @strawberry.field(extensions=[Requires(TEAMS, "read")], description="The team.")
    async def team(self, info: GraphQLInfo) -> TeamType | None:
        return node(TeamType, await info.context.loaders[TeamLoaders].team.load(self.team_id))


async def _person_teams(root: PersonType, info: GraphQLInfo) -> list[MembershipType] | None:
    memberships = await info.context.loaders[TeamLoaders].memberships_by_person.load(root.id)
    return [node(MembershipType, membership) for membership in memberships]


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
