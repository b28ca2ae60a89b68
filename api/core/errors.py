"""The domain's exceptions, and how REST turns them (and everything else) into problem+json."""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from api.core.middleware import request_id_of

logger = logging.getLogger("api")

PROBLEM_JSON = "application/problem+json"


class FieldProblem(BaseModel):
    """What is wrong with one input field (a body field, or a query, path or header parameter)."""

    field: str = Field(description="The field or parameter, dotted for nested body fields")
    message: str


class ProblemDetails(BaseModel):
    """An RFC 9457 problem document, the body of every error response."""

    type: str = Field(description="URI of the kind of problem, e.g. urn:pizzabox:problem:conflict")
    title: str = Field(description="The HTTP status phrase")
    status: int = Field(description="The HTTP status code")
    detail: str = Field(description="What went wrong, for a human")
    instance: str = Field(description="The request path")
    request_id: str = Field(description="The request's X-Request-ID; quote it when reporting")
    errors: list[FieldProblem] = Field(
        default_factory=list, description="One entry per bad field; present only for bad input"
    )


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """The JSON shape clients see."""
        return {"field": self.field, "message": self.message}


class PizzaboxError(Exception):
    """Base of every error a service raises on purpose; never an HTTP exception."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "BAD_USER_INPUT"
    slug: ClassVar[str] = "bad-request"

    def __init__(self, detail: str, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        # Response headers that belong with the error (`Accept-Post` on a 415, say).
        self.headers: dict[str, str] = {}


class InvalidInput(PizzaboxError):
    """Input that is well-formed but breaks a rule; names the field."""

    status = 422
    slug = "invalid-input"

    @classmethod
    def field(cls, field: str, message: str) -> "InvalidInput":
        """A single-field error, the common case."""
        return cls(f"{field}: {message}", [FieldError(field, message)])


class BadRequest(InvalidInput):
    """Input that cannot be read at all: bad JSON, a cursor that is not ours."""

    status = 400
    slug = "bad-request"


class NotFound(PizzaboxError):
    """The record does not exist (or the caller may not know that it does)."""

    status = 404
    code = "NOT_FOUND"
    slug = "not-found"


class Conflict(PizzaboxError):
    """A duplicate, or a change the record's state does not allow."""

    status = 409
    code = "CONFLICT"
    slug = "conflict"


class PreconditionFailed(PizzaboxError):
    """The record changed since the client read it (`If-Match` no longer matches)."""

    status = 412
    code = "CONFLICT"
    slug = "precondition-failed"


class Unauthenticated(PizzaboxError):
    """No usable credentials."""

    status = 401
    code = "UNAUTHENTICATED"
    slug = "unauthenticated"


class PermissionDenied(PizzaboxError):
    """A known caller without the right to do this."""

    status = 403
    code = "FORBIDDEN"
    slug = "forbidden"


def problem_type(slug: str) -> str:
    """The stable `type` URI of a kind of problem."""
    return f"urn:pizzabox:problem:{slug}"


def problem_response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    slug: str,
    detail: str,
    errors: Sequence[Mapping[str, str]] = (),
    headers: Mapping[str, str] | None = None,
) -> Response[dict[str, Any]]:
    """An RFC 9457 problem document."""
    body: dict[str, Any] = {
        "type": problem_type(slug),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.scope["path"],
        "request_id": request_id_of(request.scope),
    }
    if errors:
        body["errors"] = list(errors)
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _domain_error(request: Request[Any, Any, Any], exc: PizzaboxError) -> Response[Any]:
    headers = dict(exc.headers)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="pizzabox"'
    if request.scope["path"].rstrip("/") == "/graphql":
        # Refused before GraphQL ran (no or bad token): answer in GraphQL's own shape, so a
        # GraphQL client reads `extensions.code` as it does for every other error.
        body = {"data": None, "errors": [{"message": exc.detail, "extensions": {"code": exc.code}}]}
        return Response(body, status_code=exc.status, headers=headers)
    return problem_response(
        request,
        status=exc.status,
        slug=exc.slug,
        detail=exc.detail,
        errors=[error.as_dict() for error in exc.errors],
        headers=headers,
    )


