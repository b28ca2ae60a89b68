"""Who may do what: every REST route and GraphQL root field, walked as every role on records the
caller owns and on records it does not, against the role table; and every one refuses a missing
or bad token. The record-level rules have their own files (test_contributor_scope.py,
test_ci_scope.py)."""

import json
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLUnionType,
    build_schema,
    get_named_type,
    is_required_argument,
    is_required_input_field,
)
from litestar import Litestar
from litestar.routes import HTTPRoute
from sqlalchemy import update
from sqlmodel import col
from strawberry.types.base import StrawberryObjectDefinition

from api.core.access import Role
from api.core.graphql import Requires
from api.core.policy import Policy, route_permission
from api.graphql_schema import schema
from api.identity.models import ApiToken
from api.identity.secrets import token_lookup
from tests.factories import unique
from tests.helpers import API, Client, assert_problem, bearer, list_all, seeding
from tests.identity.world import Scope, World, build_world, new_person

# Actions whose record-level check limits contributors to their own teams (see `authorize`).
# The rules the roles table (docs/concepts/access.md) promises, restated here so the walks check
# the policies (api/*/policy.py) instead of reading them back.
_VIEWER = frozenset(
    {
        "self:read",
        "person:read",
        "team:read",
        "product:read",
        "history:read",
        "prfaq:read",
        "document-settings:read",
        "checkpoint-kind:read",
        "checkpoint:read",
        "readiness:read",
        "portfolio:read",
    }
)
_CONTRIBUTOR = _VIEWER | {
    "team:create",
    "team:write",
    "product:create",
    "product:write",
    "prfaq:write",
    "prfaq:review",
    "security-faq:read",
    "security-faq:write",
    "checkpoint:record",
    # The route lets them; the service then asks for the kind's reviewer role (or admin).
    "checkpoint:sign-off",
    "checkpoint:waive",
    "finding:read",
    "finding:record",
    "finding:triage",
}
_SECURITY_REVIEWER = _CONTRIBUTOR | {
    "sensitive:read",
    "security:sign-off",
    "audit:read",
    "security-faq:review",
    "finding:accept-risk",
}
ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.VIEWER: _VIEWER,
    Role.CONTRIBUTOR: _CONTRIBUTOR,
    Role.SECURITY_REVIEWER: _SECURITY_REVIEWER,
    Role.ADMIN: _SECURITY_REVIEWER
    | {
        "person:write",
        "token:manage",
        "settings:manage",
        "size-exception:grant",
        "document-settings:manage",
        "checkpoint-kind:manage",
    },
    Role.CI: frozenset(
        {
            "self:read",
            "product:read",
            "prfaq:read",
            "checkpoint-kind:read",
            "checkpoint:read",
            "checkpoint:record",
            "finding:read",
            "finding:record",
            "readiness:read",
            "portfolio:read",
        }
    ),
}
# Roles limited to their person's teams, and the permissions that limit applies to.
TEAM_SCOPED = frozenset({Role.CONTRIBUTOR, Role.SECURITY_REVIEWER})
TEAM_SCOPED_ACTIONS = frozenset(
    {
        "team:write",
        "product:create",
        "product:write",
        "prfaq:write",
        "security-faq:write",
        "checkpoint:record",
    }
)
# Roles limited to the products their token lists.
PRODUCT_SCOPED = frozenset({Role.CI})


def _action(permission: tuple[Policy, str] | None) -> str | None:
    return permission[0].action(permission[1]) if permission else None


BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


# REST routes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """One method of one registered route under /api/v1."""

    method: str
    path: str
    operation_id: str
    action: str | None

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.operation_id})"


def api_endpoints(app: Litestar) -> list[Endpoint]:
    """Every method of every route the app registered under /api/v1."""
    endpoints: list[Endpoint] = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(f"{API}/"):
            continue
        for handler in route.route_handlers:
            operation_id = handler.operation_id
            for method in sorted(handler.http_methods):
                # Litestar answers OPTIONS itself (CORS preflight); it reads and changes nothing.
                if method == "OPTIONS":
                    continue
                endpoints.append(
                    Endpoint(
                        method=method,
                        path=route.path,
                        operation_id=operation_id
                        if isinstance(operation_id, str)
                        else handler.handler_name,
                        action=_action(route_permission(handler)),
                    )
                )
    return endpoints


