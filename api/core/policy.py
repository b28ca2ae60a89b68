"""Who may do what: one policy per resource, used alike by REST, GraphQL, services and loaders.

A policy names, for each verb on its resource (read, create, write, grant…), which roles may do it
and over which records (their `Scope`). REST routes guard with `allow(POLICY, verb)`, GraphQL
fields with `Requires(POLICY, verb)` (the role may do it at all), services call
`POLICY.check(principal, verb, team_id=…, product_id=…)` on the record they touch, and lists and
DataLoaders ask `POLICY.visible_products(principal)` which records to show. A domain declares its
policies in its own `policy.py`; nothing here names a domain.

Giving a role a new power is one line in one policy: CI tokens recording checkpoint results on
their own products is `record=… | grant([Role.CI], Scope.OWN_PRODUCTS)`.
"""

import uuid
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from enum import StrEnum
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from api.core.access import Principal, Role, principal_of
from api.core.errors import NotFound, PermissionDenied, Unauthenticated


class Scope(StrEnum):
    """Which records a role's grant covers."""

    ANY = "any"
    # The teams the caller's person is on today, and what those teams own.
    OWN_TEAMS = "own_teams"
    # The products a CI token lists; any other product is "not found" to it.
    OWN_PRODUCTS = "own_products"


Grants = Mapping[Role, Scope]

# Every role that acts for a person; `ci` acts for a pipeline.
PEOPLE_ROLES = (Role.VIEWER, Role.CONTRIBUTOR, Role.SECURITY_REVIEWER, Role.ADMIN)
# The roles that change what their own teams own.
TEAM_MEMBER_ROLES = (Role.CONTRIBUTOR, Role.SECURITY_REVIEWER)


def grant(roles: Iterable[Role], scope: Scope = Scope.ANY) -> dict[Role, Scope]:
    """`roles` may do the verb over `scope`; combine grants with `|`."""
    return dict.fromkeys(roles, scope)


_POLICIES: list["Policy"] = []


class Policy:
    """The rules for one resource: for each verb, the roles allowed and over which records."""

    def __init__(
        self, resource: str, rules: Mapping[str, Grants] | None = None, **verbs: Grants
    ) -> None:
        self.resource = resource
        self.rules: dict[str, Grants] = {**(rules or {}), **verbs}
        _POLICIES.append(self)

    def action(self, verb: str) -> str:
        """The permission's name, as `/me` lists it: `product:write`."""
        self._grants(verb)
        return f"{self.resource}:{verb}"

    def _grants(self, verb: str) -> Grants:
        try:
            return self.rules[verb]
        except KeyError:
            raise KeyError(f"the {self.resource} policy has no verb {verb!r}") from None

    def scope(self, principal: Principal, verb: str) -> Scope | None:
        """Over which records `principal` may do `verb`; None when not at all."""
        grants = self._grants(verb)
        return grants.get(principal.role) if principal.role is not None else None

    def allows(self, principal: Principal, verb: str) -> bool:
        """Whether the role may do `verb` to some record of this resource."""
        return self.scope(principal, verb) is not None

    def check(
        self,
        principal: Principal,
        verb: str,
        *,
        team_id: uuid.UUID | None = None,
        product_id: uuid.UUID | None = None,
    ) -> None:
        """Raise unless `principal` may do `verb`, to the record of the given team or product.

        No token: 401. A role without the verb: 403. A team-scoped grant and a team the caller's
        person is not on: 403. A product-scoped grant and a product the token does not list:
        404, the answer for a product that does not exist, so the token learns nothing. Without
        a record, only the role is checked (a route's guard; a list filters with
        `visible_products`).
        """
        if not principal.authenticated:
            raise Unauthenticated(
                "a valid API token is required: send `Authorization: Bearer pzb_…`"
            )
        scope = self.scope(principal, verb)
        if scope is None:
            raise PermissionDenied(f"the {principal.role} role may not {self.action(verb)}")
        if scope == Scope.OWN_PRODUCTS and product_id not in (None, *principal.product_ids):
            raise NotFound(f"no such {self.resource}")
        if scope == Scope.OWN_TEAMS and team_id not in (None, *principal.team_ids):
            raise PermissionDenied(
                f"the {principal.role} role may {self.action(verb)} only for the teams its "
                "person is on today"
            )

    def visible_products(
        self, principal: Principal, verb: str = "read"
    ) -> Collection[uuid.UUID] | None:
        """The products whose records `principal` may `verb`; None means every one."""
        scope = self.scope(principal, verb)
        if scope == Scope.OWN_PRODUCTS:
            return principal.product_ids
        return None


def permissions(role: Role) -> list[str]:
    """Every permission the role has under any policy, sorted (what `/me` lists)."""
    return sorted(
        policy.action(verb)
        for policy in _POLICIES
        for verb, grants in policy.rules.items()
        if role in grants
    )


def scoped_roles(scope: Scope) -> frozenset[Role]:
    """The roles some policy grants only over `scope`: who must carry teams or products."""
    return frozenset(
        role
        for policy in _POLICIES
        for grants in policy.rules.values()
        for role, granted in grants.items()
        if granted == scope
    )


Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


def allow(policy: Policy, verb: str) -> Guard:
    """A route guard: the caller's role may do `verb` on `policy`'s resource (the service checks
    the record)."""
    policy.action(verb)  # a verb the policy lacks fails when the route is declared

    # A coroutine, though it never awaits: Litestar runs a plain function guard in its thread
    # pool, a hop to another thread and back on every request.
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        policy.check(principal_of(connection), verb)

    guard.permission = (policy, verb)  # type: ignore[attr-defined]  # read by `route_permission`
    return guard


def route_permission(handler: BaseRouteHandler) -> tuple[Policy, str] | None:
    """The policy and verb a route's `allow` guard checks, if it has one."""
    for guard in handler.guards or ():
        permission: tuple[Policy, str] | None = getattr(guard, "permission", None)
        if permission is not None:
            return permission
    return None
