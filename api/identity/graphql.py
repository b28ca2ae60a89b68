"""GraphQL face of identity: the viewer and the audit trail."""

import uuid

import strawberry

from api.audit.models import AuditKind
from api.core.access import Role
from api.core.graphql import (
    GraphQLInfo,
    Requires,
    documented,
    graphql_enum,
)
from api.identity import service
from api.identity.policy import SELF
from api.identity.schemas import Me

RoleEnum = graphql_enum(Role, name="Role", description="What a token may do.")
AuditKindEnum = graphql_enum(AuditKind, name="AuditKind")


@strawberry.type(name="Viewer", description="The caller: who it is and what it may do.")
@documented(Me)
class ViewerType:
    name: str
    role: RoleEnum  # type: ignore[valid-type]
    token_id: uuid.UUID | None
    token_prefix: str | None
    person_id: uuid.UUID | None
    person_email: str | None
    permissions: list[str]
    """What the caller's role allows (`team:write`, `audit:read`…)."""
    teams: list[str] = strawberry.field(description="Slugs of the teams a contributor may change")
    products: list[str] = strawberry.field(description="Slugs of a CI token's products")


@strawberry.type
class IdentityQuery:
    @strawberry.field(
        extensions=[Requires(SELF, "read")], description="Who is calling, and what it may do."
    )
    async def viewer(self, info: GraphQLInfo) -> ViewerType | None:
        me = await service.describe(info.context.session, info.context.principal)
        return ViewerType(**me.model_dump())
