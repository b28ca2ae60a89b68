"""Teams and memberships as clients send and see them."""

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from api.core.described import Schema
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
    """The team's unique, URL-safe name (its address in the API); it never changes."""
    name: Name
    """The team's display name."""
    mission: Mission = ""
    """What the team is for, in a sentence or two."""
    org: Org
    """The organisation the team belongs to."""


class TeamUpdate(InputModel):
    """Fields to change; the slug is the team's address and does not change."""

    name: Name = omitted()
    """The team's display name."""
    mission: Mission = omitted()
    """What the team is for, in a sentence or two."""
    org: Org = omitted()
    """The organisation the team belongs to."""


class TeamRead(RecordRead):
    """A team."""

    slug: str
    """The team's unique, URL-safe name (its address in the API); it never changes."""
    name: str
    """The team's display name."""
    mission: str
    """What the team is for, in a sentence or two."""
    org: str
    """The organisation the team belongs to."""
    archived_at: datetime | None
    """When the team was archived; null while active. Archived teams keep their history."""


class TeamsFilter(Schema):
    """Filters for the team list."""

    org: OrgFilter | None = None
    """Only teams of this org."""
    q: SearchText | None = None
    """Only teams whose name, slug or mission contains this text (any case)."""
    health: HealthStatus | None = None
    """Only teams whose roster health is this status today."""
    include_archived: bool = False
    """Include archived teams too (left out by default)."""


class MembershipCreate(InputModel):
    """Put a person on a team."""

    person_id: uuid.UUID
    """The person to put on the team."""
    role: TeamRole
    """What the person does on this team."""
    allocation_percent: Allocation = 100
    start_date: IsoDate | None = Field(
        default=None, description="Defaults to today; may be in the past, not in the future"
    )


class MembershipUpdate(InputModel):
    """Change a current member's role or allocation."""

    role: TeamRole = omitted()
    """What the person does on this team."""
    allocation_percent: Allocation = omitted()
    """Share of the person's time on this team, 1 to 100."""


class MembershipRead(RecordRead):
    """One stint of one person on one team."""

    team: str = Field(description="The team's slug")
    person_id: uuid.UUID
    """The member's person id."""
    person: PersonRead
    """The member."""
    role: TeamRole
    """What the person does on this team."""
    allocation_percent: int
    """Share of the person's time on this team, 1 to 100."""
    start_date: date
    """The first day the person was a member."""
    end_date: date | None = Field(description="The first day the person was no longer a member")


class MembershipAdded(MembershipRead):
    """A new membership, and what the team's shape looks like now."""

    warnings: list[HealthWarning] = Field(
        description="The team's health warnings after the add; size is a warning, never an error"
    )


class RosterFilter(Schema):
    """Which memberships a roster query returns."""

    at: date | None = None
    """The roster as it was on this day (not in the future); today when left out."""
    include_ended: bool = False
    """Every stint the team ever had, ended ones included (ignored with `at`)."""
