"""Assembles the domains' GraphQL root fields into one schema, and mounts it at /graphql."""

import uuid
from collections.abc import AsyncGenerator, Callable
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar

import msgspec
import strawberry
from graphql import GraphQLError
from litestar import Controller
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.litestar import make_graphql_controller
from strawberry.schema.types.base_scalars import DateTimeDefinition, UUIDDefinition
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext
from strawberry.types.scalar import ScalarDefinition

from api.consoles import offline_graphiql
from api.core.access import AUTHENTICATION, Authentication, PrincipalDep, principal_of
from api.core.config import Settings
from api.core.db import WRITE_INTENT_OPT, SessionDep
from api.core.errors import Unauthenticated
from api.core.graphql import Context, Loaders
from api.core.graphql_guards import (
    BeginTransaction,
    DomainErrors,
    RefuseUnstorableText,
    RequireOperationName,
    ReuseValidDocuments,
    ValidDocuments,
    once_per_document,
)
from api.core.graphql_resolvers import lean_resolvers
from api.core.metrics import GraphQLOperationMetrics
from api.core.request_body import loads_once
from api.domains import DOMAINS

# Root fields that can fail on their own (a role that may not follow them, a bad argument) are
# nullable: the error then nulls that field alone. A failure that propagated to a non-null parent
# would make graphql-core cancel the sibling resolvers mid-query, leaving the request's database
# connection unusable. Mutations take an `input` and return the changed record, nullable for the
# same reason: a failed mutation nulls only its own field, and the ones after it still run.
Query = merge_types("Query", tuple(query for domain in DOMAINS for query in domain.queries))
Query.__strawberry_definition__.description = (  # type: ignore[attr-defined]
    "What a caller may read: records by key, lists as connections, and the caller itself."
)
Mutation = merge_types(
    "Mutation", tuple(mutation for domain in DOMAINS for mutation in domain.mutations)
)
Mutation.__strawberry_definition__.description = (  # type: ignore[attr-defined]
    "Changes: each takes an `input` and answers the changed record (null, with an error, "
    "when it failed; a failed mutation changes nothing)."
)


def _utc(value: datetime) -> str:
    # As REST writes times (pydantic): RFC 3339 in UTC, with `Z` rather than `+00:00`.
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# Strawberry's own scalars, described, and DateTime written as REST writes it.
SCALARS: dict[object, ScalarDefinition] = {
    datetime: replace(
        DateTimeDefinition,
        serialize=_utc,
        description="An instant, RFC 3339 in UTC (`2026-03-01T09:30:00Z`); sent with any offset.",
    ),
    uuid.UUID: replace(UUIDDefinition, description="A record's id, as a UUID string."),
}


class PizzaboxSchema(strawberry.Schema):
    """A schema that logs only unexpected errors (a client's mistake is not the server's), and
    resolves its fields guarded by `Requires` alone with lean resolvers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lean_resolvers(self)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # DomainErrors has already logged and masked unexpected errors; the rest are expected.
        return None


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema, with limits that refuse abusive queries before any resolver runs."""
    # Without settings, the defaults and never the environment: the SDL does not depend on the
    # limits, and a module that reads the environment on import cannot report a bad value well.
    settings = settings or Settings.model_construct()
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        partial(QueryDepthLimiter, max_depth=settings.graphql_max_depth),
        partial(MaxAliasesLimiter, max_alias_count=settings.graphql_max_aliases),
        partial(MaxTokensLimiter, max_token_count=settings.graphql_max_tokens),
        partial(
            AddValidationRules,
            [once_per_document(*(name for domain in DOMAINS for name in domain.once_per_document))],
        ),
        # After the limits, whose rules the valid documents passed.
        partial(ReuseValidDocuments, ValidDocuments(size=128)),
        RefuseUnstorableText,
        RequireOperationName,
        BeginTransaction,
        partial(DomainErrors, hide_suggestions=not settings.graphql_introspection),
    ]
    if not settings.graphql_introspection:
        extensions.append(DisableIntrospection)
    if settings.metrics:
        extensions.insert(0, GraphQLOperationMetrics)
    return PizzaboxSchema(
        query=Query, mutation=Mutation, extensions=extensions, scalar_overrides=SCALARS
    )


# The schema as clients see it (extensions do not change the SDL); `export-schema` prints this.
schema = build_schema()


async def provide_context(
    session: SessionDep, principal: PrincipalDep
) -> AsyncGenerator[Context, None]:
    """The per-request context: the request's session, its caller, and fresh DataLoaders,
    emptied once the request is answered."""
    loaders = Loaders(session, principal)
    try:
        yield Context(session=session, principal=principal, loaders=loaders)
    finally:
        loaders.close()


def graphql_controller(settings: Settings) -> type[Controller]:
    """The /graphql endpoint: POST and GET queries, GraphiQL for browsers on GET."""
    base: Any = make_graphql_controller(
        build_schema(settings),
        path="/graphql",
        context_getter=provide_context,
        graphql_ide="graphiql",
    )

    class GraphQLController(base):  # type: ignore[misc]
        """Strawberry's controller, refusing every operation from a caller without a token.

        The decision is taken where the view has read the request (GET or POST, decoded
        parameters, whatever the path looked like) and committed to running an operation rather
        than serving the GraphiQL page, so no spelling of a request runs one anonymously, and
        an anonymous caller learns nothing about the schema, not even from a parse error.
        """

        # The page is open; the middleware reads a token when one is sent (a bad one is 401).
        opt: ClassVar[dict[str, Any]] = {
            AUTHENTICATION: Authentication.OPTIONAL.value,
            # A query only reads; `mutation()` makes the transaction a writer when one runs.
            WRITE_INTENT_OPT: False,
        }
        # GraphQL documents itself (schema/schema.graphql, introspection); as REST operations
        # in OpenAPI it only confused generated clients.
        include_in_schema = False
        # No subscriptions, so no WebSocket route: it would run queries (graphql-transport-ws
        # allows them) where the authentication middleware, which reads HTTP, never looks.
        websocket_endpoint = None

        @property
        def graphql_ide_html(self) -> str:
            # Strawberry's page loads GraphiQL from unpkg.com; the same files are served here.
            return offline_graphiql(super().graphql_ide_html)

        def decode_json(self, data: str | bytes) -> object:
            # GET's `variables` are JSON too: a key given twice is a 400 there as in a body.
            return loads_once(data)

        def encode_json(self, data: object) -> bytes:
            # msgspec, as Litestar encodes REST answers, not the json module: a few times faster
            # on an answer of thousands of objects.
            return msgspec.json.encode(data)

        async def parse_http_body(self, request: Any) -> Any:
            # Strawberry reads the body (or the GET parameters) right after deciding the request
            # is not one for the GraphiQL page: from here on it is an operation, or a batch, or
            # garbage, and none of them is for a caller without a token.
            principal = principal_of(request.request)
            if not principal.authenticated:
                raise Unauthenticated(
                    "a valid API token is required: send `Authorization: Bearer pzb_…`"
                )
            return await super().parse_http_body(request)

    return GraphQLController
