"""DataLoaders for products' documents, created per request: a page of products costs three
queries a document kind, however many products it holds."""

import asyncio
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from api.core.access import Principal
from api.core.graphql import LoaderGroup, batch_loader
from api.documents import service
from api.documents.models import DocumentKind
from api.documents.settings import Template, load_template


class DocumentLoaders(LoaderGroup):
    """Each kind of document for products the resolvers have seen (`see`), and the security FAQ
    template, read once per request."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        super().__init__(session, principal)
        self._products: dict[uuid.UUID, Any] = {}
        self._template: Template | None = None
        self._reading = asyncio.Lock()
        self.documents = {
            kind: self._loader(kind) for kind in (DocumentKind.PRFAQ, DocumentKind.SECURITY_FAQ)
        }

    def _loader(self, kind: DocumentKind) -> DataLoader[uuid.UUID, service.DocumentView]:
        async def fetch(ids: list[uuid.UUID]) -> dict[uuid.UUID, service.DocumentView]:
            products = [self._products[product_id] for product_id in ids]
            return await service.views_of(self.session, products, kind)

        return batch_loader(fetch, missing=lambda key: LookupError(f"product {key} not seen"))

    async def view(self, product: Any, kind: DocumentKind) -> service.DocumentView:
        """The `kind` document of `product` (a row, or GraphQL's product), batched."""
        self._products[product.id] = product
        return await self.documents[kind].load(product.id)

    async def template(self) -> Template:
        """The security FAQ template in force, read once per request however many resolvers
        ask for it at once."""
        async with self._reading:
            if self._template is None:
                self._template = await load_template(self.session)
        return self._template