_PATH_PARAMETER = re.compile(r"\{(\w+):(\w+)\}")


def fill_path(path: str, world: World, scope: Scope) -> str:
    """The path with each parameter set to a real record of the scope, by the segment naming it."""

    def value(match: re.Match[str]) -> str:
        segment = path[: match.start()].rstrip("/").rsplit("/", 1)[-1]
        records = {
            "teams": scope.team,
            "products": scope.product,
            "members": scope.member_id,
            "people": world.subject_id,
            "tokens": world.token_id,
        }
        if segment in records:
            return records[segment]
        # A route added after this walker: a well-formed value it will not find (404 is fine).
        return {"uuid": str(uuid.uuid4()), "int": "1"}.get(match.group(2), "unknown")

    return _PATH_PARAMETER.sub(value, path)


# Valid bodies, so an allowed call gets as far as the record-level checks.
BODIES: dict[str, Callable[[World, Scope], dict[str, Any]]] = {
    "createPerson": lambda world, scope: new_person(),
    "updatePerson": lambda world, scope: {"name": "Renamed by the walker"},
    "createTeam": lambda world, scope: {"slug": unique("walked"), "name": "Walked", "org": "x"},
    "updateTeam": lambda world, scope: {"mission": "Changed by the walker"},
    "addTeamMember": lambda world, scope: {"person_id": world.newcomer_id, "role": "engineer"},
    "updateTeamMember": lambda world, scope: {"allocation_percent": 50},
    "createProduct": lambda world, scope: {
        "slug": unique("walked"),
        "name": "Walked",
        "summary": "Made by the walker",
        "team": scope.team,
        "data_classification": "internal",
    },
    "updateProduct": lambda world, scope: {"summary": "Changed by the walker"},
    "createToken": lambda world, scope: {"name": "walker", "role": "viewer"},
    "savePrfaqRevision": lambda world, scope: {"headline": "Written by the walker"},
    "saveSecurityFaqRevision": lambda world, scope: {"answers": []},
}


def expected_outcome(role: Role, action: str, *, touches_product: bool, foreign: bool) -> str:
    """What the rules promise: `forbidden` (403), `not_found` (404) or `allowed`."""
    if action not in ROLE_PERMISSIONS[role]:
        return "forbidden"
    if foreign and role in PRODUCT_SCOPED and touches_product:
        return "not_found"
    if foreign and role in TEAM_SCOPED and action in TEAM_SCOPED_ACTIONS:
        return "forbidden"
    return "allowed"


def rest_mismatch(response: httpx.Response, outcome: str) -> str | None:
    """Why a response breaks the promised outcome, or None when it keeps it."""
    status = response.status_code
    if status >= 500:
        return f"server error {status}: {response.text[:200]}"
    if outcome == "forbidden":
        if status != 403 or not response.headers["content-type"].startswith(
            "application/problem+json"
        ):
            return f"expected a 403 problem, got {status}: {response.text[:200]}"
    elif outcome == "not_found":
        if status != 404:
            return f"expected 404, got {status}: {response.text[:200]}"
    elif status in (401, 403):
        return f"expected the call to be allowed, got {status}: {response.text[:200]}"
    return None


def test_every_rest_route_declares_its_action(app: Litestar) -> None:
    endpoints = api_endpoints(app)
    # The walker must see the routes it is meant to walk, or every check below passes vacuously.
    operations = {endpoint.operation_id for endpoint in endpoints}
    assert {"createProduct", "updateTeam", "addTeamMember", "createToken", "getMe"} <= operations
    unguarded = [str(endpoint) for endpoint in endpoints if endpoint.action is None]
    assert not unguarded, f"routes without an allow(...) guard: {unguarded}"


