"""Products as clients send and see them."""

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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
    name: Name
    summary: Summary = ""
    team: Slug = Field(description="Slug of the owning team")
    data_classification: DataClassification
    target_launch_date: IsoDate | None = None


class ProductUpdate(InputModel):
    """Fields to change. `stage` moves one step forward, or back, or to `retired`."""

    name: Name = omitted()
    summary: Summary = omitted()
    team: Slug = omitted("Slug of the new owning team")
    stage: Stage = omitted()
    data_classification: DataClassification = omitted()
    target_launch_date: IsoDate | None = Field(
        default=None, description="Null clears the date; every change is kept as history"
    )


class ProductRead(RecordRead):
    """A product."""

    slug: str
    name: str
    summary: str
    team: str = Field(description="Slug of the owning team")
    stage: Stage
    data_classification: DataClassification
    target_launch_date: date | None
    archived_at: datetime | None


class ProductChangeRead(BaseModel):
    """One change of a product's stage or target launch date."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    field: TrackedField
    old_value: str | None
    new_value: str | None
    changed_by: str
    changed_at: datetime = Field(validation_alias="created_at")


class ProductsFilter(BaseModel):
    """Filters for the product list."""

    stage: Stage | None = None
    team: SearchText | None = None
    data_classification: DataClassification | None = None
    org: OrgFilter | None = None
    q: SearchText | None = None
    include_archived: bool = False
