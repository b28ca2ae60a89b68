"""The guideline, exceptions and roster health as clients send and see them."""

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from api.core.described import Schema
from api.core.fields import InputModel, Moment, RecordRead, WholeNumber
from api.people.models import JobFamily
from api.teams.health.models import HealthStatus, WarningCode
from api.teams.models import TeamRole

Size = Annotated[WholeNumber, Field(ge=1, le=1000)]

DEFAULT_GUIDELINE = {"minimum": 3, "recommended_min": 5, "recommended_max": 8, "acceptable_max": 10}


class GuidelineValues(InputModel):
    """The team-size guideline: under `minimum` a team is under; `recommended_min` to
    `recommended_max` is recommended; up to `acceptable_max` acceptable; above it, over."""

    minimum: Size = Field(description="Below this a team is `under` (default 3)")
    recommended_min: Size = Field(description="Smallest recommended size (default 5)")
    recommended_max: Size = Field(description="Largest recommended size (default 8)")
    acceptable_max: Size = Field(description="Largest acceptable size (default 10)")


class GuidelineRead(Schema):
    """The guideline in force; `id` is null while the defaults have never been changed."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID | None
    """The guideline's id; null until an admin first sets it (the defaults apply)."""
    version: int
    """Grows with each change; send it back to change it safely (0 for the defaults)."""
    updated_at: datetime | None
    """When it last changed; null for the defaults."""
    minimum: int
    """Fewer people than this is UNDER."""
    recommended_min: int
    """The smallest recommended size."""
    recommended_max: int
    """The largest recommended size."""
    acceptable_max: int
    """More people than this is OVER, unless a size exception allows it."""


Justification = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=10, max_length=2000)
]


class SizeExceptionCreate(InputModel):
    """A team's own maximum above the guideline, and why."""

    max_size: Size = Field(description="The team's maximum; above the guideline's acceptable_max")
    justification: Justification = Field(description="Why the team needs to be this large")
    expires_at: Moment | None = Field(
        default=None,
        description="When the org-wide guideline applies again (RFC 3339, with offset)",
    )


class SizeExceptionRead(RecordRead):
    """A team's size exception."""

    team: str = Field(description="The team's slug")
    max_size: int
    """The most people the team may have under the exception."""
    justification: str
    """Why the team may be larger."""
    approved_by: str
    """Who granted it."""
    expires_at: datetime | None
    """When it lapses; null if it does not."""
    withdrawn_at: datetime | None
    """When it was withdrawn; null while in force."""
    active: bool = Field(description="In force now: not withdrawn and not expired")


class HealthWarning(Schema):
    """One plain-language warning about a team's shape."""

    code: WarningCode
    """What the warning is about, for programs."""
    message: str
    """The warning, for people, with the team's numbers."""


class OverAllocatedMember(Schema):
    """A member whose allocations across all teams add up to more than 100%."""

    person_id: uuid.UUID
    """The person's id."""
    name: str
    """The person's name."""
    total_allocation_percent: int
    """The person's allocations summed over all their teams (over 100)."""


class JobFamilyCount(Schema):
    """How many members have one job family."""

    job_family: JobFamily
    """A job family on the team."""
    count: int
    """How many members have it."""


class RoleCount(Schema):
    """How many members hold one role."""

    role: TeamRole
    """A role on the team."""
    count: int
    """How many members have it."""


class TeamHealth(Schema):
    """A team's shape against the two-pizza guideline, on one day."""

    team: str = Field(description="The team's slug")
    on: date = Field(description="The day this describes")
    headcount: int
    """Members today (or on the day asked for)."""
    fte: float = Field(description="Full-time equivalents, from allocation percentages")
    status: HealthStatus
    """The headcount against the guideline."""
    limit: int = Field(description="The largest size that is not `over`: exception or guideline")
    communication_paths: int = Field(description="n(n-1)/2 for n members")
    home_orgs: list[str] = Field(description="The home orgs the members come from")
    job_families: list[JobFamilyCount]
    """How many members of each job family."""
    roles: list[RoleCount]
    """How many members in each team role."""
    has_product_manager: bool
    """Whether a member has the product manager role."""
    has_security_champion: bool
    """Whether a member has the security champion role."""
    over_allocated_members: list[OverAllocatedMember]
    """Members allocated over 100% across their teams."""
    size_exception: SizeExceptionRead | None
    """The size exception in force; null if none."""
    guideline: GuidelineRead
    """The guideline the team was judged by."""
    warnings: list[HealthWarning]
    """What deserves attention, in words; size is a warning, never an error."""


class HealthPoint(Schema):
    """The team's size and status from one day on, until the next point."""

    on: date
    """The day."""
    headcount: int
    """Members that day."""
    fte: float
    """Members' allocations that day, as full-time people."""
    status: HealthStatus
    """The headcount against the guideline that day."""
    limit: int
    """The most people allowed that day (the guideline's, or a size exception's)."""