async def walk_rest(app: Litestar, client: Client, world: World, role: Role) -> list[str]:
    """Call every REST route as `role`, on own records then on foreign ones; the mismatches."""
    headers = bearer(world.tokens[role])
    failures: list[str] = []
    walked = 0
    for foreign, scope in ((False, world.own), (True, world.foreign)):
        for endpoint in api_endpoints(app):
            if endpoint.action is None:
                failures.append(f"{endpoint}: no allow(...) guard")
                continue
            body_of = BODIES.get(endpoint.operation_id)
            body = body_of(world, scope) if body_of else None
            if endpoint.method in BODY_METHODS and body is None:
                body = {}
            response = await client.request(
                endpoint.method, fill_path(endpoint.path, world, scope), json=body, headers=headers
            )
            walked += 1
            # Without a valid body, an allowed call stops at validation, before record checks.
            reaches_records = endpoint.method not in BODY_METHODS or body_of is not None
            outcome = expected_outcome(
                role,
                endpoint.action,
                touches_product="/products/{" in endpoint.path,
                foreign=foreign and reaches_records,
            )
            mismatch = rest_mismatch(response, outcome)
            if mismatch:
                where = "foreign" if foreign else "own"
                failures.append(f"{role} {endpoint} on {where} records: {mismatch}")
    assert walked >= 2 * 20
    return failures


