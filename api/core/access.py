"""Who is calling, and the one place that decides what they may do.

REST routes declare their action with the `allow(...)` guard, GraphQL fields with the
`Requires(...)` extension, and services add the record-level checks (a contributor's own teams,
a CI token's products) by calling `authorize` with the record's team or product. All of them end
up in `authorize` below.
"""

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler

from api.core.errors import NotFound, PermissionDenied, Unauthenticated


class Role(StrEnum):
    """What a token may do."""

    VIEWER = "viewer"
    CONTRIBUTOR = "contributor"
    SECURITY_REVIEWER = "security_reviewer"
    ADMIN = "admin"
    CI = "ci"


class Action(StrEnum):
    """Everything a caller can ask to do."""

    PERSON_READ = "person:read"
    PERSON_WRITE = "person:write"
    TEAM_READ = "team:read"
    TEAM_CREATE = "team:create"
    TEAM_WRITE = "team:write"
    PRODUCT_READ = "product:read"
    PRODUCT_CREATE = "product:create"
    PRODUCT_WRITE = "product:write"
    HISTORY_READ = "history:read"
    AUDIT_READ = "audit:read"
    SENSITIVE_READ = "sensitive:read"
    SECURITY_SIGN_OFF = "security:sign-off"
    TOKEN_MANAGE = "token:manage"
    SETTINGS_MANAGE = "settings:manage"
    SIZE_EXCEPTION_GRANT = "size-exception:grant"
    SELF_READ = "self:read"


_VIEWER = frozenset(
    {
        Action.SELF_READ,
        Action.PERSON_READ,
        Action.TEAM_READ,
        Action.PRODUCT_READ,
        Action.HISTORY_READ,
    }
)
_CONTRIBUTOR = _VIEWER | {
    Action.TEAM_CREATE,
    Action.TEAM_WRITE,
    Action.PRODUCT_CREATE,
    Action.PRODUCT_WRITE,
}
_SECURITY_REVIEWER = _CONTRIBUTOR | {
    Action.SENSITIVE_READ,
    Action.SECURITY_SIGN_OFF,
    Action.AUDIT_READ,
}

# The role table, in one place. Record-level limits (own teams, listed products) come on top.
ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.VIEWER: _VIEWER,
    Role.CONTRIBUTOR: _CONTRIBUTOR,
    Role.SECURITY_REVIEWER: _SECURITY_REVIEWER,
    Role.ADMIN: frozenset(Action),
    Role.CI: frozenset({Action.SELF_READ, Action.PRODUCT_READ}),
}

# Roles whose team and product changes are limited to the teams the person is on.
TEAM_SCOPED = frozenset({Role.CONTRIBUTOR, Role.SECURITY_REVIEWER})
# Roles that only ever see the products their token lists.
PRODUCT_SCOPED = frozenset({Role.CI})


@dataclass(frozen=True)
class Principal:
    """The caller of a request, as the rest of the code sees it."""

    name: str
    role: Role | None
    person_id: uuid.UUID | None = None
    person_email: str | None = None
    token_id: uuid.UUID | None = None
    token_lookup: str | None = None
    # The teams the person is on today: what a contributor may change.
    team_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    # The products a CI token is limited to.
    product_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    request_id: str | None = None

    @property
    def actor(self) -> str:
        """How history and the audit trail name this caller."""
        return self.person_email or self.name

    @property
    def authenticated(self) -> bool:
        """Whether the request carried a valid token."""
        return self.role is not None

    @property
    def actions(self) -> frozenset[Action]:
        """What the role allows, before record-level limits."""
        return ROLE_ACTIONS[self.role] if self.role else frozenset()

    def may(self, action: Action) -> bool:
        """Whether the role allows `action` at all."""
        return action in self.actions

    @property
    def sees_only_listed_products(self) -> bool:
        """A CI token: lists and reads are limited to its products."""
        return self.role in PRODUCT_SCOPED


# Why a token whose person was archived is refused; says why without saying who (it may have
# leaked).
ARCHIVED_PERSON = "the token's person has been archived, so the token no longer works"

