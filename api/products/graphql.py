"""GraphQL face of products."""

import uuid
from datetime import date, datetime

import strawberry

from api.audit.graphql import AuditEventType, history_connection
from api.core.access import Action
from api.core.graphql import (
    Connection,
    GraphQLInfo,
    Requires,
    connection,
    mutation,
    page_size,
    parse_input,
    provided,
)
from api.products import service
from api.products.models import DataClassification, Product, ProductChange, Stage, TrackedField
from api.products.schemas import ProductCreate, ProductsFilter, ProductUpdate
from api.teams.graphql import TeamType

StageEnum = strawberry.enum(Stage, name="Stage", description="Lifecycle stages, in order.")
DataClassificationEnum = strawberry.enum(DataClassification, name="DataClassification")
TrackedFieldEnum = strawberry.enum(TrackedField, name="TrackedField")


@strawberry.type(name="ProductChange", description="One change of a stage or launch date.")
class ProductChangeType:
    id: uuid.UUID
    field: TrackedFieldEnum  # type: ignore[valid-type]
    old_value: str | None
    new_value: str | None
    changed_by: str
    changed_at: datetime

    @classmethod
    def from_model(cls, change: ProductChange) -> "ProductChangeType":
        """The GraphQL view of a stored change."""
        return cls(
            id=change.id,
            field=change.field,
            old_value=change.old_value,
            new_value=change.new_value,
            changed_by=change.changed_by,
            changed_at=change.created_at,
        )


@strawberry.type(name="Product", description="A product owned by one team.")
class ProductType:
    id: uuid.UUID
    slug: str
    name: str
    summary: str
    stage: StageEnum  # type: ignore[valid-type]
    data_classification: DataClassificationEnum  # type: ignore[valid-type]
    target_launch_date: date | None
    created_at: datetime
    updated_at: datetime
    version: int
    archived_at: datetime | None
    team_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, product: Product) -> "ProductType":
        """The GraphQL view of a stored product."""
        return cls(
            id=product.id,
            slug=product.slug,
            name=product.name,
            summary=product.summary,
            stage=product.stage,
            data_classification=product.data_classification,
            target_launch_date=product.target_launch_date,
            created_at=product.created_at,
            updated_at=product.updated_at,
            version=product.version,
            archived_at=product.archived_at,
            team_id=product.team_id,
        )

    @strawberry.field(extensions=[Requires(Action.TEAM_READ)], description="The owning team.")
    async def team(self, info: GraphQLInfo) -> TeamType | None:
        return TeamType.from_model(await info.context.loaders.team.load(self.team_id))

    @strawberry.field(description="Every change of the stage and target launch date, oldest first.")
    async def changes(
        self,
        info: GraphQLInfo,
        field: TrackedFieldEnum | None = None,  # type: ignore[valid-type]
    ) -> list[ProductChangeType] | None:
        rows = await info.context.loaders.changes.load((self.id, field))
        return [ProductChangeType.from_model(row) for row in rows]

    @strawberry.field(
        extensions=[Requires(Action.HISTORY_READ)],
        description="Every change of the product, from the audit trail, oldest first.",
    )
    async def history(
        self, info: GraphQLInfo, first: int | None = None, after: str | None = None
    ) -> Connection[AuditEventType] | None:
        return await history_connection(info, self.id, first, after)


@strawberry.input(description="Filters for the product list.")
class ProductsFilterInput:
    stage: StageEnum | None = None  # type: ignore[valid-type]
    team: str | None = strawberry.field(default=None, description="Owning team's slug")
    data_classification: DataClassificationEnum | None = None  # type: ignore[valid-type]
    org: str | None = None
    q: str | None = None
    include_archived: bool = False


@strawberry.input
class CreateProductInput:
    slug: str
    name: str
    summary: str = ""
    team: str = strawberry.field(description="Owning team's slug")
    data_classification: DataClassificationEnum  # type: ignore[valid-type]
    target_launch_date: date | None = None


@strawberry.input
class UpdateProductInput:
    slug: str
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


@strawberry.input
class ArchiveProductInput:
    slug: str
    expected_version: int | None = None


@strawberry.type
class ProductsQuery:
    @strawberry.field(
        extensions=[Requires(Action.PRODUCT_READ)],
        description="A product by slug, archived or not.",
    )
    async def product(self, info: GraphQLInfo, slug: str) -> ProductType | None:
        return ProductType.from_model(
            await service.get_product(info.context.session, slug, principal=info.context.principal)
        )

    @strawberry.field(
        extensions=[Requires(Action.PRODUCT_READ)], description="Products, oldest first."
    )
    async def products(
        self,
        info: GraphQLInfo,
        first: int | None = None,
        after: str | None = None,
        filter: ProductsFilterInput | None = None,
    ) -> Connection[ProductType] | None:
        limit = page_size(first)
        filters = parse_input(ProductsFilter, provided(filter) if filter else {})
        session, principal = info.context.session, info.context.principal
        window = await service.list_products(
            session, filters=filters, principal=principal, cursor=after, limit=limit
        )
        return connection(
            window,
            node=ProductType.from_model,
            after=after,
            count_rows=lambda: service.count_products(
                session, filters=filters, principal=principal
            ),
        )


@strawberry.type
class ProductsMutation:
    @strawberry.mutation(
        extensions=[Requires(Action.PRODUCT_CREATE)],
        description="Create a product at the IDEA stage.",
    )
    async def create_product(
        self, info: GraphQLInfo, input: CreateProductInput
    ) -> ProductType | None:
        principal = info.context.principal
        data = parse_input(ProductCreate, provided(input))
        async with mutation(info) as session:
            product = await service.create_product(session, data=data, principal=principal)
            return ProductType.from_model(product)

    @strawberry.mutation(
        extensions=[Requires(Action.PRODUCT_WRITE)],
        description="Change the fields given; stage changes follow the lifecycle.",
    )
    async def update_product(
        self, info: GraphQLInfo, input: UpdateProductInput
    ) -> ProductType | None:
        principal = info.context.principal
        fields = provided(input)
        slug = fields.pop("slug")
        expected = fields.pop("expected_version", None)
        data = parse_input(ProductUpdate, fields)
        async with mutation(info) as session:
            product = await service.update_product(
                session, slug, data=data, if_match=expected, principal=principal
            )
            return ProductType.from_model(product)

    @strawberry.mutation(
        extensions=[Requires(Action.PRODUCT_WRITE)],
        description="Archive a product; its history stays.",
    )
    async def archive_product(
        self, info: GraphQLInfo, input: ArchiveProductInput
    ) -> ProductType | None:
        async with mutation(info) as session:
            product = await service.archive_product(
                session,
                input.slug,
                if_match=input.expected_version,
                principal=info.context.principal,
            )
            return ProductType.from_model(product)