def _field_error(entry: Mapping[str, Any]) -> dict[str, str]:
    key = entry.get("key")
    source = entry.get("source")
    # Litestar names a missing request body after the handler's `data` argument.
    if key == "data" and source == "body":
        return {"field": "body", "message": "is required: send a JSON object"}
    field = str(key) if key else str(source or "body")
    return {"field": field, "message": str(entry.get("message", "is invalid"))}


def _validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    errors = [_field_error(entry) for entry in extra if isinstance(entry, Mapping)]
    # Body and parameter validation: the input was readable but wrong, so 422 names the fields;
    # a body that is not JSON at all has no fields and stays a plain 400.
    status = 422 if errors else 400
    if not errors:
        errors = [{"field": "body", "message": str(exc.detail)}]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem_response(
        request,
        status=status,
        slug="invalid-input" if status == 422 else "bad-request",
        detail=detail,
        errors=errors,
    )


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    slug = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "-")
    return problem_response(
        request, status=exc.status_code, slug=slug, detail=str(exc.detail), headers=exc.headers
    )


def _integrity_error(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    # Services check uniqueness first; this catches the race between two instances.
    logger.info("integrity error mapped to 409: %s", exc.orig)
    return problem_response(
        request,
        status=409,
        slug="conflict",
        detail="the change conflicts with another record (a duplicate or a missing reference)",
    )


def _data_error(request: Request[Any, Any, Any], exc: DataError) -> Response[Any]:
    # The database refused a value the API let through (PostgreSQL cannot store NUL in text,
    # for one): the input is at fault, so say so instead of answering 500.
    logger.info("data error mapped to 422: %s", exc.orig)
    return problem_response(
        request,
        status=422,
        slug="invalid-input",
        detail="a value cannot be stored or compared (for example, it holds a NUL character)",
        errors=[{"field": "input", "message": "holds a value the database cannot store"}],
    )


def is_lock_timeout(exc: OperationalError) -> bool:
    """Whether the database gave up waiting for a lock (SQLite's busy timeout, or PostgreSQL's
    `lock_timeout`): the request did nothing wrong and may simply be sent again."""
    text = str(exc.orig).lower()
    return "database is locked" in text or "lock timeout" in text or "55p03" in text


def _operational_error(request: Request[Any, Any, Any], exc: OperationalError) -> Response[Any]:
    if not is_lock_timeout(exc):
        return _unexpected_error(request, exc)
    logger.warning("database lock wait timed out")
    return problem_response(
        request,
        status=503,
        slug="service-unavailable",
        detail="the database is busy with other writes; retry after Retry-After seconds",
        headers={"Retry-After": "1"},
    )


def _stale_error(request: Request[Any, Any, Any], exc: StaleDataError) -> Response[Any]:
    return problem_response(
        request,
        status=412,
        slug="precondition-failed",
        detail="the record was changed by someone else; read it again and retry",
    )


def _recursion_error(request: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    # JSON nested thousands of levels deep exhausts the parser (msgspec for REST: "while
    # deserializing"; the json module for GraphQL: "while decoding"): the client sent it, a 400.
    if any(word in str(exc) for word in ("deserializing", "decoding")):
        return problem_response(
            request,
            status=400,
            slug="bad-request",
            detail="the JSON body is nested too deeply",
            errors=[{"field": "body", "message": "is nested too deeply"}],
        )
    return _unexpected_error(request, exc)


def _unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    # The line carries the request id (`api.core.logs`), as every line logged for a request does.
    logger.exception("unhandled error")
    return problem_response(
        request,
        status=500,
        slug="internal-error",
        detail="an unexpected error occurred; quote the request id when reporting it",
    )


exception_handlers: ExceptionHandlersMap = {
    PizzaboxError: _domain_error,
    ValidationException: _validation_error,
    HTTPException: _http_error,
    IntegrityError: _integrity_error,
    DataError: _data_error,
    StaleDataError: _stale_error,
    OperationalError: _operational_error,
    RecursionError: _recursion_error,
    Exception: _unexpected_error,
}
