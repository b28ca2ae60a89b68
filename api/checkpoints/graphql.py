"""GraphQL face of launch checkpoints: `Product.checkpoints`, `Product.readiness`, the
catalogue, the re-test queue, and mutations to sign a checkpoint off and to waive one."""

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.experimental.pydantic import type as pydantic_type

from api.checkpoints import catalogue, service
from api.checkpoints.loaders import CheckpointLoaders
from api.checkpoints.models import (
    Approach,
    CheckpointStatus,
    Decision,
    Outcome,
    SignOff,
)
from api.checkpoints.policy import CHECKPOINT_KINDS, CHECKPOINTS, READINESS
from api.checkpoints.schemas import (
    Blocker,
    CheckpointRead,
    DueCheckpointRead,
    KindRead,
    ReadinessRead,
    ResultRead,
    ReviewerRole,
    SignOffCreate,
    WaiverCreate,
    WaiverRead,
)
from api.checkpoints.views import checkpoint_read, due_read, kind_read, readiness_read
from api.core.db import utcnow
from api.core.graphql import (
    After,
    Connection,
    First,
    GraphQLInfo,
    Requires,
    connection,
    derived,
    documented,
    extend_type,
    from_read,
    graphql_enum,
    page_size,
    relation,
    write,
)
from api.core.pagination import Paging
from api.core.rest import moment
from api.products.graphql import ProductType

graphql_enum(SignOff, name="SignOff")
graphql_enum(CheckpointStatus, name="CheckpointStatus")
graphql_enum(Outcome, name="TestOutcome")
graphql_enum(Approach, name="TestApproach")
graphql_enum(Decision, name="SignOffDecision")
graphql_enum(ReviewerRole, name="ReviewerRole")

ResultType = derived(ResultRead, "CheckpointResult", "One test run's evidence.")
WaiverType = derived(WaiverRead, "Waiver", "A waiver of a checkpoint, active or not.")
BlockerType = derived(Blocker, "ReadinessItem", "A reason a product may not launch, or a warning.")


@pydantic_type(
    model=KindRead,
    all_fields=True,
    name="CheckpointKind",
    description="A kind of launch checkpoint in the catalogue.",
)
class KindType:
    """A kind of launch checkpoint in the catalogue."""


@pydantic_type(
    model=CheckpointRead,
    all_fields=True,
    name="Checkpoint",
    description="A product's checkpoint of one kind, and where it stands.",
)
class CheckpointType:
    """A product's checkpoint of one kind, and where it stands."""


@pydantic_type(
    model=DueCheckpointRead,
    all_fields=True,
    name="DueCheckpoint",
    description="A launched product's checkpoint due for a re-test.",
)
class DueCheckpointType:
    """A launched product's checkpoint due for a re-test."""


@pydantic_type(
    model=ReadinessRead,
    all_fields=True,
    name="Readiness",
    description="Whether a product is cleared to launch, and every reason it is not.",
)
class ReadinessType:
    """Whether a product is cleared to launch, and every reason it is not."""


async def _product_checkpoints(root: ProductType, info: GraphQLInfo) -> list[CheckpointType]:
    loaders = info.context.loaders[CheckpointLoaders]
    views = await loaders.checkpoints.load(loaders.see(root))
    return [from_read(CheckpointType, checkpoint_read(view)) for view in views]


async def _product_readiness(root: ProductType, info: GraphQLInfo) -> ReadinessType:
    loaders = info.context.loaders[CheckpointLoaders]
    answer = await loaders.readiness.load(loaders.see(root))
    return from_read(ReadinessType, readiness_read(answer))


extend_type(
    ProductType,
    checkpoints=relation(
        _product_checkpoints,
        Requires(CHECKPOINTS, "read"),
        "One checkpoint per kind in the catalogue, with its status, latest result and waiver.",
    ),
    readiness=relation(
        _product_readiness,
        Requires(READINESS, "read"),
        "Whether the product is cleared to launch, and every blocker with a stable code.",
    ),
)


@strawberry.input(description="A reviewer's decision on a reviewer kind of checkpoint.")
@documented(SignOffCreate)
class SignOffCheckpointInput:
    product: str
    """The product's slug."""
    kind: str
    """The kind's key."""
    status: Decision
    comment: str
    evidence: list[strawberry.ID]
    """Ids of the checkpoint's results the decision relied on (one or more)."""
    expected_version: int | None = None
    """The checkpoint's version; the write fails if it changed."""


@strawberry.input(description="Waive a checkpoint until a moment at most 90 days away.")
@documented(WaiverCreate)
class WaiveCheckpointInput:
    product: str
    """The product's slug."""
    kind: str
    """The kind's key."""
    justification: str
    expires_at: datetime


@strawberry.type
class CheckpointsQuery:
    @strawberry.field(
        extensions=[Requires(CHECKPOINT_KINDS, "read")],
        description="The catalogue of launch checkpoint kinds.",
    )
    async def checkpoint_kinds(
        self,
        info: GraphQLInfo,
        include_archived: Annotated[
            bool, strawberry.argument(description="Include kinds taken out of the catalogue.")
        ] = False,
    ) -> list[KindType]:
        kinds = await catalogue.list_kinds(
            info.context.session,
            include_archived=include_archived,
            principal=info.context.principal,
        )
        return [from_read(KindType, kind_read(kind)) for kind in kinds]

    @strawberry.field(
        extensions=[Requires(CHECKPOINTS, "read")],
        description="Launched products' checkpoints due for a re-test before `dueBefore` (now "
        "by default); those already due are `STALE`.",
    )
    async def retest_queue(
        self,
        info: GraphQLInfo,
        due_before: Annotated[
            datetime | None,
            strawberry.argument(description="Due before this moment; now when left out."),
        ] = None,
        team: Annotated[
            str | None, strawberry.argument(description="Only this team's products (its slug).")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[DueCheckpointType]:
        context = info.context
        when = moment(due_before.isoformat(), field="dueBefore") if due_before else None
        window = await service.retest_queue(
            context.session,
            due_before=when or utcnow(),
            team=team,
            principal=context.principal,
            paging=Paging(after, page_size(first)),
        )
        return connection(
            window,
            node=lambda due: from_read(DueCheckpointType, due_read(due)),
            after=after,
            count_rows=window.count,
        )


_WHAT = "The checkpoint, and the decision or waiver."


@strawberry.type
class CheckpointsMutation:
    @strawberry.mutation(
        extensions=[Requires(CHECKPOINTS, "sign-off")],
        description="Sign a reviewer kind of checkpoint off (only the kind's reviewer role).",
    )
    async def sign_off_checkpoint(
        self,
        info: GraphQLInfo,
        input: Annotated[SignOffCheckpointInput, strawberry.argument(description=_WHAT)],
    ) -> CheckpointType | None:
        view = await write(
            info, input, service.sign_off, key=["product", "kind"], data=SignOffCreate
        )
        return from_read(CheckpointType, checkpoint_read(view))

    @strawberry.mutation(
        extensions=[Requires(CHECKPOINTS, "waive")],
        description="Waive a checkpoint (the kind's reviewer role, or an admin).",
    )
    async def waive_checkpoint(
        self,
        info: GraphQLInfo,
        input: Annotated[WaiveCheckpointInput, strawberry.argument(description=_WHAT)],
    ) -> CheckpointType | None:
        view = await write(
            info, input, service.grant_waiver, key=["product", "kind"], data=WaiverCreate
        )
        return from_read(CheckpointType, checkpoint_read(view))
