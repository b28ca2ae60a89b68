"""Who is calling, and the one place that decides what they may do.

Every route and every GraphQL field passes through `authorize`, so access rules slot in here.
"""

import uuid
from dataclasses import dataclass, field
from typing import Any

from litestar import Request


@dataclass(frozen=True)
class Principal:
    """The caller of a request, as the rest of the code sees it."""

    name: str
    role: str
    person_id: uuid.UUID | None = None
    token_id: uuid.UUID | None = None
    product_slugs: frozenset[str] = field(default_factory=frozenset)

    @property
    def actor(self) -> str:
        """How history records name this caller."""
        return self.name


ANONYMOUS = Principal(name="anonymous", role="admin")


async def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """The caller of this request; tokens arrive with the identity issue, until then anonymous."""
    principal: Principal = request.scope.get("state", {}).get("principal", ANONYMOUS)
    return principal


def authorize(principal: Principal, action: str, *, resource: object | None = None) -> None:
    """Raise `PermissionDenied` unless the principal may perform `action` on `resource`."""
    # Until tokens exist every caller may do everything; the identity issue fills this in.
    return None