# No token: may read only what is open to everyone (health, docs).
ANONYMOUS = Principal(name="anonymous", role=None)
# Work done by Pizzabox itself (migrations, the demo loader, the CLI).
SYSTEM = Principal(name="system", role=Role.ADMIN)


def authorize(
    principal: Principal,
    action: Action,
    *,
    team_id: uuid.UUID | None = None,
    product_id: uuid.UUID | None = None,
) -> None:
    """Raise unless `principal` may do `action` (on the given team or product, if any).

    - No token: 401. A role without the action: 403.
    - Contributors and security reviewers change only teams they are on today, and the products
      those teams own. A team nobody is on is no exception: its creator joins it as its lead
      when creating it, and after that only an admin staffs it.
    - A CI token reads only its products; any other product is "not found", so the token
      learns nothing about products it may not read.
    """
    if not principal.authenticated:
        raise Unauthenticated("a valid API token is required: send `Authorization: Bearer pzb_…`")
    if not principal.may(action):
        raise PermissionDenied(f"the {principal.role} role may not {action.value}")
    if (
        product_id is not None
        and principal.sees_only_listed_products
        and product_id not in principal.product_ids
    ):
        raise NotFound("no such product")
    if (
        team_id is not None
        and principal.role in TEAM_SCOPED
        and action in {Action.TEAM_WRITE, Action.PRODUCT_CREATE, Action.PRODUCT_WRITE}
        and team_id not in principal.team_ids
    ):
        raise PermissionDenied(
            "contributors change only the teams they are on, and those teams' products"
        )


# Tokens ------------------------------------------------------------------------------------

TOKEN_PREFIX = "pzb_"
LOOKUP_LENGTH = 16
_TOKEN_SHAPE = re.compile(r"^pzb_[A-Za-z0-9_-]{40,64}$")


def new_token() -> str:
    """A fresh secret: `pzb_` (so secret scanners find leaked ones) and 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_lookup(token: str) -> str:
    """The part of a token that finds its row and names it in lists; not enough to use it."""
    return token[:LOOKUP_LENGTH]


def token_hash(token: str) -> str:
    """What is stored instead of the token."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    """Compare in constant time, so timing reveals nothing about the stored hash."""
    return hmac.compare_digest(token_hash(token), stored_hash)


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer …` header; 401 when missing or malformed."""
    if not authorization:
        raise Unauthenticated("a valid API token is required: send `Authorization: Bearer pzb_…`")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not _TOKEN_SHAPE.match(token):
        raise Unauthenticated("the Authorization header must be `Bearer pzb_…`")
    return token


# Wiring into Litestar ------------------------------------------------------------------------

# The key of a route handler's (or router's) `opt` that says what authentication it needs.
AUTHENTICATION = "authentication"


class Authentication(StrEnum):
    """What a route needs from its caller; a route that says nothing needs a token."""

    REQUIRED = "required"
    # A token is read when sent (a bad one is 401); the handler refuses what needs one.
    OPTIONAL = "optional"
    NONE = "none"


OPEN_ROUTE: dict[str, Any] = {AUTHENTICATION: Authentication.NONE.value}


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The principal the authentication middleware put on this request."""
    principal: Principal = connection.scope.get("state", {}).get("principal", ANONYMOUS)
    return principal


async def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """Dependency: the caller of this request."""
    return principal_of(request)


# What a handler declares to get its caller (Litestar 3 injects marked fields only).
PrincipalDep = NamedDependency[Principal]


Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


def allow(action: Action) -> Guard:
    """A route guard: the caller's role must allow `action` (record-level checks come later)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        authorize(principal_of(connection), action)

    guard.action = action  # type: ignore[attr-defined]  # read by the authorisation test
    return guard


def route_action(handler: BaseRouteHandler) -> Action | None:
    """The action a route's `allow` guard checks, if it has one."""
    for guard in handler.guards or ():
        action: Action | None = getattr(guard, "action", None)
        if action is not None:
            return action
    return None


def visible_products(principal: Principal) -> Collection[uuid.UUID] | None:
    """The products a list may show this caller; None means all of them."""
    return principal.product_ids if principal.sees_only_listed_products else None
