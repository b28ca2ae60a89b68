"""GraphQL face of the audit trail: `auditEvents`, and a record's `history` connection."""

import uuid
from datetime import datetime

import strawberry
from strawberry.experimental.pydantic import type as pydantic_type
from strawberry.scalars import JSON

from api.audit import service
from api.audit.loaders import HistoryLoaders
from api.audit.models import AuditAction, AuditEvent, AuditKind, RecordType
from api.audit.policy import AUDIT
from api.audit.schemas import AuditEventRead, AuditFilter
from api.core.graphql import (
    Connection,
    GraphQLInfo,
    connection,
    documented,
    graphql_enum,
    node,
    page_size,
)
from api.core.graphql_fields import Face
from api.core.pagination import decode_cursor

AuditKindEnum = graphql_enum(AuditKind, name="AuditKind")
RecordTypeEnum = graphql_enum(RecordType, name="AuditRecordType")
graphql_enum(AuditAction, name="AuditAction")


@pydantic_type(
    model=AuditEventRead,
    name="AuditEvent",
    description="One change, or one read of a sensitive record.",
)
class AuditEventType:
    """An event, as REST's `AuditEventRead` shows one."""

    id: strawberry.auto
    occurred_at: strawberry.auto
    kind: strawberry.auto
    action: strawberry.auto
    record_type: strawberry.auto
    record_id: strawberry.auto
    parent_type: strawberry.auto
    parent_id: strawberry.auto
    actor: strawberry.auto
    token_id: strawberry.auto
    person_id: strawberry.auto
    request_id: strawberry.auto
    changes: JSON = strawberry.field(description="{field: {old, new}} for each changed field")


def event_node(event: AuditEvent) -> AuditEventType:
    """The GraphQL view of a stored event."""
    return node(AuditEventType, event, occurred_at=event.created_at)


@strawberry.input(description="Filters for the audit trail.")
@documented(AuditFilter)
class AuditEventsFilterInput:
    record_type: RecordTypeEnum | None = None  # type: ignore[valid-type]
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
    loaders = info.context.loaders[HistoryLoaders]
    window = await loaders.history.load((record_id, (limit, after)))
    return connection(
        window,
        node=event_node,
        after=after,
        count_rows=lambda: loaders.history_count.load(record_id),
    )


@strawberry.type
class AuditQuery:
    audit_events = Face(AuditEventType, AUDIT, show=event_node).connection(
        AuditEventsFilterInput,
        service.list_audit_events,
        "The audit trail, oldest first.",
    )
