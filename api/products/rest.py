"""REST face of products: /api/v1/products."""

from typing import Annotated

from litestar import Router

from api.audit.policy import HISTORY
from api.audit.rest import history_page
from api.core.access import PrincipalDep
from api.core.db import SessionDep
from api.core.fields import read_as
from api.core.pagination import Page
from api.core.resource import Resource
from api.core.rest import (
    NESTED_LIST_PROBLEMS,
    IncludeArchived,
    Org,
    PagingDep,
    ProductSlug,
    TextQuery,
    choice,
    choice_of,
    list_route,
    text,
)
from api.products import service
from api.products.models import DataClassification, Product, Stage, TrackedField
from api.products.policy import PRODUCTS
from api.products.schemas import (
    ProductChangeRead,
    ProductRead,
    ProductsFilter,
)


def product_read(product: Product) -> ProductRead:
    """The REST shape of a product whose team is loaded."""
    return read_as(ProductRead, product, team=product.team.slug)


PRODUCT = Resource(PRODUCTS, "Product", "/{slug:str}", {"slug": ProductSlug}, product_read)


@list_route("listProducts", PRODUCTS, summary="List products")
async def list_products(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PagingDep,
    stage: Annotated[str | None, choice_of(Stage, "Lifecycle stage")] = None,
    team: Annotated[str | None, text("Owning team's slug", max_length=63)] = None,
    data_classification: Annotated[
        str | None, choice_of(DataClassification, "Data classification")
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
        session, filters=filters, principal=principal, paging=paging
    )
    return window.page(product_read)


create_product = PRODUCT.create(
    service.create_product, "Create a product at the `idea` stage, owned by an existing team."
)
get_product = PRODUCT.get(service.get_product)
update_product = PRODUCT.update(
    service.update_product,
    doc="Change the fields sent. A stage moves one step forward, or back, or to `retired`.",
)
archive_product = PRODUCT.archive(service.archive_product)


@list_route(
    "listProductChanges",
    PRODUCTS,
    path="/{slug:str}/changes",
    summary="Stage and date history",
    responses=NESTED_LIST_PROBLEMS,
)
async def list_changes(
    session: SessionDep,
    principal: PrincipalDep,
    slug: ProductSlug,
    paging: PagingDep,
    field: Annotated[str | None, choice_of(TrackedField, "Only changes of this field")] = None,
) -> Page[ProductChangeRead]:
    """Every change of the product's stage and target launch date, with who and when."""
    window = await service.list_changes(
        session,
        slug,
        field=choice(TrackedField, field, field="field"),
        principal=principal,
        paging=paging,
    )
    return window.page(ProductChangeRead.model_validate)


history = PRODUCT.history(service.get_product, history_page, HISTORY)

ROUTES = Router(
    "/products",
    tags=["products"],
    route_handlers=[
        list_products,
        create_product,
        get_product,
        update_product,
        archive_product,
        list_changes,
        history,
    ],
)
