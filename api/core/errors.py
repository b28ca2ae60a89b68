"""The domain's exceptions, and how REST turns them (and everything else) into problem+json."""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
    message: str = Field(description="What is wrong with it, for a human")
    code: str | None = Field(
        default=None,
        description="A stable name for the reason, where a change is refused for several "
        "(e.g. `prfaq_not_approved`)",
    )


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
    # A stable name for the reason, where a change is refused for several (a stage gate's).
    code: str | None = None

    def as_dict(self) -> dict[str, str]:
        """The JSON shape clients see."""
        shown = {"field": self.field, "message": self.message}
        return shown if self.code is None else {**shown, "code": self.code}


# The longest error detail sent back, in characters.
MAX_DETAIL = 500


class PizzaboxError(Exception):
    """Base of every error a service raises on purpose; never an HTTP exception.

    A kind of error says its HTTP status, GraphQL code and problem slug where it is declared:
    `class NotFound(PizzaboxError, status=404, code="NOT_FOUND", slug="not-found")`.
    """

    status: ClassVar[int] = 400
    code: ClassVar[str] = "BAD_USER_INPUT"
    slug: ClassVar[str] = "bad-request"

    def __init_subclass__(
        cls, *, status: int | None = None, code: str | None = None, slug: str | None = None
    ) -> None:
        super().__init_subclass__()
        cls.status = status or cls.status
        cls.code = code or cls.code
        cls.slug = slug or cls.slug

    def __init__(self, detail: str, errors: Sequence[FieldError] = ()) -> None:
        # A detail quotes what the client sent (a slug, a key): never all of a megabyte of it.
        if len(detail) > MAX_DETAIL:
            detail = detail[: MAX_DETAIL - 1] + "…"
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        # Response headers that belong with the error (`Accept-Post` on a 415, say).
        self.headers: dict[str, str] = {}


class InvalidInput(PizzaboxError, status=422, slug="invalid-input"):
    """Input that is well-formed but breaks a rule; names the field."""

    @classmethod
    def field(cls, field: str, message: str) -> "InvalidInput":
        """A single-field error, the common case."""
        return cls(f"{field}: {message}", [FieldError(field, message)])


class BadRequest(InvalidInput, status=400, slug="bad-request"):
    """Input that cannot be read at all: bad JSON, a cursor that is not ours."""


class NotFound(PizzaboxError, status=404, code="NOT_FOUND", slug="not-found"):
    """The record does not exist (or the caller may not know that it does)."""


class Conflict(PizzaboxError, status=409, code="CONFLICT", slug="conflict"):
    """A duplicate, or a change the record's state does not allow."""


class PreconditionFailed(PizzaboxError, status=412, code="CONFLICT", slug="precondition-failed"):
    """The record changed since the client read it (`If-Match` no longer matches)."""


class Unauthenticated(PizzaboxError, status=401, code="UNAUTHENTICATED", slug="unauthenticated"):
    """No usable credentials."""


class PermissionDenied(PizzaboxError, status=403, code="FORBIDDEN", slug="forbidden"):
    """A known caller without the right to do this."""


@dataclass(frozen=True)
class Problem:
    """What an error response says, before it is addressed to a request."""

    status: int
    slug: str
    detail: str
    errors: Sequence[Mapping[str, str]] = ()
    headers: Mapping[str, str] = field(default_factory=dict)


def problem_type(slug: str) -> str:
    """The stable `type` URI of a kind of problem."""
    return f"urn:pizzabox:problem:{slug}"


def _field_error(entry: Mapping[str, Any]) -> dict[str, str]:
    key = entry.get("key")
    source = entry.get("source")
    # Litestar names a missing request body after the handler's `data` argument.
    if key == "data" and source == "body":
        return {"field": "body", "message": "is required: send a JSON object"}
    name = str(key) if key else str(source or "body")
    return {"field": name, "message": str(entry.get("message", "is invalid"))}


def _validation_problem(exc: ValidationException) -> Problem:
    extra = exc.extra if isinstance(exc.extra, list) else []
    errors = [_field_error(entry) for entry in extra if isinstance(entry, Mapping)]
    # Body and parameter validation: the input was readable but wrong, so 422 names the fields;
    # a body that is not JSON at all has no fields and stays a plain 400.
    status = 422 if errors else 400
    if not errors:
        errors = [{"field": "body", "message": str(exc.detail)}]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return Problem(status, "invalid-input" if status == 422 else "bad-request", detail, errors)


