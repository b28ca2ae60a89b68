"""Assembles the domains' GraphQL types into one schema, and mounts it at /graphql."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

import strawberry
from graphql import GraphQLError
from litestar import Controller
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.litestar import make_graphql_controller
from strawberry.types import ExecutionContext

from api.audit.graphql import AuditQuery
from api.audit.loaders import HistoryKey, history_count_loader, history_loader
from api.audit.models import AuditEvent
from api.core.access import (
    AUTHENTICATION,
    Authentication,
    PrincipalDep,
    principal_of,
)
from api.core.config import Settings
from api.core.db import WRITE_INTENT_OPT, SessionDep
from api.core.errors import Unauthenticated
from api.core.graphql import (
    BeginTransaction,
    Context,
    DomainErrors,
    RefuseUnstorableText,
    RequireOperationName,
)
from api.core.pagination import Window
from api.core.request_body import loads_once
from api.identity.graphql import IdentityQuery
from api.people.graphql import PeopleMutation, PeopleQuery
from api.people.loaders import person_loader
from api.people.models import Person
from api.products.graphql import ProductsMutation, ProductsQuery
from api.products.loaders import ChangesKey, changes_loader, team_products_loader
from api.products.models import Product, ProductChange
from api.teams.graphql import TeamsMutation, TeamsQuery
from api.teams.health.graphql import RosterMutation, RosterQuery
from api.teams.health.loaders import HealthKey, health_history_loader, team_health_loader
from api.teams.health.schemas import HealthPoint, TeamHealth
from api.teams.loaders import RosterKey, person_memberships_loader, roster_loader, team_loader
from api.teams.models import Membership, Team


@dataclass
class Loaders:
    """Every DataLoader, created fresh for each request so nothing is cached across callers."""

    session: AsyncSession
    person: DataLoader[uuid.UUID, Person] = field(init=False)
    team: DataLoader[uuid.UUID, Team] = field(init=False)
    roster: DataLoader[RosterKey, list[Membership]] = field(init=False)
    memberships_by_person: DataLoader[uuid.UUID, list[Membership]] = field(init=False)
    products_by_team: DataLoader[uuid.UUID, list[Product]] = field(init=False)
    changes: DataLoader[ChangesKey, list[ProductChange]] = field(init=False)
    team_health: DataLoader[HealthKey, TeamHealth] = field(init=False)
    health_history: DataLoader[uuid.UUID, list[HealthPoint]] = field(init=False)
    history: DataLoader[HistoryKey, Window[AuditEvent]] = field(init=False)
    history_count: DataLoader[uuid.UUID, int] = field(init=False)

    def __post_init__(self) -> None:
        self.person = person_loader(self.session)
        self.team = team_loader(self.session)
        self.roster = roster_loader(self.session)
        self.memberships_by_person = person_memberships_loader(self.session)
        self.products_by_team = team_products_loader(self.session)
        self.changes = changes_loader(self.session)
        self.team_health = team_health_loader(self.session)
        self.health_history = health_history_loader(self.session)
        self.history = history_loader(self.session)
        self.history_count = history_count_loader(self.session)


@strawberry.type
class Query(ProductsQuery, TeamsQuery, PeopleQuery, RosterQuery, IdentityQuery, AuditQuery):
    """Everything a portal can read.

    Root fields and relations that can fail on their own (a role that may not follow them, a bad
    argument) are nullable: the error then nulls that field alone. A failure that propagated to
    a non-null parent would make graphql-core cancel the sibling resolvers mid-query, leaving
    the request's database connection unusable.
    """


@strawberry.type
class Mutation(ProductsMutation, TeamsMutation, PeopleMutation, RosterMutation):
    """Every change a portal can make; each takes an `input` and returns the changed record.

    Results are nullable so a failed mutation nulls only its own field: the mutations after it
    still run, and a client still sees the ones before it that succeeded.
    """


class PizzaboxSchema(strawberry.Schema):
    """A schema that logs only unexpected errors; a client's mistake is not the server's."""

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
        RefuseUnstorableText,
        RequireOperationName,
        BeginTransaction,
        partial(DomainErrors, hide_suggestions=not settings.graphql_introspection),
    ]
    if not settings.graphql_introspection:
        extensions.append(DisableIntrospection)
    return PizzaboxSchema(query=Query, mutation=Mutation, extensions=extensions)


# The schema as clients see it (extensions do not change the SDL); `export-schema` prints this.
schema = build_schema()


async def provide_context(session: SessionDep, principal: PrincipalDep) -> Context:
    """The per-request context: the request's session, its caller, and fresh DataLoaders."""
    return Context(session=session, principal=principal, loaders=Loaders(session))


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

        def decode_json(self, data: str | bytes) -> object:
            # GET's `variables` are JSON too: a key given twice is a 400 there as in a body.
            return loads_once(data)

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
