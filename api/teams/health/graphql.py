"""GraphQL face of the two-pizza guideline and roster health."""

import uuid
from datetime import date, datetime

import strawberry

from api.core.graphql import GraphQLInfo, Requires, mutation, parse_input, provided
from api.teams.health import exceptions, guideline
from api.teams.health.models import HealthStatus
from api.teams.health.schemas import (
    GuidelineRead,
    GuidelineValues,
    HealthPoint,
    SizeExceptionCreate,
    SizeExceptionRead,
    TeamHealth,
)
from api.teams.policy import SETTINGS, SIZE_EXCEPTIONS, TEAMS

HealthStatusEnum = strawberry.enum(
    HealthStatus, name="HealthStatus", description="A team's size against the guideline."
)


@strawberry.type(name="TeamSizeGuideline", description="The org-wide team-size guideline.")
class GuidelineType:
    id: uuid.UUID | None
    version: int
    updated_at: datetime | None
    minimum: int
    recommended_min: int
    recommended_max: int
    acceptable_max: int

    @classmethod
    def from_read(cls, guideline: GuidelineRead) -> "GuidelineType":
        """The GraphQL view of the guideline."""
        return cls(**guideline.model_dump())


@strawberry.type(name="TeamSizeException", description="A team's own, higher maximum, and why.")
class SizeExceptionType:
    id: uuid.UUID
    team: str = strawberry.field(description="The team's slug")
    max_size: int
    justification: str
    approved_by: str
    expires_at: datetime | None
    withdrawn_at: datetime | None
    active: bool
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def from_read(cls, exception: SizeExceptionRead) -> "SizeExceptionType":
        """The GraphQL view of an exception."""
        return cls(**exception.model_dump())


@strawberry.type(name="HealthWarning", description="One plain-language warning.")
class HealthWarningType:
    code: str
    message: str


@strawberry.type(name="OverAllocatedMember")
class OverAllocatedMemberType:
    person_id: uuid.UUID
    name: str
    total_allocation_percent: int


@strawberry.type(name="JobFamilyCount")
class JobFamilyCountType:
    job_family: str
    count: int


@strawberry.type(name="RoleCount")
class RoleCountType:
    role: str
    count: int


@strawberry.type(name="TeamHealth", description="A team's shape against the guideline, on a day.")
class TeamHealthType:
    on: date
    headcount: int
    fte: float
    status: HealthStatusEnum  # type: ignore[valid-type]
    limit: int
    communication_paths: int
    home_orgs: list[str]
    job_families: list[JobFamilyCountType]
    roles: list[RoleCountType]
    has_product_manager: bool
    has_security_champion: bool
    over_allocated_members: list[OverAllocatedMemberType]
    size_exception: SizeExceptionType | None
    guideline: GuidelineType
    warnings: list[HealthWarningType]

    @classmethod
    def from_read(cls, health: TeamHealth) -> "TeamHealthType":
        """The GraphQL view of a team's health."""
        return cls(
            on=health.on,
            headcount=health.headcount,
            fte=health.fte,
            status=health.status,
            limit=health.limit,
            communication_paths=health.communication_paths,
            home_orgs=health.home_orgs,
            job_families=[JobFamilyCountType(**item.model_dump()) for item in health.job_families],
            roles=[RoleCountType(**item.model_dump()) for item in health.roles],
            has_product_manager=health.has_product_manager,
            has_security_champion=health.has_security_champion,
            over_allocated_members=[
                OverAllocatedMemberType(**item.model_dump())
                for item in health.over_allocated_members
            ],
            size_exception=SizeExceptionType.from_read(health.size_exception)
            if health.size_exception
            else None,
            guideline=GuidelineType.from_read(health.guideline),
            warnings=[HealthWarningType(**item.model_dump()) for item in health.warnings],
        )


@strawberry.type(name="HealthPoint", description="The team's size and status from a day on.")
class HealthPointType:
    on: date
    headcount: int
    fte: float
    status: HealthStatusEnum  # type: ignore[valid-type]
    limit: int

    @classmethod
    def from_read(cls, point: HealthPoint) -> "HealthPointType":
        """The GraphQL view of one point of a team's health history."""
        return cls(**point.model_dump())


@strawberry.input
class SetTeamSizeGuidelineInput:
    minimum: int
    recommended_min: int
    recommended_max: int
    acceptable_max: int
    expected_version: int | None = None


@strawberry.input
class GrantTeamSizeExceptionInput:
    team: str = strawberry.field(description="The team's slug")
    max_size: int
    justification: str
    expires_at: datetime | None = None
    expected_version: int | None = strawberry.field(
        default=None, description="Version of the exception being replaced, if any"
    )


@strawberry.input
class WithdrawTeamSizeExceptionInput:
    team: str = strawberry.field(description="The team's slug")
    expected_version: int | None = None


@strawberry.type
class RosterQuery:
    @strawberry.field(
        extensions=[Requires(TEAMS, "read")], description="The org-wide team-size guideline."
    )
    async def team_size_guideline(self, info: GraphQLInfo) -> GuidelineType | None:
        current = await guideline.get_guideline(info.context.session)
        return GuidelineType.from_read(guideline.guideline_read(current))


@strawberry.type
class RosterMutation:
    @strawberry.mutation(
        extensions=[Requires(SETTINGS, "manage")],
        description="Set the org-wide team-size guideline; its numbers must be in order.",
    )
    async def set_team_size_guideline(
        self, info: GraphQLInfo, input: SetTeamSizeGuidelineInput
    ) -> GuidelineType | None:
        fields = provided(input)
        expected = fields.pop("expected_version", None)
        data = parse_input(GuidelineValues, fields)
        async with mutation(info) as session:
            saved = await guideline.set_guideline(session, data=data, if_match=expected)
            return GuidelineType.from_read(guideline.guideline_read(saved))

    @strawberry.mutation(
        extensions=[Requires(SIZE_EXCEPTIONS, "grant")],
        description="Give a team its own maximum above the guideline, with a justification.",
    )
    async def grant_team_size_exception(
        self, info: GraphQLInfo, input: GrantTeamSizeExceptionInput
    ) -> SizeExceptionType | None:
        fields = provided(input)
        slug = fields.pop("team")
        expected = fields.pop("expected_version", None)
        data = parse_input(SizeExceptionCreate, fields)
        async with mutation(info) as session:
            granted = await exceptions.grant_exception(
                session, slug, data=data, if_match=expected, principal=info.context.principal
            )
            return SizeExceptionType.from_read(granted.read())

    @strawberry.mutation(
        extensions=[Requires(SIZE_EXCEPTIONS, "grant")],
        description="Withdraw a team's size exception; the guideline applies again at once.",
    )
    async def withdraw_team_size_exception(
        self, info: GraphQLInfo, input: WithdrawTeamSizeExceptionInput
    ) -> SizeExceptionType | None:
        async with mutation(info) as session:
            withdrawn = await exceptions.withdraw_exception(
                session,
                input.team,
                if_match=input.expected_version,
                principal=info.context.principal,
            )
            return SizeExceptionType.from_read(withdrawn.read())
