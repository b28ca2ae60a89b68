"""DataLoaders for products, created per request."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from api.core.access import Principal
from api.core.graphql import LoaderGroup, batch_loader, view_loader
from api.products import service
from api.products.models import ProductChange, TrackedField


class ProductLoaders(LoaderGroup):
    """A team's live products, as far as the caller may see them (one IN query per batch), and
    a product's tracked changes (one query per distinct field filter)."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        super().__init__(session, principal)
        self.products_by_team = batch_loader(
            lambda ids: service.products_for_teams(session, ids, principal=principal),
            missing=lambda _: [],
        )
        self.changes = view_loader(self._changes, missing=lambda _: [])

    async def _changes(
        self, product_ids: list[uuid.UUID], field: TrackedField | None
    ) -> dict[uuid.UUID, list[ProductChange]]:
        return await service.changes_for_products(self.session, product_ids, field=field)
