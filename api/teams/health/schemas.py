"""The guideline, exceptions and roster health as clients send and see them."""

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.core.fields import InputModel, Moment, RecordRead, WholeNumber
from api.teams.health.models import HealthStatus

Size = Annotated[WholeNumber, Field(ge=1, le=1000)]

DEFAULT_GUIDELINE = {"minimum": 3, "recommended_min": 5, "recommended_max": 8, "acceptable_max": 10}


class GuidelineValues(InputModel):
    """The team-size guideline: under `minimum` a team is under; `recommended_min` to
    `recommended_max` is recommended; up to `acceptable_max` acceptable; above it, over."""

    minimum: Size = Field(description="Below this a team is `under` (default 3)")
    recommended_min: Size = Field(description="Smallest recommended size (default 5)")
    recommended_max: Size = Field(description="Largest recommended size (default 8)")
    acceptable_max: Size = Field(description="Largest acceptable size (default 10)")


class GuidelineRead(BaseModel):
    """The guideline in force; `id` is null while the defaults have never been changed."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID | None
    version: int
    updated_at: datetime | None
    minimum: int
    recommended_min: int
    recommended_max: int
    acceptable_max: int


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
    justification: str
    approved_by: str
    expires_at: datetime | None
    withdrawn_at: datetime | None
    active: bool = Field(description="In force now: not withdrawn and not expired")


class HealthWarning(BaseModel):
    """One plain-language warning about a team's shape."""

    code: str
    message: str


class OverAllocatedMember(BaseModel):
    """A member whose allocations across all teams add up to more than 100%."""

    person_id: uuid.UUID
    name: str
    total_allocation_percent: int


class JobFamilyCount(BaseModel):
    """How many members have one job family."""

    job_family: str
    count: int


class RoleCount(BaseModel):
    """How many members hold one role."""

    role: str
    count: int


class TeamHealth(BaseModel):
    """A team's shape against the two-pizza guideline, on one day."""

    team: str = Field(description="The team's slug")
    on: date = Field(description="The day this describes")
    headcount: int
    fte: float = Field(description="Full-time equivalents, from allocation percentages")
    status: HealthStatus
    limit: int = Field(description="The largest size that is not `over`: exception or guideline")
    communication_paths: int = Field(description="n(n-1)/2 for n members")
    home_orgs: list[str] = Field(description="The home orgs the members come from")
    job_families: list[JobFamilyCount]
    roles: list[RoleCount]
    has_product_manager: bool
    has_security_champion: bool
    over_allocated_members: list[OverAllocatedMember]
    size_exception: SizeExceptionRead | None
    guideline: GuidelineRead
    warnings: list[HealthWarning]


class HealthPoint(BaseModel):
    """The team's size and status from one day on, until the next point."""

    on: date
    headcount: int
    fte: float
    status: HealthStatus
    limit: int
