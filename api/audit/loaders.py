"""DataLoaders for the audit trail, created per request."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import service
from api.audit.models import AuditEvent
from api.core.access import Principal
from api.core.graphql import LoaderGroup, batch_loader, not_found, view_loader
from api.core.pagination import Window

# Which page of a history: its size and the cursor it starts after.
HistoryPage = tuple[int, str | None]


class HistoryLoaders(LoaderGroup):
    """Records' audit histories, batched across records: one query per distinct page, and one
    per batch of counts."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        super().__init__(session, principal)
        self.history = view_loader(self._pages, missing=not_found("record"))
        self.history_count = batch_loader(
            lambda ids: service.history_counts(session, ids), missing=lambda _: 0
        )

    async def _pages(
        self, record_ids: list[uuid.UUID], page: HistoryPage
    ) -> dict[uuid.UUID, Window[AuditEvent]]:
        limit, after = page
        return await service.histories(self.session, record_ids, after=after, limit=limit)
