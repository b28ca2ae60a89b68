"""GraphQL face of products."""

import uuid
from collections.abc import Sequence
from datetime import date
from functools import partial
from typing import Annotated, Any

import strawberry
from sqlalchemy import Row
from strawberry.experimental.pydantic import type as pydantic_type

from api.audit.graphql import AuditEventType, history_connection
from api.audit.policy import HISTORY
from api.core.db import loaded
from api.core.graphql import (
    After,
    Connection,
    First,
    GraphQLInfo,
    Requires,
    documented,
    extend_type,
    graphql_enum,
    known_or,
    node,
    related_node,
    relation,
    shared,
)
from api.core.graphql_fields import Face
from api.products import service
from api.products.loaders import ProductLoaders
from api.products.models import DataClassification, Product, Stage, TrackedField
from api.products.policy import PRODUCTS
from api.products.schemas import (
    ProductChangeRead,
    ProductCreate,
    ProductRead,
    ProductsFilter,
    ProductUpdate,
)
from api.teams.graphql import TeamType, give_rosters, load_team, team_node
from api.teams.policy import TEAMS

StageEnum = graphql_enum(Stage, name="Stage", description="Lifecycle stages, in order.")
DataClassificationEnum = graphql_enum(DataClassification, name="DataClassification")
TrackedFieldEnum = graphql_enum(TrackedField, name="TrackedField")


@pydantic_type(
    model=ProductChangeRead,
    all_fields=True,
    name="ProductChange",
    description="One change of a stage or launch date.",
)
class ProductChangeType:
    """A change, as REST's `ProductChangeRead` shows one."""


@pydantic_type(model=ProductRead, name="Product", description="A product owned by one team.")
class ProductType:
    """A product, as REST's `ProductRead` shows one, with its team as a relation."""

    id: strawberry.auto
    slug: strawberry.auto
    name: strawberry.auto
    summary: strawberry.auto
    stage: strawberry.auto
    data_classification: strawberry.auto
    target_launch_date: strawberry.auto
    created_at: strawberry.auto
    updated_at: strawberry.auto
    version: strawberry.auto
    archived_at: strawberry.auto
    team_id: strawberry.Private[uuid.UUID]
    # The owning team, when the product's row brought it (every service's product does).
    known_team: strawberry.Private[TeamType | None] = None

    @strawberry.field(extensions=[Requires(TEAMS, "read")], description="The owning team.")
    def team(self, info: GraphQLInfo) -> TeamType | None:
        return known_or(self.known_team, lambda: load_team(info, self.team_id))

    @strawberry.field(description="Every change of the stage and target launch date, oldest first.")
    async def changes(
        self,
        info: GraphQLInfo,
        field: Annotated[
            TrackedFieldEnum | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only the changes of this field; both when left out."),
        ] = None,
    ) -> list[ProductChangeType] | None:
        rows = await info.context.loaders[ProductLoaders].changes.load((self.id, field))
        return [node(ProductChangeType, row, changed_at=row.created_at) for row in rows]

    @strawberry.field(
        extensions=[Requires(HISTORY, "read")],
        description="Every change of the product, from the audit trail, oldest first.",
    )
    async def history(
        self, info: GraphQLInfo, first: First = None, after: After = None
    ) -> Connection[AuditEventType] | None:
        return await history_connection(info, self.id, first, after)


@strawberry.input(description="Filters for the product list.")
@documented(ProductsFilter)
class ProductsFilterInput:
    stage: StageEnum | None = None  # type: ignore[valid-type]
    team: str | None = strawberry.field(default=None, description="Owning team's slug")
    data_classification: DataClassificationEnum | None = None  # type: ignore[valid-type]
    org: str | None = None
    q: str | None = None
    include_archived: bool = False


@strawberry.input(description="A new product; it starts at the IDEA stage.")
@documented(ProductCreate)
class CreateProductInput:
    slug: str
    name: str
    summary: str = ""
    team: str = strawberry.field(description="Owning team's slug")
    data_classification: DataClassificationEnum  # type: ignore[valid-type]
    target_launch_date: date | None = None


@strawberry.input(description="Fields of a product to change; leave out what stays.")
@documented(ProductUpdate)
class UpdateProductInput:
    slug: str
    """The product to change."""
    expected_version: int | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    summary: str | None = strawberry.UNSET
    team: str | None = strawberry.field(default=strawberry.UNSET, description="New team's slug")
    stage: StageEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET,
        description="One step forward, or back, or to RETIRED",
    )
    data_classification: DataClassificationEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    target_launch_date: date | None = strawberry.UNSET


@strawberry.input(description="The product to archive; its history stays.")
@documented()
class ArchiveProductInput:
    slug: str
    """The product to archive."""
    expected_version: int | None = None


def product_node(product: Product, teams: dict[uuid.UUID, TeamType] | None = None) -> ProductType:
    """A product as its GraphQL object, with its team when its row brought it; `teams` shares
    one object per team among a page's products."""
    team = loaded(product, "team")
    known_team = None
    if team is not None:
        known_team = shared({} if teams is None else teams, team.id, partial(team_node, team))
    return node(ProductType, product, known_team=known_team)


async def product_page(info: GraphQLInfo, rows: Sequence[Row[Any]]) -> list[ProductType]:
    """A page of the product list (plain rows, `service.list_product_rows`) as GraphQL objects:
    their teams (which the list joins) one object each, and those teams' rosters in one query
    when the query shows them."""
    teams: dict[uuid.UUID, TeamType] = {}
    nodes = [
        node(
            ProductType,
            row,
            known_team=shared(
                teams,
                row.team_id,
                partial(related_node, TeamType, row, service.TEAM_COLUMNS),
            ),
        )
        for row in rows
    ]
    await give_rosters(info, teams, ("edges", "node", "team"))
    return nodes


PRODUCT = Face(ProductType, PRODUCTS, show=product_node, page=product_page)
_SLUG = Annotated[str, strawberry.argument(description="The product's slug.")]


@strawberry.type
class ProductsQuery:
    product = PRODUCT.one(service.get_product, "A product by slug, archived or not.", slug=_SLUG)
    products = PRODUCT.connection(
        ProductsFilterInput,
        service.list_product_rows,
        "Products, oldest first.",
    )


@strawberry.type
class ProductsMutation:
    create_product = PRODUCT.mutation(
        CreateProductInput,
        service.create_product,
        "Create a product at the IDEA stage.",
        verb="create",
    )
    update_product = PRODUCT.mutation(
        UpdateProductInput,
        service.update_product,
        "Change the fields given; stage changes follow the lifecycle.",
        key=["slug"],
    )
    archive_product = PRODUCT.mutation(
        ArchiveProductInput,
        service.archive_product,
        "Archive a product; its history stays.",
        key=["slug"],
    )


async def _team_products(root: TeamType, info: GraphQLInfo) -> list[ProductType] | None:
    products = await info.context.loaders[ProductLoaders].products_by_team.load(root.id)
    teams: dict[uuid.UUID, TeamType] = {}
    return [product_node(product, teams) for product in products]


# Teams sit below products: products shows a team's products on the team's type.
extend_type(
    TeamType,
    after="members",
    products=relation(_team_products, Requires(PRODUCTS, "read"), "The team's live products."),
)
