"""What every record shares: read fields, versions and ETags, patches, and safe flushing."""

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any

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
from sqlalchemy import ColumnElement, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import object_session
from sqlalchemy.orm.exc import StaleDataError

from api.core.db import RecordBase, folded, utcnow
from api.core.errors import Conflict, InvalidInput, PreconditionFailed

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


class InputModel(BaseModel):
    """Request bodies: unknown fields are an error, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL cannot store NUL in text; refuse it here rather than fail in the database.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("may not contain NUL characters")
        return value


class RecordRead(BaseModel):
    """Fields every record shows."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    version: int


def etag(record: RecordBase) -> str:
    """The strong ETag of a record's current version."""
    return f'"{record.id}:{record.version}"'


# Strong ETags only: If-Match compares strongly (RFC 9110 13.1.1), so W/"…" never matches.
_ETAG_RE = re.compile(r'^"(?P<id>[0-9a-fA-F-]{36}):(?P<version>\d{1,18})"$')
_CONDITIONAL = "pizzabox_conditional_write"


# What a write may be conditional on: an `If-Match` header (REST) or an expected version (GraphQL).
Precondition = str | int | None


def check_if_match(record: RecordBase, if_match: Precondition) -> None:
    """Refuse a write whose `If-Match` (or expected version) is not the stored one (412)."""
    if if_match is None:
        return
    session = object_session(record)
    if session is not None:
        # A race lost at the UPDATE is then a failed precondition too (see `flush`).
        session.info[_CONDITIONAL] = True
    if isinstance(if_match, int):
        if if_match != record.version:
            raise PreconditionFailed(
                f"expected version {if_match} but the record is at version {record.version}"
            )
        return
    candidates = [part.strip() for part in if_match.split(",") if part.strip()]
    if "*" in candidates:
        return
    for candidate in candidates:
        match = _ETAG_RE.match(candidate)
        if (
            match
            and match["id"].lower() == str(record.id)
            and int(match["version"]) == record.version
        ):
            return
    raise PreconditionFailed(
        f"If-Match does not match the current version {etag(record)}; read the record again"
    )


def apply_changes(
    record: RecordBase, changes: Mapping[str, Any], *, required: frozenset[str]
) -> dict[str, tuple[Any, Any]]:
    """Set the given fields, refusing null for required ones; returns {field: (old, new)}."""
    nulls = [name for name, value in changes.items() if value is None and name in required]
    if nulls:
        raise InvalidInput(
            "; ".join(f"{name}: may not be null" for name in nulls),
            [InvalidInput.field(name, "may not be null").errors[0] for name in nulls],
        )
    changed: dict[str, tuple[Any, Any]] = {}
    for name, value in changes.items():
        old = getattr(record, name)
        if old != value:
            setattr(record, name, value)
            changed[name] = (old, value)
    if changed:
        record.updated_at = utcnow()
    return changed


async def flush(session: AsyncSession) -> None:
    """Flush, turning a lost race into the error a client can act on."""
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("the change conflicts with another record (duplicate or missing)") from exc
    except StaleDataError as exc:
        if session.info.get(_CONDITIONAL):
            raise PreconditionFailed(
                "the record was changed by someone else; read it again"
            ) from exc
        # No precondition was sent, so none failed: two unconditional writes collided.
        raise Conflict(
            "the record was changed by someone else at the same moment; read it again and retry"
        ) from exc


def text_search(query: str, *columns: Any) -> ColumnElement[bool]:
    """Case-insensitive substring match of `query` on any of the columns (Unicode-aware)."""
    escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(*(folded(column).like(pattern, escape="\\") for column in columns))
