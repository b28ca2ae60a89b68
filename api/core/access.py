"""Who is calling: roles, the principal a request acts as, and what a route needs of it.

What each role may do is in the policies (`api.core.policy`, and each domain's `policy.py`).
"""

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency


class Role(StrEnum):
    """What a token may do."""

    VIEWER = "viewer"
    """Reads what is not sensitive (people, teams, rosters, products, their history); changes
    nothing."""
    CONTRIBUTOR = "contributor"
    """A viewer who creates teams and products and changes the teams they are on today, and those
    teams' products; acts as a person."""
    SECURITY_REVIEWER = "security_reviewer"
    """A contributor who may also read the whole audit trail and sensitive records, and sign off
    security work."""
    ADMIN = "admin"
    """Everything, on every record: people, tokens and org-wide settings included."""
    CI = "ci"
    """A pipeline, not a person: reads only the products its token names; changes nothing."""


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


# Why a token whose person was archived is refused; says why without saying who (it may have
# leaked).
ARCHIVED_PERSON = "the token's person has been archived, so the token no longer works"

# No token: may read only what is open to everyone (health, docs).
ANONYMOUS = Principal(name="anonymous", role=None)
# Work done by Pizzabox itself (migrations, the demo loader, the CLI).
SYSTEM = Principal(name="system", role=Role.ADMIN)


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
