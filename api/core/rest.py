"""What many REST routes share, documented once: parameters, response headers, problem responses."""

import re
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, TypeVar

from litestar import Request, Response, delete, get, patch, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency, Provide
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, Parameter, PathParameter

from api.core.db import RecordBase
from api.core.errors import PROBLEM_JSON, InvalidInput, ProblemDetails
from api.core.fields import MAX_REVISION, SLUG_PATTERN, in_utc
from api.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Paging
from api.core.policy import Policy, allow
from api.core.writes import etag

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


def text(description: str, *, max_length: int, pattern: str | None = None) -> Any:
    """An optional text query parameter, bounded and (by default) free of NUL characters:
    `q: Annotated[str | None, text("Free text", max_length=200)] = None`."""
    return Parameter(
        max_length=max_length,
        pattern=pattern or NO_NUL,
        description=description,
        schema_extra=absent_or(),
    )


def choice_of(enum: type[Enum], description: str) -> Any:
    """An optional query parameter taking one of `enum`'s values (read with `choice`)."""
    return Parameter(description=description, schema_extra=one_of(enum))


def when(description: str, *, format: str = "date-time") -> Any:
    """An optional date (`format="date"`) or RFC 3339 time query parameter, read as text (with
    `day` or `moment`)."""
    return Parameter(description=description, schema_extra=absent_or(format=format))


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


def location(request: Request[Any, Any, Any], route: str, **path: Any) -> str:
    """The path of the route named `route` (its `name`) for `path`'s parameters: a 201's
    `Location`, from the routing table rather than a hand-written string."""
    return request.app.route_reverse(route, **path)


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
PagingDep = NamedDependency[Paging]


def provide_paging(limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Paging:
    """The page a list route was asked for, from its `limit` and `cursor` query parameters."""
    return Paging(cursor, limit)


TextQuery = Annotated[str | None, text("Free text, matched case-insensitively", max_length=200)]
Org = Annotated[str | None, text("Org, case-insensitive", max_length=100)]
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
PersonId = Annotated[uuid.UUID, PathParameter(description="The person's id")]
TokenId = Annotated[uuid.UUID, PathParameter(description="The token's id")]
RevisionNumber = Annotated[
    int,
    PathParameter(description="The revision's number: 1 for the first", ge=1, le=MAX_REVISION),
]

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


# The routes a record's REST face has, each declared once with its guard, its problems and its
# headers: a domain names the path, the operation, the policy and a summary.


def guarded(
    method: Callable[..., HTTPRouteHandler],
    path: str,
    operation_id: str,
    policy: Policy,
    verb: str,
    *,
    summary: str,
    responses: Mapping[int, ResponseSpec],
    **options: Any,
) -> HTTPRouteHandler:
    """A route that `policy` lets only a caller who may `verb` reach, documented with the
    problems it can answer."""
    options.update(operation_id=operation_id, summary=summary, responses=dict(responses))
    return method(path, guards=[allow(policy, verb)], **options)


def list_route(
    operation_id: str,
    policy: Policy,
    *,
    summary: str,
    path: str = "/",
    verb: str = "read",
    responses: Mapping[int, ResponseSpec] = LIST_PROBLEMS,
    **options: Any,
) -> HTTPRouteHandler:
    """`GET` a page of records; the handler takes the page asked for as `paging: PagingDep`."""
    options["dependencies"] = {"paging": Provide(provide_paging, sync_to_thread=False)}
    return guarded(
        get, path, operation_id, policy, verb, summary=summary, responses=responses, **options
    )


def read_route(
    path: str, operation_id: str, policy: Policy, *, summary: str, **options: Any
) -> HTTPRouteHandler:
    """`GET` one record with its ETag; named by its operation, so a 201 can point at it."""
    options.update(name=operation_id, response_headers=[ETAG])
    return guarded(
        get, path, operation_id, policy, "read", summary=summary, responses=READ_PROBLEMS, **options
    )


def create_route(
    operation_id: str, policy: Policy, *, summary: str, verb: str = "create", **options: Any
) -> HTTPRouteHandler:
    """`POST` a new record (at `path`, "/" by default): 201 with its `Location` and ETag."""
    path = options.pop("path", "/")
    responses = options.pop("responses", CREATE_PROBLEMS)
    options["response_headers"] = created_headers()
    return guarded(
        post, path, operation_id, policy, verb, summary=summary, responses=responses, **options
    )


def update_route(
    path: str, operation_id: str, policy: Policy, *, summary: str, verb: str = "write"
) -> HTTPRouteHandler:
    """`PATCH` some of a record's fields, conditional on `If-Match`."""
    headers = [ETAG]
    responses = UPDATE_PROBLEMS
    return guarded(
        patch,
        path,
        operation_id,
        policy,
        verb,
        summary=summary,
        responses=responses,
        response_headers=headers,
    )


def archive_route(
    path: str, operation_id: str, policy: Policy, *, summary: str, verb: str = "write"
) -> HTTPRouteHandler:
    """`DELETE` a record: archive it (204), never destroy it."""
    return guarded(
        delete, path, operation_id, policy, verb, summary=summary, responses=ARCHIVE_PROBLEMS
    )
