"""What many REST routes share, documented once: parameters, response headers, problem responses."""

import re
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, TypeVar

from litestar import Response
from litestar._openapi.schema_generation import SchemaCreator
from litestar.datastructures import ResponseHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.params import HeaderParameter, Parameter
from litestar.plugins import OpenAPISchemaPlugin
from litestar.plugins.pydantic import PydanticSchemaPlugin
from litestar.typing import FieldDefinition

from api.core.db import RecordBase
from api.core.errors import PROBLEM_JSON, InvalidInput, ProblemDetails
from api.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from api.core.records import SLUG_PATTERN, InputModel, etag, in_utc

# Text that PostgreSQL can store and compare: no NUL characters.
NO_NUL = r"^[^\x00]*$"


def absent_or(schema_type: str = "string", **schema: Any) -> dict[str, Any]:
    """`schema_extra` for an optional parameter: a client leaves it out, it is never `null`.

    Litestar documents `X | None` as `oneOf: [X, null]`, but a query string or header has no
    null; generated clients and fuzzers then send the text "null".
    """
    return {"oneOf": None, "type": schema_type, **schema}


def one_of(enum: type[Enum]) -> dict[str, Any]:
    """`schema_extra` for an optional parameter that takes one of an enum's values."""
    return absent_or(enum=[member.value for member in enum])


# Optional enum and date query parameters arrive as text and are read here, not by Litestar:
# its lax conversion reads the text "null" as None for `Stage | None`, so `?stage=null` would
# silently mean "any stage" instead of being refused like any other value outside the enum.
EnumT = TypeVar("EnumT", bound=Enum)
BodyT = TypeVar("BodyT")


def versioned(
    body: BodyT,
    record: RecordBase,
    *,
    created_at: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[BodyT]:
    """A one-record answer carrying the record's ETag; with `created_at` (the new record's
    path), a 201 whose `Location` says where it lives."""
    sent = {"ETag": etag(record), **(headers or {})}
    if created_at is not None:
        sent["Location"] = created_at
    return Response(body, status_code=201 if created_at else 200, headers=sent)


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# RFC 3339's date-time, and only it: fromisoformat alone also takes week dates, basic format,
# hours without minutes and a space for the T.
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})$", re.ASCII
)


def choice(enum: type[EnumT], value: str | None, *, field: str) -> EnumT | None:
    """The member of `enum` a query parameter names, None when absent; 422 for anything else."""
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(str(member.value) for member in enum)
        raise InvalidInput.field(field, f"must be one of: {allowed}") from None


