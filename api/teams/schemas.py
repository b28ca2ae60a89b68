"""Teams and memberships as clients send and see them."""

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from api.core.fields import (
    InputModel,
    IsoDate,
    Name,
    Org,
    OrgFilter,
    RecordRead,
    SearchText,
    Slug,
    WholeNumber,
    omitted,
)
from api.people.schemas import PersonRead
from api.teams.health.models import HealthStatus
from api.teams.health.schemas import HealthWarning
from api.teams.models import TeamRole

Mission = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
# A whole number: JSON `true` or "50" is not a percentage.
Allocation = Annotated[
    WholeNumber, Field(ge=1, le=100, description="Share of the person's time, 1 to 100")
]


class TeamCreate(InputModel):
    """A new team."""

    slug: Slug
    name: Name
    mission: Mission = ""
    org: Org


class TeamUpdate(InputModel):
    """Fields to change; the slug is the team's address and does not change."""

    name: Name = omitted()
    mission: Mission = omitted()
    org: Org = omitted()


class TeamRead(RecordRead):
    """A team."""

    slug: str
    name: str
    mission: str
    org: str
    archived_at: datetime | None


class TeamsFilter(BaseModel):
    """Filters for the team list."""

    org: OrgFilter | None = None
    q: SearchText | None = None
    health: HealthStatus | None = None
    include_archived: bool = False


class MembershipCreate(InputModel):
    """Put a person on a team."""

    person_id: uuid.UUID
    role: TeamRole
    allocation_percent: Allocation = 100
    start_date: IsoDate | None = Field(
        default=None, description="Defaults to today; may be in the past, not in the future"
    )


class MembershipUpdate(InputModel):
    """Change a current member's role or allocation."""

    role: TeamRole = omitted()
    allocation_percent: Allocation = omitted()


class MembershipRead(RecordRead):
    """One stint of one person on one team."""

    team: str = Field(description="The team's slug")
    person_id: uuid.UUID
    person: PersonRead
    role: TeamRole
    allocation_percent: int
    start_date: date
    end_date: date | None = Field(description="The first day the person was no longer a member")


class MembershipAdded(MembershipRead):
    """A new membership, and what the team's shape looks like now."""

    warnings: list[HealthWarning] = Field(
        description="The team's health warnings after the add; size is a warning, never an error"
    )


class RosterFilter(BaseModel):
    """Which memberships a roster query returns."""

    at: date | None = None
    include_ended: bool = False
