"""DataLoaders for products' checkpoints and readiness, created per request: a page of products
costs a fixed number of queries, however many products it holds."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from api.checkpoints import readiness, service
from api.core.access import Principal
from api.core.graphql import LoaderGroup, batch_loader


class CheckpointLoaders(LoaderGroup):
    """The checkpoints and the readiness of products the resolvers have seen."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        super().__init__(session, principal)
        self._products: dict[uuid.UUID, Any] = {}
        self.checkpoints: DataLoader[uuid.UUID, list[service.CheckpointView]] = batch_loader(
            self._checkpoints, missing=lambda key: LookupError(f"product {key} not seen")
        )
        self.readiness: DataLoader[uuid.UUID, readiness.Readiness] = batch_loader(
            self._readiness, missing=lambda key: LookupError(f"product {key} not seen")
        )

    async def _checkpoints(
        self, ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, list[service.CheckpointView]]:
        return await service.views_of(self.session, [self._products[key] for key in ids])

    async def _readiness(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, readiness.Readiness]:
        return await readiness.readiness_of(self.session, [self._products[key] for key in ids])

    def see(self, product: Any) -> uuid.UUID:
        """Remember `product` (a row, or GraphQL's product) so a batch can read it."""
        self._products[product.id] = product
        return uuid.UUID(str(product.id))