def day(value: str | None, *, field: str) -> date | None:
    """The date a query parameter names (YYYY-MM-DD), None when absent; 422 for anything else."""
    if value is None:
        return None
    try:
        # fromisoformat alone would also take 20200101 and 2020-W01-1, which the docs do not offer.
        if _DATE.match(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise InvalidInput.field(field, "must be a date as YYYY-MM-DD")


def moment(value: str | None, *, field: str) -> datetime | None:
    """The instant a query parameter names (RFC 3339, with an offset or Z); 422 otherwise."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value) if _RFC3339.fullmatch(value) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise InvalidInput.field(
            field, "must be an RFC 3339 time with an offset, e.g. 2027-01-31T09:00:00Z"
        )
    try:
        return in_utc(parsed)
    except ValueError as exc:
        raise InvalidInput.field(field, str(exc)) from None


Limit = Annotated[
    int,
    Parameter(
        ge=1, le=MAX_LIMIT, description=f"Page size, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})"
    ),
]
Cursor = Annotated[
    str | None,
    Parameter(
        max_length=512,
        description="`next_cursor` from the previous page",
        schema_extra=absent_or(),
    ),
]
TextQuery = Annotated[
    str | None,
    Parameter(
        max_length=200,
        pattern=NO_NUL,
        description="Free text, matched case-insensitively",
        schema_extra=absent_or(),
    ),
]
Org = Annotated[
    str | None,
    Parameter(
        max_length=100,
        pattern=NO_NUL,
        description="Org, case-insensitive",
        schema_extra=absent_or(),
    ),
]
IncludeArchived = Annotated[bool, Parameter(description="Include archived records")]
IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        max_length=1024,
        description=(
            "ETag from a previous read (or `*`); the write fails with 412 if the record changed"
        ),
        schema_extra=absent_or(),
    ),
]
TeamSlug = Annotated[str, Parameter(pattern=SLUG_PATTERN, description="The team's slug")]
ProductSlug = Annotated[str, Parameter(pattern=SLUG_PATTERN, description="The product's slug")]

ETAG = ResponseHeader(
    name="ETag",
    value='"<id>:<version>"',
    documentation_only=True,
    required=True,
    description="The record's version; send it back as `If-Match` to make a write conditional",
)


def created_headers() -> list[ResponseHeader]:
    """The headers of a 201: where the new record lives, and its ETag."""
    return [
        ResponseHeader(
            name="Location",
            value="/api/v1/…",
            documentation_only=True,
            required=True,
            description="Path of the new record",
        ),
        ETAG,
    ]


_PROBLEMS: Mapping[int, str] = {
    400: "Unreadable input: malformed JSON, a key given twice, a cursor this API did not issue",
    401: "Missing, malformed, expired or revoked token",
    403: "The caller may not do this",
    404: "No such record",
    409: "A duplicate, or a change the record's state does not allow",
    412: "`If-Match` no longer matches the record; nothing changed",
    413: "Request body too large",
    415: "A body not sent as `application/json` (`Accept-Post` or `Accept-Patch` says what is)",
    422: "Input that breaks a rule; `errors` names each field or parameter",
    429: "Too many requests for this token; retry after `Retry-After` seconds",
}


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """Problem+json responses for the given statuses, plus the 400, 401, 403 and 429 that any
    route can answer."""
    return {
        status: ResponseSpec(
            data_container=ProblemDetails,
            media_type=PROBLEM_JSON,
            description=_PROBLEMS[status],
            generate_examples=False,
        )
        for status in sorted({400, 401, 403, 429, *statuses})
    }


LIST_PROBLEMS = problems(422)
NESTED_LIST_PROBLEMS = problems(404, 422)
CREATE_PROBLEMS = problems(409, 413, 415, 422)
READ_PROBLEMS = problems(404, 422)
UPDATE_PROBLEMS = problems(404, 409, 412, 413, 415, 422)
ARCHIVE_PROBLEMS = problems(404, 409, 412, 422)


class ClosedInputSchemaPlugin(OpenAPISchemaPlugin):
    """Document request bodies as closed (`additionalProperties: false`), as they are.

    Request models forbid unknown fields, so a typo is a 422; Litestar's pydantic schemas leave
    that out, and generated clients and fuzzers then send extra fields the API refuses.
    """

    def __init__(self) -> None:
        self._pydantic = PydanticSchemaPlugin()

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        """Request models only; every other pydantic model goes to Litestar's own plugin."""
        annotation = field_definition.annotation
        return isinstance(annotation, type) and issubclass(annotation, InputModel)

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        """Litestar's schema for the model, closed to properties it does not name, and with
        its text fields' refusal of NUL characters written down."""
        schema = self._pydantic.to_openapi_schema(field_definition, schema_creator)
        schema.additional_properties = False
        for value in (schema.properties or {}).values():
            if isinstance(value, Schema):
                for text in _text_schemas(value):
                    text.pattern = _text_pattern(text)
        return schema


def _text_schemas(schema: Schema) -> list[Schema]:
    """The free-text string schemas of a property: itself, or its `oneOf`/`anyOf` members.

    Formats (dates, UUIDs) and enums are read into other types, which cannot hold NUL anyway.
    """
    if schema.type == OpenAPIType.STRING and not schema.format and not schema.enum:
        return [schema]
    members = [*(schema.one_of or ()), *(schema.any_of or ())]
    return [
        text for member in members if isinstance(member, Schema) for text in _text_schemas(member)
    ]


# What `InputModel` strips from both ends of every text field (pydantic's `str_strip_whitespace`,
# Unicode White_Space), spelt out: `\s` means a different set in ECMA-262, Python and Rust.
_STRIPPED = r"\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Text that is not blank once stripped, and holds no NUL.
NOT_BLANK = rf"^[^\x00]*[^\x00{_STRIPPED}][^\x00]*$"


def _text_pattern(text: Schema) -> str:
    """The pattern a body's text field is documented with.

    Text is stripped before it is checked, so a required name of spaces alone is refused as
    empty: with a `minLength`, the field must hold a character that is not stripped.
    """
    if text.pattern is None and (text.min_length or 0) >= 1:
        return NOT_BLANK
    return _without_nul(text.pattern)


def _without_nul(pattern: str | None) -> str:
    r"""`pattern`, also refusing NUL, as `InputModel` does for every text field of a body.

    Without a pattern the field takes any text but NUL. A pattern of positive classes and
    literals (a slug) refuses NUL already; negated classes (`[^\r\n]`) would let it through,
    so NUL joins each of them.
    """
    if pattern is None:
        return NO_NUL
    if "\\x00" in pattern:
        return pattern
    return pattern.replace("[^", "[^\\x00")
