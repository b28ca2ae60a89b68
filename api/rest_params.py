"""What many REST routes share, documented once: parameters, response headers, problem responses."""

from collections.abc import Mapping
from typing import Annotated

from litestar.datastructures import ResponseHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from api.errors import PROBLEM_JSON, ProblemDetails
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from api.records import SLUG_PATTERN

Limit = Annotated[
    int,
    Parameter(
        ge=1, le=MAX_LIMIT, description=f"Page size, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})"
    ),
]
Cursor = Annotated[
    str | None,
    Parameter(max_length=512, description="`next_cursor` from the previous page"),
]
TextQuery = Annotated[
    str | None, Parameter(max_length=200, description="Free text, matched case-insensitively")
]
IncludeArchived = Annotated[bool, Parameter(description="Include archived records")]
IfMatch = Annotated[
    str | None,
    Parameter(
        header="If-Match",
        max_length=1024,
        description=(
            "ETag from a previous read (or `*`); the write fails with 412 if the record changed"
        ),
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
    400: "Unreadable input: malformed JSON, a cursor this API did not issue",
    401: "Missing, malformed, expired or revoked token",
    403: "The caller may not do this",
    404: "No such record",
    409: "A duplicate, or a change the record's state does not allow",
    412: "`If-Match` no longer matches the record; nothing changed",
    413: "Request body too large",
    422: "Input that breaks a rule; `errors` names each field or parameter",
}


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """Problem+json responses for the given statuses, plus the 400, 401 and 403 of every route."""
    return {
        status: ResponseSpec(
            data_container=ProblemDetails,
            media_type=PROBLEM_JSON,
            description=_PROBLEMS[status],
            generate_examples=False,
        )
        for status in sorted({400, 401, 403, *statuses})
    }


LIST_PROBLEMS = problems(422)
NESTED_LIST_PROBLEMS = problems(404, 422)
CREATE_PROBLEMS = problems(409, 413, 422)
READ_PROBLEMS = problems(404, 422)
UPDATE_PROBLEMS = problems(404, 409, 412, 413, 422)
ARCHIVE_PROBLEMS = problems(404, 409, 412, 422)
