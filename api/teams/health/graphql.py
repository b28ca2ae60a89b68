"""GraphQL face of the two-pizza guideline and roster health."""

from datetime import datetime

import strawberry
from strawberry.experimental.pydantic import type as pydantic_type

from api.core.graphql import (
    GraphQLInfo,
    Requires,
    derived,
    documented,
    from_read,
    graphql_enum,
)
from api.core.graphql_fields import Face

# Registers JobFamily as a GraphQL enum before the job-family counts below are converted.
from api.people.graphql import JobFamilyEnum  # noqa: F401
from api.teams.health import exceptions, guideline
from api.teams.health.models import HealthStatus, WarningCode
from api.teams.health.schemas import (
    GuidelineRead,
    GuidelineValues,
    HealthPoint,
    HealthWarning,
    JobFamilyCount,
    OverAllocatedMember,
    RoleCount,
    SizeExceptionCreate,
    SizeExceptionRead,
    TeamHealth,
)
from api.teams.models import TeamRole
from api.teams.policy import SETTINGS, SIZE_EXCEPTIONS, TEAMS

# Health counts members by role, so the role's GraphQL enum is declared here, below the teams'
# types that use it too; a job family's comes from people.
TeamRoleEnum = graphql_enum(TeamRole, name="TeamRole", description="What a member does on a team.")
WarningCodeEnum = graphql_enum(WarningCode, name="HealthWarningCode")
HealthStatusEnum = graphql_enum(
    HealthStatus, name="HealthStatus", description="A team's size against the guideline."
)


@pydantic_type(
    model=GuidelineRead,
    all_fields=True,
    name="TeamSizeGuideline",
    description="The org-wide team-size guideline.",
)
class GuidelineType:
    """The guideline, as REST's `GuidelineRead` shows it."""


@pydantic_type(
    model=SizeExceptionRead,
    all_fields=True,
    name="TeamSizeException",
    description="A team's own, higher maximum, and why.",
)
class SizeExceptionType:
    """An exception, as REST's `SizeExceptionRead` shows one."""


@pydantic_type(
    model=HealthWarning,
    all_fields=True,
    name="HealthWarning",
    description="One plain-language warning.",
)
class HealthWarningType:
    """A warning."""


OverAllocatedMemberType = derived(
    OverAllocatedMember, "OverAllocatedMember", "A member allocated above 100% across teams."
)
JobFamilyCountType = derived(JobFamilyCount, "JobFamilyCount", "Members per job family.")
RoleCountType = derived(RoleCount, "RoleCount", "Members per role.")


@pydantic_type(
    model=TeamHealth,
    name="TeamHealth",
    description="A team's shape against the guideline, on a day.",
)
class TeamHealthType:
    """A team's health, as REST's `TeamHealth` shows it, without the team it belongs to."""

    on: strawberry.auto
    headcount: strawberry.auto
    fte: strawberry.auto
    status: strawberry.auto
    limit: strawberry.auto
    communication_paths: strawberry.auto
    home_orgs: strawberry.auto
    job_families: strawberry.auto
    roles: strawberry.auto
    has_product_manager: strawberry.auto
    has_security_champion: strawberry.auto
    over_allocated_members: strawberry.auto
    size_exception: strawberry.auto
    guideline: strawberry.auto
    warnings: strawberry.auto


@pydantic_type(
    model=HealthPoint,
    all_fields=True,
    name="HealthPoint",
    description="The team's size and status from a day on.",
)
class HealthPointType:
    """One point of a team's health history."""


@strawberry.input(description="The org-wide team-size guideline, all four numbers.")
@documented(GuidelineValues)
class SetTeamSizeGuidelineInput:
    minimum: int
    recommended_min: int
    recommended_max: int
    acceptable_max: int
    expected_version: int | None = None


@strawberry.input(description="A team's own maximum above the guideline, and why.")
@documented(SizeExceptionCreate)
class GrantTeamSizeExceptionInput:
    team: str = strawberry.field(description="The team's slug")
    max_size: int
    justification: str
    expires_at: datetime | None = None
    expected_version: int | None = strawberry.field(
        default=None, description="Version of the exception being replaced, if any"
    )


@strawberry.input(description="The size exception to withdraw; the guideline applies again.")
@documented()
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
        return from_read(GuidelineType, guideline.guideline_read(current))


def _guideline(saved: guideline.Guideline) -> GuidelineType:
    return from_read(GuidelineType, guideline.guideline_read(saved))


def _exception(shown: exceptions.TeamException) -> SizeExceptionType:
    return from_read(SizeExceptionType, shown.read())


GUIDELINE = Face(GuidelineType, SETTINGS, show=_guideline, writes="manage")
EXCEPTION = Face(SizeExceptionType, SIZE_EXCEPTIONS, show=_exception, writes="grant")


@strawberry.type
class RosterMutation:
    set_team_size_guideline = GUIDELINE.mutation(
        SetTeamSizeGuidelineInput,
        guideline.set_guideline,
        "Set the org-wide team-size guideline; its numbers must be in order.",
    )
    grant_team_size_exception = EXCEPTION.mutation(
        GrantTeamSizeExceptionInput,
        exceptions.grant_exception,
        "Give a team its own maximum above the guideline, with a justification.",
        key=["team"],
    )
    withdraw_team_size_exception = EXCEPTION.mutation(
        WithdrawTeamSizeExceptionInput,
        exceptions.withdraw_exception,
        "Withdraw a team's size exception; the guideline applies again at once.",
        key=["team"],
    )
