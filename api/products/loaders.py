"""DataLoaders for products, created per request."""

import uuid
from collections import defaultdict

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from api.core.access import Principal
from api.core.graphql import LoaderGroup
from api.products import service
from api.products.models import Product, ProductChange, TrackedField

ChangesKey = tuple[uuid.UUID, TrackedField | None]


def team_products_loader(
    session: AsyncSession, principal: Principal
) -> DataLoader[uuid.UUID, list[Product]]:
    """Live products of teams that the caller may see: one IN query per batch."""

    async def load(team_ids: list[uuid.UUID]) -> list[list[Product]]:
        grouped = await service.products_for_teams(session, team_ids, principal=principal)
        return [grouped.get(team_id, []) for team_id in team_ids]

    return DataLoader(load_fn=load)


def changes_loader(session: AsyncSession) -> DataLoader[ChangesKey, list[ProductChange]]:
    """Tracked changes of products: one query per distinct field filter."""

    async def load(keys: list[ChangesKey]) -> list[list[ProductChange]]:
        products_by_field: dict[TrackedField | None, list[uuid.UUID]] = defaultdict(list)
        for product_id, field in keys:
            products_by_field[field].append(product_id)
        found: dict[ChangesKey, list[ProductChange]] = {}
        for field, product_ids in products_by_field.items():
            grouped = await service.changes_for_products(session, product_ids, field=field)
            found.update({(product_id, field): rows for product_id, rows in grouped.items()})
        return [found.get(key, []) for key in keys]

    return DataLoader(load_fn=load)


class ProductLoaders(LoaderGroup):
    """Products' DataLoaders; what a caller sees of them follows the products policy."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        super().__init__(session, principal)
        self.products_by_team = team_products_loader(session, principal)
        self.changes = changes_loader(session)
