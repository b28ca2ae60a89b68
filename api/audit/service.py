"""Reading the audit trail: filtered pages, and one record's history batched across records."""

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Select, Subquery, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit.models import AuditEvent
from api.audit.policy import AUDIT, HISTORY
from api.audit.schemas import AuditFilter
from api.core.access import Principal
from api.core.db import narrowed
from api.core.errors import InvalidInput
from api.core.pagination import (
    Paging,
    Window,
    check_limit,
    cursor_kind,
    decode_cursor,
    encode_cursor,
    fetch_window,
)


def _audit_filtered(filters: AuditFilter) -> Select[AuditEvent]:
    record, parent, at = col(AuditEvent.record_id), col(AuditEvent.parent_id), AuditEvent.created_at
    return narrowed(
        select(AuditEvent),
        (filters.record_type, col(AuditEvent.record_type)),
        # A record's own events, and those of the records under it (a team's roster).
        (filters.record_id, lambda record_id: or_(record == record_id, parent == record_id)),
        (filters.parent_id, parent),
        (filters.actor, col(AuditEvent.actor)),
        (filters.kind, col(AuditEvent.kind)),
        (filters.since, lambda since: col(at) >= since),
        (filters.until, lambda until: col(at) < until),
    )


async def list_audit_events(
    session: AsyncSession, *, filters: AuditFilter, principal: Principal, paging: Paging
) -> Window[AuditEvent]:
    """One page of the audit trail, oldest first."""
    AUDIT.check(principal, "read")
    if filters.since and filters.until and filters.since >= filters.until:
        raise InvalidInput.field("until", "must be after since")
    return await _window(session, filters, paging)


async def list_history(
    session: AsyncSession, record_id: uuid.UUID, *, principal: Principal, paging: Paging
) -> Window[AuditEvent]:
    """One page of a record's history (a team's includes its roster's), oldest first, for a
    caller who has been let see the record."""
    HISTORY.check(principal, "read")
    return await _window(session, record_history(record_id), paging)


async def _window(
    session: AsyncSession, filters: AuditFilter, paging: Paging
) -> Window[AuditEvent]:
    statement = _audit_filtered(filters)
    return await fetch_window(session, statement, AuditEvent.id, paging)


AUDIT_KIND = cursor_kind(AuditEvent)


def _owned_events(record_ids: Sequence[uuid.UUID]) -> Subquery:
    """(event_id, owner) for every event of the given records: its own, or its children's."""
    ids = [str(record_id) for record_id in record_ids]
    return union_all(
        select(
            col(AuditEvent.id).label("event_id"), col(AuditEvent.record_id).label("owner")
        ).where(col(AuditEvent.record_id).in_(ids)),
        select(
            col(AuditEvent.id).label("event_id"), col(AuditEvent.parent_id).label("owner")
        ).where(col(AuditEvent.parent_id).in_(ids)),
    ).subquery()


async def histories(
    session: AsyncSession, record_ids: Sequence[uuid.UUID], *, after: str | None, limit: int
) -> dict[uuid.UUID, Window[AuditEvent]]:
    """One page of history for each of many records, in one query (a window function ranks
    each record's events)."""
    check_limit(limit)
    owned = _owned_events(record_ids)
    ranked = select(
        owned.c.event_id,
        owned.c.owner,
        func.row_number().over(partition_by=owned.c.owner, order_by=owned.c.event_id).label("rank"),
    )
    if after is not None:
        ranked = ranked.where(owned.c.event_id > decode_cursor(after, AUDIT_KIND, field="after"))
    page = ranked.subquery()
    rows = await session.execute(
        select(AuditEvent, page.c.owner)
        .join(page, page.c.event_id == col(AuditEvent.id))
        .where(page.c.rank <= limit + 1)
        .order_by(page.c.owner, col(AuditEvent.id))
    )
    grouped: dict[str, list[AuditEvent]] = defaultdict(list)
    for event, owner in rows:
        grouped[owner].append(event)
    windows: dict[uuid.UUID, Window[AuditEvent]] = {}
    for record_id in record_ids:
        events = grouped.get(str(record_id), [])
        more = len(events) > limit
        events = events[:limit]
        cursor = encode_cursor(events[-1].id, AUDIT_KIND) if more and events else None
        windows[record_id] = Window(rows=events, next_cursor=cursor)
    return windows


async def history_counts(
    session: AsyncSession, record_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """How many history events each of many records has, in one query."""
    owned = _owned_events(record_ids)
    rows = await session.execute(select(owned.c.owner, func.count()).group_by(owned.c.owner))
    counts: dict[str, int] = dict(rows.all())
    return {record_id: int(counts.get(str(record_id), 0)) for record_id in record_ids}


def record_history(record_id: uuid.UUID) -> AuditFilter:
    """The filter for one record's history; a team's includes its roster's changes."""
    return AuditFilter(record_id=str(record_id))
