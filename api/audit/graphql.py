"""GraphQL face of the audit trail: `auditEvents`, and a record's `history` connection."""

import uuid
from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from api.audit import service
from api.audit.models import AuditEvent, AuditKind
from api.audit.schemas import AuditFilter
from api.core.access import Action
from api.core.graphql import (
    Connection,
    GraphQLInfo,
    Requires,
    connection,
    page_size,
    parse_input,
    provided,
)
from api.core.pagination import decode_cursor

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
            kind=event.kind,
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
class AuditQuery:
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
