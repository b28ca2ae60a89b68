"""REST face of products: /api/v1/products."""

from typing import Annotated, Any

from litestar import Controller, Request, Response
from litestar.params import JSONBody, Parameter

from api.audit.policy import HISTORY
from api.audit.rest import history_page
from api.audit.schemas import AuditEventRead
from api.core.access import PrincipalDep
from api.core.db import SessionDep
from api.core.fields import read_as
from api.core.pagination import DEFAULT_LIMIT, Page
from api.core.rest import (
    NESTED_LIST_PROBLEMS,
    NO_NUL,
    Cursor,
    IfMatch,
    IncludeArchived,
    Limit,
    Org,
    ProductSlug,
    TextQuery,
    absent_or,
    archive_route,
    choice,
    create_route,
    list_route,
    location,
    one_of,
    read_route,
    update_route,
    versioned,
)
from api.products import service
from api.products.models import DataClassification, Product, Stage, TrackedField
from api.products.policy import PRODUCTS
from api.products.schemas import (
    ProductChangeRead,
    ProductCreate,
    ProductRead,
    ProductsFilter,
    ProductUpdate,
)


def product_read(product: Product) -> ProductRead:
    """The REST shape of a product whose team is loaded."""
    return read_as(ProductRead, product, team=product.team.slug)


class ProductsController(Controller):
    """Products through their lifecycle."""

    path = "/products"
    tags = ("products",)

    @list_route("listProducts", PRODUCTS, summary="List products")
    async def list_products(
        self,
        session: SessionDep,
        principal: PrincipalDep,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        stage: Annotated[
            str | None, Parameter(description="Lifecycle stage", schema_extra=one_of(Stage))
        ] = None,
        team: Annotated[
            str | None,
            Parameter(
                max_length=63,
                pattern=NO_NUL,
                description="Owning team's slug",
                schema_extra=absent_or(),
            ),
        ] = None,
        data_classification: Annotated[
            str | None,
            Parameter(description="Data classification", schema_extra=one_of(DataClassification)),
        ] = None,
        org: Org = None,
        q: TextQuery = None,
        include_archived: IncludeArchived = False,
    ) -> Page[ProductRead]:
        """Products, oldest first, filtered by stage, team, classification, org and free text."""
        filters = ProductsFilter(
            stage=choice(Stage, stage, field="stage"),
            team=team,
            data_classification=choice(
                DataClassification, data_classification, field="data_classification"
            ),
            org=org,
            q=q,
            include_archived=include_archived,
        )
        window = await service.list_products(
            session, filters=filters, principal=principal, cursor=cursor, limit=limit
        )
        return window.page(product_read)

    @create_route("createProduct", PRODUCTS, summary="Create a product")
    async def create_product(
        self,
        request: Request[Any, Any, Any],
        session: SessionDep,
        principal: PrincipalDep,
        data: JSONBody[ProductCreate],
    ) -> Response[ProductRead]:
        """Create a product at the `idea` stage, owned by an existing team."""
        product = await service.create_product(session, data=data, principal=principal)
        return versioned(
            product_read(product),
            product,
            created_at=location(request, "getProduct", slug=product.slug),
        )

    @read_route("/{slug:str}", "getProduct", PRODUCTS, summary="Get a product")
    async def get_product(
        self, session: SessionDep, principal: PrincipalDep, slug: ProductSlug
    ) -> Response[ProductRead]:
        """One product, with an ETag for conditional writes."""
        product = await service.get_product(session, slug, principal=principal)
        return versioned(product_read(product), product)

    @update_route("/{slug:str}", "updateProduct", PRODUCTS, summary="Change a product")
    async def update_product(
        self,
        session: SessionDep,
        principal: PrincipalDep,
        slug: ProductSlug,
        data: JSONBody[ProductUpdate],
        if_match: IfMatch = None,
    ) -> Response[ProductRead]:
        """Change the fields sent. A stage moves one step forward, or back, or to `retired`."""
        product = await service.update_product(
            session, slug, data=data, if_match=if_match, principal=principal
        )
        return versioned(product_read(product), product)

    @archive_route("/{slug:str}", "archiveProduct", PRODUCTS, summary="Archive a product")
    async def archive_product(
        self,
        session: SessionDep,
        principal: PrincipalDep,
        slug: ProductSlug,
        if_match: IfMatch = None,
    ) -> None:
        """Archive a product; its history stays."""
        await service.archive_product(session, slug, if_match=if_match, principal=principal)

    @list_route(
        "listProductChanges",
        PRODUCTS,
        path="/{slug:str}/changes",
        summary="Stage and date history",
        responses=NESTED_LIST_PROBLEMS,
    )
    async def list_changes(
        self,
        session: SessionDep,
        principal: PrincipalDep,
        slug: ProductSlug,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        field: Annotated[
            str | None,
            Parameter(description="Only changes of this field", schema_extra=one_of(TrackedField)),
        ] = None,
    ) -> Page[ProductChangeRead]:
        """Every change of the product's stage and target launch date, with who and when."""
        window = await service.list_changes(
            session,
            slug,
            field=choice(TrackedField, field, field="field"),
            principal=principal,
            cursor=cursor,
            limit=limit,
        )
        return window.page(ProductChangeRead.model_validate)

    @list_route(
        "listProductHistory",
        HISTORY,
        path="/{slug:str}/history",
        summary="A product's audit history",
        responses=NESTED_LIST_PROBLEMS,
    )
    async def history(
        self,
        session: SessionDep,
        principal: PrincipalDep,
        slug: ProductSlug,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[AuditEventRead]:
        """Every change of the product, with who made it and the values before and after."""
        product = await service.get_product(session, slug, principal=principal)
        return await history_page(session, product.id, cursor=cursor, limit=limit)
