"""DataLoaders for the audit trail, created per request."""

import uuid
from collections import defaultdict

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from api.audit import service
from api.audit.models import AuditEvent
from api.core.access import Principal
from api.core.graphql import LoaderGroup
from api.core.pagination import Window

# (record id, page size, cursor): one page of one record's history.
HistoryKey = tuple[uuid.UUID, int, str | None]


def history_loader(session: AsyncSession) -> DataLoader[HistoryKey, Window[AuditEvent]]:
    """Pages of many records' histories: one query per distinct page size and cursor."""

    async def load(keys: list[HistoryKey]) -> list[Window[AuditEvent]]:
        records_by_page: dict[tuple[int, str | None], list[uuid.UUID]] = defaultdict(list)
        for record_id, limit, after in keys:
            records_by_page[(limit, after)].append(record_id)
        found: dict[HistoryKey, Window[AuditEvent]] = {}
        for (limit, after), record_ids in records_by_page.items():
            windows = await service.histories(session, record_ids, after=after, limit=limit)
            found.update({(rid, limit, after): window for rid, window in windows.items()})
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)


def history_count_loader(session: AsyncSession) -> DataLoader[uuid.UUID, int]:
    """How many history events many records have: one query per batch."""

    async def load(record_ids: list[uuid.UUID]) -> list[int]:
        counts = await service.history_counts(session, record_ids)
        return [counts[record_id] for record_id in record_ids]

    return DataLoader(load_fn=load)


class HistoryLoaders(LoaderGroup):
    """Records' audit histories, batched across records."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        super().__init__(session, principal)
        self.history = history_loader(session)
        self.history_count = history_count_loader(session)
