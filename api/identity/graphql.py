"""GraphQL face of identity: the viewer and the audit trail."""

import uuid
from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from api.auth import Action
from api.graphql_core import (
    Connection,
    GraphQLInfo,
    Requires,
    connection,
    page_size,
    parse_input,
    provided,
)
from api.identity import service
from api.identity.models import AuditEvent, AuditKind, Role
from api.identity.schemas import AuditFilter
from api.pagination import decode_cursor

RoleEnum = strawberry.enum(Role, name="Role")
AuditKindEnum = strawberry.enum(AuditKind, name="AuditKind")


@strawberry.type(name="AuditEvent", description="One change, or one read of a sensitive record.")
class AuditEventType:
    id: uuid.UUID
    occurred_at: datetime
    kind: AuditKindEnum  # type: ignore[valid-type]
    action: str
    record_type: str
    record_id: str
    parent_type: str | None
    parent_id: str | None
    actor: str
    token_id: uuid.UUID | None
    person_id: uuid.UUID | None
    request_id: str | None
    changes: JSON = strawberry.field(description="{field: {old, new}} for each changed field")

    @classmethod
    def from_model(cls, event: AuditEvent) -> "AuditEventType":
        """The GraphQL view of a stored event."""
        return cls(
            id=event.id,
            occurred_at=event.created_at,
            kind=AuditKind(event.kind),
            action=event.action,
            record_type=event.record_type,
            record_id=event.record_id,
            parent_type=event.parent_type,
            parent_id=event.parent_id,
            actor=event.actor,
            token_id=event.token_id,
            person_id=event.person_id,
            request_id=event.request_id,
            changes=cast(JSON, event.changes),
        )


@strawberry.type(name="Viewer", description="The caller: who it is and what it may do.")
class ViewerType:
    name: str
    role: RoleEnum  # type: ignore[valid-type]
    token_id: uuid.UUID | None
    token_prefix: str | None
    person_id: uuid.UUID | None
    person_email: str | None
    permissions: list[str]
    teams: list[str] = strawberry.field(description="Slugs of the teams a contributor may change")
    products: list[str] = strawberry.field(description="Slugs of a CI token's products")


@strawberry.input(description="Filters for the audit trail.")
class AuditEventsFilterInput:
    record_type: str | None = None
    record_id: str | None = None
    actor: str | None = None
    kind: AuditKindEnum | None = None  # type: ignore[valid-type]
    since: datetime | None = None
    until: datetime | None = None


async def history_connection(
    info: GraphQLInfo, record_id: uuid.UUID, first: int | None, after: str | None
) -> Connection[AuditEventType]:
    """One record's audit history as a connection, batched across records by DataLoaders."""
    limit = page_size(first)
    if after is not None:
        decode_cursor(after, service.AUDIT_KIND, field="after")
    loaders = info.context.loaders
    window = await loaders.history.load((record_id, limit, after))
    return connection(
        window,
        node=AuditEventType.from_model,
        after=after,
        count_rows=lambda: loaders.history_count.load(record_id),
    )


@strawberry.type
class IdentityQuery:
    @strawberry.field(
        extensions=[Requires(Action.SELF_READ)], description="Who is calling, and what it may do."
    )
    async def viewer(self, info: GraphQLInfo) -> ViewerType | None:
        me = await service.describe(info.context.session, info.context.principal)
        return ViewerType(**me.model_dump())

    @strawberry.field(
        extensions=[Requires(Action.AUDIT_READ)], description="The audit trail, oldest first."
    )
    async def audit_events(
        self,
        info: GraphQLInfo,
        first: int | None = None,
        after: str | None = None,
        filter: AuditEventsFilterInput | None = None,
    ) -> Connection[AuditEventType] | None:
        limit = page_size(first)
        filters = parse_input(AuditFilter, provided(filter) if filter else {})
        session = info.context.session
        window = await service.list_audit_events(
            session, filters=filters, cursor=after, limit=limit
        )
        return connection(
            window,
            node=AuditEventType.from_model,
            after=after,
            count_rows=lambda: service.count_audit_events(session, filters=filters),
        )
