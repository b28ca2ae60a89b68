"""GraphQL face of teams and rosters."""

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from api.audit.graphql import AuditEventType, history_connection
from api.core.access import Action
from api.core.errors import InvalidInput
from api.core.graphql import (
    Connection,
    GraphQLInfo,
    Requires,
    connection,
    mutation,
    page_size,
    parse_input,
    provided,
)
from api.people.graphql import PersonType
from api.teams import service
from api.teams.health.graphql import (
    HealthPointType,
    HealthStatusEnum,
    HealthWarningType,
    TeamHealthType,
)
from api.teams.models import Membership, Team, TeamRole, today
from api.teams.schemas import (
    MembershipCreate,
    MembershipUpdate,
    TeamCreate,
    TeamsFilter,
    TeamUpdate,
)

if TYPE_CHECKING:
    from api.products.graphql import ProductType

TeamRoleEnum = strawberry.enum(TeamRole, name="TeamRole")


@strawberry.type(name="Team", description="A small team that owns products.")
class TeamType:
    id: uuid.UUID
    slug: str
    name: str
    mission: str
    org: str
    created_at: datetime
    updated_at: datetime
    version: int
    archived_at: datetime | None

    @classmethod
    def from_model(cls, team: Team) -> "TeamType":
        """The GraphQL view of a stored team."""
        return cls(
            id=team.id,
            slug=team.slug,
            name=team.name,
            mission=team.mission,
            org=team.org,
            created_at=team.created_at,
            updated_at=team.updated_at,
            version=team.version,
            archived_at=team.archived_at,
        )

    @strawberry.field(
        extensions=[Requires(Action.PERSON_READ)],
        description=(
            "Members today, or on a past day given as `at`; with `includeEnded` (and no `at`), "
            "every stint the team ever had."
        ),
    )
    async def members(
        self, info: GraphQLInfo, at: date | None = None, include_ended: bool = False
    ) -> list["MembershipType"] | None:
        if at is not None and at > today():
            raise InvalidInput.field("at", "must not be in the future")
        every_stint = include_ended and at is None
        memberships = await info.context.loaders.roster.load((self.id, at, every_stint))
        return [MembershipType.from_model(membership) for membership in memberships]

    @strawberry.field(
        extensions=[Requires(Action.PRODUCT_READ)], description="The team's live products."
    )
    async def products(
        self, info: GraphQLInfo
    ) -> list[Annotated["ProductType", strawberry.lazy("api.products.graphql")]] | None:
        from api.products.graphql import ProductType  # the types refer to each other

        products = await info.context.loaders.products_by_team.load(self.id)
        return [ProductType.from_model(product) for product in products]

    @strawberry.field(
        extensions=[Requires(Action.HISTORY_READ)],
        description="Every change of the team and its roster, from the audit trail, oldest first.",
    )
    async def history(
        self, info: GraphQLInfo, first: int | None = None, after: str | None = None
    ) -> Connection[AuditEventType] | None:
        return await history_connection(info, self.id, first, after)

    @strawberry.field(
        extensions=[Requires(Action.TEAM_READ)],
        description="Size and shape against the two-pizza guideline, today or on a past `at`.",
    )
    async def health(self, info: GraphQLInfo, at: date | None = None) -> TeamHealthType | None:
        if at is not None and at > today():
            raise InvalidInput.field("at", "must not be in the future")
        return TeamHealthType.from_read(await info.context.loaders.team_health.load((self.id, at)))

    @strawberry.field(
        extensions=[Requires(Action.TEAM_READ)],
        description="The team's size and status at each day they changed, oldest first.",
    )
    async def health_history(self, info: GraphQLInfo) -> list[HealthPointType] | None:
        points = await info.context.loaders.health_history.load(self.id)
        return [HealthPointType.from_read(point) for point in points]


@strawberry.type(name="Membership", description="One stint of one person on one team.")
class MembershipType:
    id: uuid.UUID
    role: TeamRoleEnum  # type: ignore[valid-type]
    allocation_percent: int
    start_date: date
    end_date: date | None = strawberry.field(
        description="The first day the person was no longer a member."
    )
    created_at: datetime
    updated_at: datetime
    version: int
    team_id: strawberry.Private[uuid.UUID]
    person_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, membership: Membership) -> "MembershipType":
        """The GraphQL view of a stored membership."""
        return cls(
            id=membership.id,
            role=membership.role,
            allocation_percent=membership.allocation_percent,
            start_date=membership.start_date,
            end_date=membership.end_date,
            created_at=membership.created_at,
            updated_at=membership.updated_at,
            version=membership.version,
            team_id=membership.team_id,
            person_id=membership.person_id,
        )

    @strawberry.field(
        extensions=[Requires(Action.TEAM_READ)],
        description="The team's health warnings today: size is a warning, never an error.",
    )
    async def warnings(self, info: GraphQLInfo) -> list[HealthWarningType] | None:
        health = await info.context.loaders.team_health.load((self.team_id, None))
        return [HealthWarningType(**item.model_dump()) for item in health.warnings]

    @strawberry.field(extensions=[Requires(Action.PERSON_READ)])
    async def person(self, info: GraphQLInfo) -> PersonType | None:
        return PersonType.from_model(await info.context.loaders.person.load(self.person_id))

    @strawberry.field(extensions=[Requires(Action.TEAM_READ)])
    async def team(self, info: GraphQLInfo) -> TeamType | None:
        return TeamType.from_model(await info.context.loaders.team.load(self.team_id))


