"""What clients send and see, field by field: text rules, dates and times, input and read models."""

import re
import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from api.core.described import Schema

# The highest revision number a path or a review step may name: no number reaches the database
# that its integer columns cannot hold.
MAX_REVISION = 1_000_000

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
# A pattern judges the value as sent: "checkout\n" is refused, never stored as "checkout".
Slug = Annotated[str, StringConstraints(strip_whitespace=False, pattern=SLUG_PATTERN)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Org = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
# Filters take what REST's query parameters take, so GraphQL's (which validate with the same
# models) cannot send the database a 100,000-character pattern either.
SearchText = Annotated[str, StringConstraints(max_length=200)]
OrgFilter = Annotated[str, StringConstraints(max_length=100)]


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date_as_text(value: object) -> object:
    # JSON has no date type: accept "YYYY-MM-DD" text only, not numbers read as epoch seconds
    # nor timestamps quietly cut to their day.
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise ValueError("must be a date written as YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_date_as_text)]


def in_utc(value: datetime) -> datetime:
    """`value` in UTC; a ValueError (so a 422 naming the field) when that falls outside the
    years 1 to 9999, as `9999-12-31T23:59:59-00:01` does."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range once converted to UTC (years 1 to 9999)") from None


# Every instant a client sends: with an offset, and representable in UTC, where it is stored.
Moment = Annotated[AwareDatetime, AfterValidator(in_utc)]


def _whole_number(value: object) -> object:
    # A JSON integer, as JSON Schema counts them (50 or 50.0), and nothing else: not true, not
    # "50", not 50.5. Checked here because Litestar validates bodies with strict=False, which
    # overrides pydantic's `Strict()`.
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    raise ValueError("must be a whole number")


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]


def omitted(description: str | None = None) -> Any:
    """The default of a field in a partial update: may be left out, but is never null.

    Typed `Any` because the field's own type (say `str`) does not admit the `None` that marks
    "not sent"; services read only the fields a client set (`model_dump(exclude_unset=True)`).
    """
    return Field(default=None, description=description)


class InputModel(Schema):
    """Request bodies: unknown fields are an error, so a typo never passes silently."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, use_attribute_docstrings=True
    )

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL cannot store NUL in text; refuse it here rather than fail in the database.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("may not contain NUL characters")
        return value


class RecordRead(Schema):
    """Fields every record shows."""

    model_config = ConfigDict(from_attributes=True, use_attribute_docstrings=True)

    id: uuid.UUID
    """The record's id, fixed for its life."""
    created_at: datetime
    """When the record was created (RFC 3339, UTC)."""
    updated_at: datetime
    """When the record last changed (RFC 3339, UTC)."""
    version: int
    """Grows by one with each change; send it back (`If-Match`, `expectedVersion`) to change the
    record only if nobody else has changed it since you read it."""


ModelT = TypeVar("ModelT", bound=BaseModel)


def read_as(schema: type[ModelT], source: object, **values: Any) -> ModelT:
    """`schema` filled from `source`'s attributes of the same names, except the fields given in
    `values` (a relation shown by its slug, a renamed or computed field): the one mapper a record
    needs, for REST and GraphQL alike."""
    return schema.model_validate(
        {
            name: values[name] if name in values else getattr(source, name)
            for name in schema.model_fields
        }
    )