def is_lock_timeout(exc: OperationalError) -> bool:
    """Whether the database gave up waiting for a lock (SQLite's busy timeout, or PostgreSQL's
    `lock_timeout`): the request did nothing wrong and may simply be sent again."""
    text = str(exc.orig).lower()
    return "database is locked" in text or "lock timeout" in text or "55p03" in text


def _too_deep(exc: RecursionError) -> bool:
    # JSON nested thousands of levels deep exhausts the parser (msgspec for REST: "while
    # deserializing"; the json module for GraphQL: "while decoding"): the client sent it.
    return any(word in str(exc) for word in ("deserializing", "decoding"))


def problem_of(exc: Exception) -> Problem:
    """The problem an exception is answered with; an unexpected one is logged and masked."""
    match exc:
        case PizzaboxError():
            headers = dict(exc.headers)
            if exc.status == 401:
                headers["WWW-Authenticate"] = 'Bearer realm="pizzabox"'
            errors = [error.as_dict() for error in exc.errors]
            return Problem(exc.status, exc.slug, exc.detail, errors, headers)
        case ValidationException():
            return _validation_problem(exc)
        case HTTPException():
            slug = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "-")
            return Problem(exc.status_code, slug, str(exc.detail), headers=exc.headers or {})
        case IntegrityError():
            # Services check uniqueness first; this catches the race between two instances.
            logger.info("integrity error mapped to 409: %s", exc.orig)
            return problem_of(
                Conflict(
                    "the change conflicts with another record (a duplicate or a missing reference)"
                )
            )
        case DataError():
            # The database refused a value the API let through (PostgreSQL cannot store NUL in
            # text, for one): the input is at fault, so say so instead of answering 500.
            logger.info("data error mapped to 422: %s", exc.orig)
            stored = "a value cannot be stored or compared (for example, it holds a NUL character)"
            unstorable = FieldError("input", "holds a value the database cannot store")
            return problem_of(InvalidInput(stored, [unstorable]))
        case StaleDataError():
            return problem_of(
                PreconditionFailed(
                    "the record was changed by someone else; read it again and retry"
                )
            )
        case OperationalError() if is_lock_timeout(exc):
            logger.warning("database lock wait timed out")
            return Problem(
                503,
                "service-unavailable",
                "the database is busy with other writes; retry after Retry-After seconds",
                headers={"Retry-After": "1"},
            )
        case RecursionError() if _too_deep(exc):
            too_deep = FieldError("body", "is nested too deeply")
            return problem_of(BadRequest("the JSON body is nested too deeply", [too_deep]))
    logger.error("unhandled error", exc_info=exc)
    return Problem(
        500,
        "internal-error",
        "an unexpected error occurred; quote the request id when reporting it",
    )


# Not Litestar's `ProblemDetailsPlugin` (2.25), which cannot write these bodies: it turns an
# exception into a `ProblemDetailsException` with a function of the exception alone, and the
# handler it registers calls that exception's `to_response(request)`, which writes only the
# exception's own fields (passing by `ProblemDetailsConfig.exception_handler`). So `instance`
# (the request's path) and `request_id` could come only from overriding `to_response`, the part
# of the plugin we would use. Its mapping of every `HTTPException` puts the detail in `title`
# and leaves `type` out, and no handler of it can answer a refused /graphql request in GraphQL's
# shape. Adopting it would remove none of this code and add a layer to it.
def problem_response(request: Request[Any, Any, Any], problem: Problem) -> Response[Any]:
    """The RFC 9457 problem document that answers `request`."""
    body: dict[str, Any] = {
        "type": problem_type(problem.slug),
        "title": HTTPStatus(problem.status).phrase,
        "status": problem.status,
        "detail": problem.detail,
        "instance": request.scope["path"],
        "request_id": request_id_of(request.scope),
    }
    if problem.errors:
        body["errors"] = list(problem.errors)
    return Response(
        body, status_code=problem.status, media_type=PROBLEM_JSON, headers=dict(problem.headers)
    )


def answer_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Litestar's exception handler for every exception: a problem document."""
    problem = problem_of(exc)
    if isinstance(exc, PizzaboxError) and request.scope["path"].rstrip("/") == "/graphql":
        # Refused before GraphQL ran (no or bad token): answer in GraphQL's own shape, so a
        # GraphQL client reads `extensions.code` as it does for every other error.
        body = {"data": None, "errors": [{"message": exc.detail, "extensions": {"code": exc.code}}]}
        return Response(body, status_code=problem.status, headers=dict(problem.headers))
    return problem_response(request, problem)


# Litestar picks a handler by the exception's class; `problem_of` does the picking instead.
exception_handlers: ExceptionHandlersMap = {Exception: answer_error}
