"""Products as clients send and see them."""

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from api.core.described import Schema
from api.core.fields import (
    InputModel,
    IsoDate,
    Name,
    OrgFilter,
    RecordRead,
    SearchText,
    Slug,
    omitted,
)
from api.products.models import DataClassification, Stage, TrackedField

Summary = Annotated[
    str,
    StringConstraints(strip_whitespace=False, max_length=300, pattern=r"^[^\r\n]*$"),
    Field(description="One line, at most 300 characters"),
]


class ProductCreate(InputModel):
    """A new product; it starts at the `idea` stage."""

    slug: Slug
    """The product's unique, URL-safe name (its address in the API); it never changes."""
    name: Name
    """The product's display name."""
    summary: Summary = ""
    team: Slug = Field(description="Slug of the owning team")
    data_classification: DataClassification
    """How sensitive the data the product handles is; it decides which security FAQ questions
    apply."""
    target_launch_date: IsoDate | None = None
    """The day the team means to launch (a date, no time); null when not set."""


class ProductUpdate(InputModel):
    """Fields to change. `stage` moves one step forward, or back, or to `retired`."""

    name: Name = omitted()
    """The product's display name."""
    summary: Summary = omitted()
    """One line, at most 300 characters."""
    team: Slug = omitted("Slug of the new owning team")
    stage: Stage = omitted()
    """The next stage, the one before, or `retired`; the stage gates apply."""
    data_classification: DataClassification = omitted()
    """How sensitive the data the product handles is; it decides which security FAQ questions
    apply."""
    target_launch_date: IsoDate | None = Field(
        default=None, description="Null clears the date; every change is kept as history"
    )


class ProductRead(RecordRead):
    """A product."""

    slug: str
    """The product's unique, URL-safe name (its address in the API); it never changes."""
    name: str
    """The product's display name."""
    summary: str
    """What the product is, in one line."""
    team: str = Field(description="Slug of the owning team")
    stage: Stage
    """Where the product is in its lifecycle."""
    data_classification: DataClassification
    """How sensitive the data the product handles is; it decides which security FAQ questions
    apply."""
    target_launch_date: date | None
    """The day the team means to launch (a date, no time); null when not set."""
    archived_at: datetime | None
    """When the product was archived; null while active. Archived products keep their history."""


class ProductChangeRead(Schema):
    """One change of a product's stage or target launch date."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    """The change's id."""
    field: TrackedField
    """Which field changed."""
    old_value: str | None
    """The value before (a stage, or an ISO date); null when it was not set."""
    new_value: str | None
    """The value after; null when it was cleared."""
    changed_by: str
    """Who made the change: the token's name, and its person's email when it acts as one."""
    changed_at: datetime = Field(validation_alias="created_at")
    """When the change was made (RFC 3339, UTC)."""


class ProductsFilter(Schema):
    """Filters for the product list."""

    stage: Stage | None = None
    """Only products at this stage."""
    team: SearchText | None = None
    """Only products of the team with this slug."""
    data_classification: DataClassification | None = None
    """Only products of this data classification."""
    org: OrgFilter | None = None
    """Only products whose team belongs to this org."""
    q: SearchText | None = None
    """Only products whose name, slug or summary contains this text (any case)."""
    include_archived: bool = False
    """Include archived products too (left out by default)."""