@strawberry.input(description="Filters for the team list.")
class TeamsFilterInput:
    org: str | None = None
    q: str | None = None
    health: HealthStatusEnum | None = None  # type: ignore[valid-type]
    include_archived: bool = False


@strawberry.input
class CreateTeamInput:
    slug: str
    name: str
    mission: str = ""
    org: str


@strawberry.input
class UpdateTeamInput:
    slug: str
    expected_version: int | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    mission: str | None = strawberry.UNSET
    org: str | None = strawberry.UNSET


@strawberry.input
class ArchiveTeamInput:
    slug: str
    expected_version: int | None = None


@strawberry.input
class AddTeamMemberInput:
    team: str = strawberry.field(description="The team's slug")
    person_id: uuid.UUID
    role: TeamRoleEnum  # type: ignore[valid-type]
    allocation_percent: int = 100
    start_date: date | None = None


@strawberry.input
class UpdateTeamMemberInput:
    team: str = strawberry.field(description="The team's slug")
    person_id: uuid.UUID
    expected_version: int | None = strawberry.UNSET
    role: TeamRoleEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    allocation_percent: int | None = strawberry.UNSET


@strawberry.input
class EndTeamMembershipInput:
    team: str = strawberry.field(description="The team's slug")
    person_id: uuid.UUID
    expected_version: int | None = None


@strawberry.type
class TeamsQuery:
    @strawberry.field(
        extensions=[Requires(Action.TEAM_READ)], description="A team by slug, archived or not."
    )
    async def team(self, info: GraphQLInfo, slug: str) -> TeamType | None:
        return TeamType.from_model(await service.get_team(info.context.session, slug))

    @strawberry.field(extensions=[Requires(Action.TEAM_READ)], description="Teams, oldest first.")
    async def teams(
        self,
        info: GraphQLInfo,
        first: int | None = None,
        after: str | None = None,
        filter: TeamsFilterInput | None = None,
    ) -> Connection[TeamType] | None:
        limit = page_size(first)
        filters = parse_input(TeamsFilter, provided(filter) if filter else {})
        session = info.context.session
        window = await service.list_teams(session, filters=filters, cursor=after, limit=limit)
        return connection(
            window,
            node=TeamType.from_model,
            after=after,
            count_rows=lambda: service.count_teams(session, filters=filters),
        )


def _split(fields: dict[str, Any], *keys: str) -> list[Any]:
    return [fields.pop(key, None) for key in keys]


@strawberry.type
class TeamsMutation:
    @strawberry.mutation(
        extensions=[Requires(Action.TEAM_CREATE)],
        description="Create a team; the slug must be new.",
    )
    async def create_team(self, info: GraphQLInfo, input: CreateTeamInput) -> TeamType | None:
        data = parse_input(TeamCreate, provided(input))
        async with mutation(info) as session:
            team = await service.create_team(session, data=data, principal=info.context.principal)
            return TeamType.from_model(team)

    @strawberry.mutation(
        extensions=[Requires(Action.TEAM_WRITE)], description="Change the fields given."
    )
    async def update_team(self, info: GraphQLInfo, input: UpdateTeamInput) -> TeamType | None:
        fields = provided(input)
        slug, expected = _split(fields, "slug", "expected_version")
        data = parse_input(TeamUpdate, fields)
        async with mutation(info) as session:
            team = await service.update_team(
                session, str(slug), data=data, if_match=expected, principal=info.context.principal
            )
            return TeamType.from_model(team)

    @strawberry.mutation(
        extensions=[Requires(Action.TEAM_WRITE)],
        description="Archive a team that owns no live products.",
    )
    async def archive_team(self, info: GraphQLInfo, input: ArchiveTeamInput) -> TeamType | None:
        async with mutation(info) as session:
            team = await service.archive_team(
                session,
                input.slug,
                if_match=input.expected_version,
                principal=info.context.principal,
            )
            return TeamType.from_model(team)

    @strawberry.mutation(
        extensions=[Requires(Action.TEAM_WRITE)], description="Put a person on a team."
    )
    async def add_team_member(
        self, info: GraphQLInfo, input: AddTeamMemberInput
    ) -> MembershipType | None:
        fields = provided(input)
        (slug,) = _split(fields, "team")
        data = parse_input(MembershipCreate, fields)
        async with mutation(info) as session:
            membership = await service.add_member(
                session, str(slug), data=data, principal=info.context.principal
            )
            return MembershipType.from_model(membership)

    @strawberry.mutation(
        extensions=[Requires(Action.TEAM_WRITE)],
        description="Change a current member's role or allocation.",
    )
    async def update_team_member(
        self, info: GraphQLInfo, input: UpdateTeamMemberInput
    ) -> MembershipType | None:
        fields = provided(input)
        slug, person_id, expected = _split(fields, "team", "person_id", "expected_version")
        data = parse_input(MembershipUpdate, fields)
        async with mutation(info) as session:
            membership = await service.update_member(
                session,
                str(slug),
                person_id,
                data=data,
                if_match=expected,
                principal=info.context.principal,
            )
            return MembershipType.from_model(membership)

    @strawberry.mutation(
        extensions=[Requires(Action.TEAM_WRITE)],
        description="End a person's membership today; history keeps it.",
    )
    async def end_team_membership(
        self, info: GraphQLInfo, input: EndTeamMembershipInput
    ) -> MembershipType | None:
        async with mutation(info) as session:
            membership = await service.end_member(
                session,
                input.team,
                input.person_id,
                if_match=input.expected_version,
                principal=info.context.principal,
            )
            return MembershipType.from_model(membership)