async def _expired_token(app: Litestar, client: Client) -> str:
    created = await client.post(
        f"{API}/tokens",
        json={
            "name": "expiring",
            "role": "admin",
            "expires_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    secret: str = created.json()["token"]
    # Let a day pass: move the expiry into the past in the database.
    async with seeding(app) as session:
        await session.execute(
            update(ApiToken)
            .where(col(ApiToken.lookup) == token_lookup(secret))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()
    return secret


async def _revoked_token(client: Client) -> str:
    created = await client.post(f"{API}/tokens", json={"name": "revoked", "role": "admin"})
    assert created.status_code == 201, created.text
    assert (await client.delete(f"{API}/tokens/{created.json()['id']}")).status_code == 204
    secret: str = created.json()["token"]
    return secret


async def _bad_credentials(app: Litestar, client: Client, world: World) -> dict[str, str | None]:
    admin = world.tokens[Role.ADMIN]
    return {
        "no header": None,
        "empty header": "",
        "basic scheme": "Basic YWRtaW46YWRtaW4=",
        "token without scheme": admin,
        "scheme without token": "Bearer",
        "not a pizzabox token": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln",
        "unknown token": "Bearer " + "pzb_" + secrets.token_urlsafe(32),
        "tampered token": "Bearer "
        + admin[:-4]
        + ("AAAA" if not admin.endswith("AAAA") else "BBBB"),
        "expired token": "Bearer " + await _expired_token(app, client),
        "revoked token": "Bearer " + await _revoked_token(client),
    }


async def walk_rest_refusals(
    app: Litestar, anonymous: Client, world: World, credentials: dict[str, str | None]
) -> list[str]:
    """Call every REST route with each bad credential; the calls that were not refused."""
    failures: list[str] = []
    for endpoint in api_endpoints(app):
        path = fill_path(endpoint.path, world, world.own)
        body = (
            BODIES[endpoint.operation_id](world, world.own)
            if endpoint.operation_id in BODIES
            else None
        )
        for label, header in credentials.items():
            headers = {} if header is None else {"Authorization": header}
            response = await anonymous.request(endpoint.method, path, json=body, headers=headers)
            if response.status_code != 401:
                failures.append(f"{endpoint} with {label}: {response.status_code}")
                continue
            problem = assert_problem(response, 401)
            if not {"token", "authorization"} & set(re.findall(r"\w+", problem["detail"].lower())):
                failures.append(f"{endpoint} with {label}: unclear detail {problem['detail']!r}")
            if not response.headers.get("www-authenticate", "").startswith("Bearer"):
                failures.append(f"{endpoint} with {label}: no WWW-Authenticate: Bearer header")
    return failures


# GraphQL root fields ----------------------------------------------------------------------

SDL = build_schema(str(schema))


@dataclass(frozen=True)
class RootField:
    """A field of Query or Mutation, with the action its `Requires` extension checks."""

    operation: str
    name: str
    action: str | None

    def __str__(self) -> str:
        return f"{self.operation} {self.name}"


def graphql_root_fields() -> list[RootField]:
    """Every root field of the schema the app serves."""
    fields: list[RootField] = []
    for operation, type_name in (("query", "Query"), ("mutation", "Mutation")):
        definition = schema.get_type_by_name(type_name)
        assert isinstance(definition, StrawberryObjectDefinition)
        for field in definition.fields:
            actions = [
                ext.policy.action(ext.verb) for ext in field.extensions if isinstance(ext, Requires)
            ]
            fields.append(
                RootField(
                    operation=operation,
                    name=schema.config.name_converter.get_graphql_name(field),
                    action=actions[0] if actions else None,
                )
            )
    return fields


_SCALAR_SAMPLES: dict[str, Any] = {
    "String": "x",
    "ID": "x",
    "Int": 1,
    "Float": 1.0,
    "Boolean": False,
    "UUID": "00000000-0000-4000-8000-000000000000",
    "Date": "2030-01-01",
    "DateTime": "2030-01-01T00:00:00+00:00",
    "JSON": {},
}
# Optional arguments a field needs all the same (`person` takes exactly one of id and email).
_EXTRA_ARGUMENTS = {"person": ("id",)}


@dataclass
class Document:
    """A minimal document for one root field, aimed at the records of a scope."""

    text: str
    touches_product: bool = False


def _known_value(name: str, field: str, world: World, scope: Scope, doc: Document) -> Any:
    lowered = field.lower()
    if name == "slug":
        if lowered.startswith("create"):
            return unique("gql-walked")
        if "product" in lowered:
            doc.touches_product = True
            return scope.product
        if "team" in lowered:
            return scope.team
    if name == "team":
        return scope.team
    if name == "product":  # a document's product
        doc.touches_product = True
        return scope.product
    if name == "personId":
        return world.newcomer_id if field == "addTeamMember" else scope.member_id
    if name == "id":
        return world.subject_id
    if name == "email":
        return f"{unique('gql-walker')}@example.com"
    return None


def _literal(
    type_: GraphQLInputType, name: str, field: str, world: World, scope: Scope, doc: Document
) -> str:
    known = _known_value(name, field, world, scope, doc)
    if known is not None:
        return json.dumps(known)
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        return "[]"
    if isinstance(type_, GraphQLInputObjectType):
        parts = [
            f"{key}: {_literal(value.type, key, field, world, scope, doc)}"
            for key, value in type_.fields.items()
            if is_required_input_field(value)
        ]
        return "{" + ", ".join(parts) + "}"
    if isinstance(type_, GraphQLEnumType):
        return str(next(iter(type_.values)))
    return json.dumps(_SCALAR_SAMPLES[type_.name])


def graphql_document(root: RootField, world: World, scope: Scope) -> Document:
    """The smallest valid document that runs `root` against the scope's records."""
    root_type = SDL.query_type if root.operation == "query" else SDL.mutation_type
    assert root_type is not None
    field = root_type.fields[root.name]
    doc = Document(text="")
    arguments = [
        f"{name}: {_literal(argument.type, name, root.name, world, scope, doc)}"
        for name, argument in field.args.items()
        if is_required_argument(argument) or name in _EXTRA_ARGUMENTS.get(root.name, ())
    ]
    call = f"{root.name}({', '.join(arguments)})" if arguments else root.name
    returned = get_named_type(field.type)
    composite = (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType)
    selection = " { __typename }" if isinstance(returned, composite) else ""
    doc.text = f"{root.operation} {{ {call}{selection} }}"
    return doc


def graphql_mismatch(body: dict[str, Any], field: str, outcome: str) -> str | None:
    """Why a GraphQL answer breaks the promised outcome, or None when it keeps it."""
    data = body.get("data")
    if data is None or field not in data:
        # The document never ran: the walker built it wrong, so it would prove nothing.
        return f"the document did not execute: {body}"
    codes = {
        error.get("extensions", {}).get("code")
        for error in body.get("errors", [])
        if error.get("path", [None])[0] == field
    }
    if "INTERNAL_SERVER_ERROR" in codes:
        return f"server error: {body}"
    wanted = {"forbidden": "FORBIDDEN", "not_found": "NOT_FOUND"}.get(outcome)
    if wanted is not None:
        if wanted not in codes or data[field] is not None:
            return f"expected {wanted}, got {body}"
    elif codes & {"FORBIDDEN", "UNAUTHENTICATED"}:
        return f"expected the field to be allowed, got {body}"
    return None


def test_every_graphql_root_field_declares_its_action() -> None:
    fields = graphql_root_fields()
    names = {field.name for field in fields}
    assert {"products", "viewer", "auditEvents", "createProduct", "addTeamMember"} <= names
    unguarded = [str(field) for field in fields if field.action is None]
    assert not unguarded, f"root fields without a Requires(...) extension: {unguarded}"


async def walk_graphql(client: Client, world: World, role: Role) -> list[str]:
    """Run every root field as `role`, on own records then on foreign ones; the mismatches."""
    headers = bearer(world.tokens[role])
    failures: list[str] = []
    for foreign, scope in ((False, world.own), (True, world.foreign)):
        for root in graphql_root_fields():
            if root.action is None:
                failures.append(f"{root}: no Requires(...) extension")
                continue
            doc = graphql_document(root, world, scope)
            response = await client.post("/graphql", json={"query": doc.text}, headers=headers)
            if response.status_code != 200:
                failures.append(f"{role} {root}: HTTP {response.status_code} {response.text}")
                continue
            outcome = expected_outcome(
                role, root.action, touches_product=doc.touches_product, foreign=foreign
            )
            mismatch = graphql_mismatch(response.json(), root.name, outcome)
            if mismatch:
                where = "foreign" if foreign else "own"
                failures.append(f"{role} {root} on {where} records: {mismatch}")
    return failures


async def walk_graphql_refusals(
    anonymous: Client, world: World, credentials: dict[str, str | None]
) -> list[str]:
    """Run every root field with each bad credential; the runs that were not refused."""
    failures: list[str] = []
    for root in graphql_root_fields():
        doc = graphql_document(root, world, world.own)
        for label, header in credentials.items():
            headers = {} if header is None else {"Authorization": header}
            response = await anonymous.post("/graphql", json={"query": doc.text}, headers=headers)
            body = response.json()
            codes = [error.get("extensions", {}).get("code") for error in body.get("errors", [])]
            if response.status_code != 401 or codes != ["UNAUTHENTICATED"]:
                failures.append(f"{root} with {label}: {response.status_code} {body}")
            elif body.get("data") is not None:
                failures.append(f"{root} with {label}: data despite the refusal: {body}")
            elif not response.headers.get("www-authenticate", "").startswith("Bearer"):
                failures.append(f"{root} with {label}: no WWW-Authenticate: Bearer header")
        if root.operation == "query":
            # Queries may also come by GET; only the GraphiQL page itself is open.
            by_get = await anonymous.get("/graphql", params={"query": doc.text})
            if by_get.status_code != 401:
                failures.append(f"{root} by GET without a token: {by_get.status_code}")
    return failures


@pytest.mark.parametrize("role", list(Role))
async def test_every_route_and_field_follows_the_role_table(
    app: Litestar, client: Client, role: Role
) -> None:
    # One world for both walks: what the REST calls change is still an allowed outcome for
    # GraphQL, and records the role may not touch are left as they were.
    world = await build_world(app, client)
    failures = await walk_rest(app, client, world, role)
    failures += await walk_graphql(client, world, role)
    assert not failures, "\n".join(failures)


async def test_every_route_and_field_refuses_missing_and_bad_tokens(
    app: Litestar, client: Client, anonymous: Client
) -> None:
    world = await build_world(app, client)
    credentials = await _bad_credentials(app, client, world)
    failures = await walk_rest_refusals(app, anonymous, world, credentials)
    failures += await walk_graphql_refusals(anonymous, world, credentials)
    assert not failures, "\n".join(failures)
    # Nothing the refused calls sent was stored: the own team still has its three members.
    members = await list_all(client, f"{API}/teams/{world.own.team}/members")
    assert len(members) == 3
