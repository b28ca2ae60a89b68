"""Rules for a product's checkpoints: where each stands, the evidence pipelines post, a
reviewer's sign-off, waivers, and the re-test queue across the portfolio."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, false, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlmodel import col

from api.checkpoints.catalogue import find_kind, load_kinds
from api.checkpoints.models import (
    Checkpoint,
    CheckpointKind,
    CheckpointResult,
    CheckpointStatus,
    Decision,
    Outcome,
    SignOff,
    Waiver,
)
from api.checkpoints.policy import CHECKPOINTS
from api.checkpoints.schemas import MAX_WAIVER_DAYS, ResultCreate, SignOffCreate, WaiverCreate
from api.core.access import Principal, Role
from api.core.db import relation, utcnow
from api.core.errors import (
    BadRequest,
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from api.core.pagination import (
    Paging,
    Window,
    check_limit,
    decode_cursor,
    encode_cursor,
    fetch_window,
)
from api.core.writes import Precondition, check_if_match, flush, stamp
from api.products.models import Product, Stage
from api.products.policy import PRODUCTS
from api.products.service import get_product
from api.teams.models import Team


@dataclass
class CheckpointView:
    """A product's checkpoint of one kind as reads show it; `checkpoint` is None until its
    first result, sign-off or waiver."""

    product: Product
    kind: CheckpointKind
    checkpoint: Checkpoint | None
    waiver: Waiver | None
    status: CheckpointStatus
    last_result: CheckpointResult | None = None

    @property
    def required(self) -> bool:
        """Whether the product's data classification requires it."""
        return self.product.data_classification.value in self.kind.required_for


def waiver_active(waiver: Waiver | None, now: datetime) -> bool:
    """Neither revoked nor expired: an expired waiver stops counting on its own."""
    return waiver is not None and waiver.revoked_at is None and waiver.expires_at > now


def retest_due(kind: CheckpointKind, checkpoint: Checkpoint | None) -> datetime | None:
    """When the checkpoint must pass again once launched; None when never."""
    if checkpoint is None or checkpoint.last_passed_at is None:
        return None
    if kind.retest_interval_days is None:
        return None
    return checkpoint.last_passed_at + timedelta(days=kind.retest_interval_days)


def _decided_after_evidence(checkpoint: Checkpoint) -> bool:
    # A reviewer's decision holds for the evidence it saw: a newer result waits for a new one.
    if checkpoint.decided_at is None:
        return False
    return checkpoint.last_result_at is None or checkpoint.last_result_at <= checkpoint.decided_at


def status_of(
    kind: CheckpointKind,
    checkpoint: Checkpoint | None,
    waiver: Waiver | None,
    stage: Stage,
    now: datetime,
) -> CheckpointStatus:
    """Where a checkpoint stands, from its evidence, its decision, its waiver and the clock."""
    if checkpoint is None:
        status = CheckpointStatus.NOT_STARTED
    elif kind.sign_off == SignOff.AUTOMATIC:
        status = {
            None: CheckpointStatus.NOT_STARTED,
            Outcome.PASSED: CheckpointStatus.PASSED,
            Outcome.FAILED: CheckpointStatus.FAILED,
        }[checkpoint.last_outcome]
    elif _decided_after_evidence(checkpoint) and checkpoint.decision == Decision.PASSED:
        status = CheckpointStatus.PASSED
    elif _decided_after_evidence(checkpoint) and checkpoint.decision == Decision.FAILED:
        status = CheckpointStatus.FAILED
    elif checkpoint.results_count:
        status = CheckpointStatus.IN_PROGRESS
    else:
        status = CheckpointStatus.NOT_STARTED
    if status == CheckpointStatus.PASSED and stage == Stage.LAUNCHED:
        due = retest_due(kind, checkpoint)
        if due is not None and due <= now:
            status = CheckpointStatus.STALE
    if status != CheckpointStatus.PASSED and waiver_active(waiver, now):
        return CheckpointStatus.WAIVED
    return status


async def views_of(
    session: AsyncSession,
    products: Sequence[Product],
    *,
    kinds: Sequence[CheckpointKind] | None = None,
    with_results: bool = True,
    stage: Stage | None = None,
) -> dict[uuid.UUID, list[CheckpointView]]:
    """Every live kind's checkpoint for many products, in four queries whatever their number;
    with `stage`, as it will stand once the products are at that stage (a launch's gate)."""
    kinds = [kind for kind in (kinds or await load_kinds(session)) if kind.archived_at is None]
    views: dict[uuid.UUID, list[CheckpointView]] = {product.id: [] for product in products}
    if not products:
        return views
    rows = list(
        await session.scalars(select(Checkpoint).where(col(Checkpoint.product_id).in_(list(views))))
    )
    by_key = {(row.product_id, row.kind): row for row in rows}
    waivers: dict[uuid.UUID, Waiver] = {}
    results: dict[uuid.UUID, CheckpointResult] = {}
    if rows:
        for waiver in await session.scalars(
            select(Waiver)
            .where(col(Waiver.checkpoint_id).in_([row.id for row in rows]))
            .order_by(col(Waiver.id))
        ):
            waivers[waiver.checkpoint_id] = waiver  # the latest wins
        wanted = [row.last_result_id for row in rows if row.last_result_id]
        if with_results and wanted:
            results = {
                result.id: result
                for result in await session.scalars(
                    select(CheckpointResult).where(col(CheckpointResult.id).in_(wanted))
                )
            }
    now = utcnow()
    for product in products:
        for kind in kinds:
            row = by_key.get((product.id, kind.key))
            latest_waiver = waivers.get(row.id) if row else None
            views[product.id].append(
                CheckpointView(
                    product,
                    kind,
                    row,
                    latest_waiver,
                    status_of(kind, row, latest_waiver, stage or product.stage, now),
                    results.get(row.last_result_id) if row and row.last_result_id else None,
                )
            )
    return views


async def _product(session: AsyncSession, slug: str, verb: str, *, principal: Principal) -> Product:
    product = await get_product(session, slug, principal=principal)
    CHECKPOINTS.check(principal, verb, team_id=product.team_id, product_id=product.id)
    return product


# A page of a product's checkpoints ends at a kind: kinds keep their ids and their catalogue
# order for good (the default catalogue is stored with the ids it is shown with), and are
# archived, never removed, so a cursor stays meaningful while the catalogue changes.
CHECKPOINTS_CURSOR = "product_checkpoints"


async def list_checkpoints(
    session: AsyncSession, slug: str, *, principal: Principal, paging: Paging
) -> Window[CheckpointView]:
    """A page of a product's checkpoints, one per live kind, in catalogue order."""
    product = await _product(session, slug, "read", principal=principal)
    limit = check_limit(paging.limit)
    kinds = await load_kinds(session)
    if paging.cursor is not None:
        after = decode_cursor(paging.cursor, CHECKPOINTS_CURSOR)
        # Counted among every kind, archived ones too: a page still follows on when the kind it
        # ended at has been archived since.
        position = next((n for n, kind in enumerate(kinds) if kind.id == after), None)
        if position is None:
            raise BadRequest.field("cursor", "is not a cursor this API issued")
        kinds = kinds[position + 1 :]
    live = [kind for kind in kinds if kind.archived_at is None]
    shown = live[:limit]
    # views_of reads an empty `kinds` as "the whole catalogue": past the last page, ask nothing.
    views = (await views_of(session, [product], kinds=shown))[product.id] if shown else []
    more = len(live) > limit
    next_cursor = encode_cursor(shown[-1].id, CHECKPOINTS_CURSOR) if more else None
    return Window(rows=views, next_cursor=next_cursor, kind=CHECKPOINTS_CURSOR)


async def get_checkpoint(
    session: AsyncSession, slug: str, key: str, *, principal: Principal
) -> CheckpointView:
    """A product's checkpoint of one kind."""
    product = await _product(session, slug, "read", principal=principal)
    kinds = await load_kinds(session)
    kind = find_kind(kinds, key)
    return (await views_of(session, [product], kinds=[kind]))[product.id][0]


async def checkpoint_row(session: AsyncSession, product: Product, kind: str) -> Checkpoint:
    """A product's checkpoint of `kind`, made on first use, and held (FOR UPDATE) until the
    transaction ends, so writes to it (results, sign-offs, waivers, findings) take turns.

    Concurrent first uses meet at the unique index: the loser's savepoint rolls back and it
    reads the winner's row. The row is made through the ORM, so its creation is audited."""
    statement = (
        select(Checkpoint)
        .where(col(Checkpoint.product_id) == product.id, col(Checkpoint.kind) == kind)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    row = await session.scalar(statement)
    if row is not None:
        return row
    try:
        async with session.begin_nested():
            row = Checkpoint(product_id=product.id, kind=kind)
            session.add(row)
            await session.flush()
        return row
    except IntegrityError:
        found = await session.scalar(statement)
        assert found is not None
        return found


async def _live_product(
    session: AsyncSession, slug: str, verb: str, *, principal: Principal
) -> Product:
    product = await _product(session, slug, verb, principal=principal)
    if product.archived_at is not None:
        raise Conflict(f"product {slug!r} is archived and cannot change")
    return product


async def record_result(
    session: AsyncSession, slug: str, key: str, *, data: ResultCreate, principal: Principal
) -> CheckpointResult:
    """Keep one run's evidence; for an automatic kind the latest result decides."""
    product = await _live_product(session, slug, "record", principal=principal)
    kind = find_kind(await load_kinds(session), key)
    checkpoint = await checkpoint_row(session, product, kind.key)
    values = data.model_dump(mode="json")
    result = CheckpointResult(
        **{**values, "outcome": data.outcome},
        checkpoint_id=checkpoint.id,
        recorded_by=principal.actor,
    )
    session.add(result)  # its id and time are set already: one flush writes both rows
    checkpoint.last_result_id = result.id
    checkpoint.last_outcome = data.outcome
    checkpoint.last_result_at = result.created_at
    checkpoint.results_count += 1
    if kind.sign_off == SignOff.AUTOMATIC and data.outcome == Outcome.PASSED:
        checkpoint.last_passed_at = result.created_at
    checkpoint.updated_at = utcnow()
    await flush(session)
    return result


async def list_results(
    session: AsyncSession,
    slug: str,
    key: str,
    *,
    outcome: Outcome | None,
    principal: Principal,
    paging: Paging,
) -> Window[CheckpointResult]:
    """A checkpoint's results, oldest first."""
    product = await _product(session, slug, "read", principal=principal)
    find_kind(await load_kinds(session), key, live=False)
    statement = (
        select(CheckpointResult)
        .join(Checkpoint, col(Checkpoint.id) == col(CheckpointResult.checkpoint_id))
        .where(col(Checkpoint.product_id) == product.id, col(Checkpoint.kind) == key)
    )
    if outcome is not None:
        statement = statement.where(col(CheckpointResult.outcome) == outcome)
    return await fetch_window(session, statement, CheckpointResult.id, paging)


async def get_result(
    session: AsyncSession, slug: str, key: str, result_id: uuid.UUID, *, principal: Principal
) -> CheckpointResult:
    """One result of a product's checkpoint."""
    product = await _product(session, slug, "read", principal=principal)
    result = await session.scalar(
        select(CheckpointResult)
        .join(Checkpoint, col(Checkpoint.id) == col(CheckpointResult.checkpoint_id))
        .where(
            col(CheckpointResult.id) == result_id,
            col(Checkpoint.product_id) == product.id,
            col(Checkpoint.kind) == key,
        )
    )
    if result is None:
        raise NotFound(f"no result {result_id} of the {key!r} checkpoint of {slug!r}")
    return result


def _may_decide(principal: Principal, kind: CheckpointKind, *, admin_too: bool) -> None:
    role = principal.role
    if role is not None and role.value == kind.reviewer_role:
        return
    if admin_too and role == Role.ADMIN:
        return
    roles = [role for role in (kind.reviewer_role, "admin" if admin_too else None) if role]
    who = " or ".join(dict.fromkeys(roles)) or "no"
    raise PermissionDenied(f"only the {who} role may do this for the {kind.key!r} checkpoint")


async def sign_off(
    session: AsyncSession,
    slug: str,
    key: str,
    *,
    data: SignOffCreate,
    if_match: Precondition,
    principal: Principal,
) -> CheckpointView:
    """A reviewer's decision on a reviewer kind, naming the results it relied on."""
    product = await _live_product(session, slug, "sign-off", principal=principal)
    kinds = await load_kinds(session)
    kind = find_kind(kinds, key)
    if kind.sign_off != SignOff.REVIEWER:
        raise Conflict(
            f"{kind.key!r} is decided by its latest result; post a result instead",
            [FieldError("status", "an automatic checkpoint has no sign-off")],
        )
    _may_decide(principal, kind, admin_too=False)
    checkpoint = await checkpoint_row(session, product, kind.key)
    check_if_match(checkpoint, if_match)
    found = set(
        await session.scalars(
            select(col(CheckpointResult.id)).where(
                col(CheckpointResult.id).in_(data.evidence),
                col(CheckpointResult.checkpoint_id) == checkpoint.id,
            )
        )
    )
    missing = [str(item) for item in data.evidence if item not in found]
    if missing:
        raise InvalidInput.field(
            "evidence", f"not results of this checkpoint: {', '.join(missing)}"
        )
    now = utcnow()
    checkpoint.decision = data.status
    checkpoint.decided_by = principal.actor
    checkpoint.decided_at = now
    checkpoint.decision_comment = data.comment
    checkpoint.evidence = [str(item) for item in data.evidence]
    if data.status == Decision.PASSED:
        checkpoint.last_passed_at = now
    checkpoint.updated_at = now
    await flush(session)
    return (await views_of(session, [product], kinds=[kind]))[product.id][0]


async def get_waiver(
    session: AsyncSession, slug: str, key: str, *, principal: Principal
) -> CheckpointView:
    """A checkpoint with its latest waiver; 404 when it never had one."""
    view = await get_checkpoint(session, slug, key, principal=principal)
    if view.waiver is None:
        raise NotFound(f"the {key!r} checkpoint of {slug!r} has no waiver")
    return view


async def grant_waiver(
    session: AsyncSession, slug: str, key: str, *, data: WaiverCreate, principal: Principal
) -> CheckpointView:
    """Waive a checkpoint until a date at most 90 days away; it replaces an active waiver."""
    product = await _live_product(session, slug, "waive", principal=principal)
    kind = find_kind(await load_kinds(session), key)
    _may_decide(principal, kind, admin_too=True)
    now = utcnow()
    if data.expires_at <= now:
        raise InvalidInput.field("expires_at", "must be in the future")
    if data.expires_at > now + timedelta(days=MAX_WAIVER_DAYS):
        raise InvalidInput.field("expires_at", f"must be at most {MAX_WAIVER_DAYS} days from now")
    checkpoint = await checkpoint_row(session, product, kind.key)
    for earlier in await session.scalars(
        select(Waiver).where(
            col(Waiver.checkpoint_id) == checkpoint.id, col(Waiver.revoked_at).is_(None)
        )
    ):
        if waiver_active(earlier, now):
            stamp(earlier, "revoked_at", at=now)
            earlier.revoked_by = principal.actor
    session.add(
        Waiver(
            checkpoint_id=checkpoint.id,
            justification=data.justification,
            approved_by=principal.actor,
            expires_at=data.expires_at,
        )
    )
    checkpoint.updated_at = now  # the checkpoint's ETag covers its waiver
    await flush(session)
    return (await views_of(session, [product], kinds=[kind]))[product.id][0]


async def revoke_waiver(
    session: AsyncSession, slug: str, key: str, *, principal: Principal
) -> None:
    """End a checkpoint's active waiver now; 404 when it has none."""
    product = await _live_product(session, slug, "waive", principal=principal)
    kind = find_kind(await load_kinds(session), key)
    _may_decide(principal, kind, admin_too=True)
    now = utcnow()
    waivers = list(
        await session.scalars(
            select(Waiver)
            .join(Checkpoint, col(Checkpoint.id) == col(Waiver.checkpoint_id))
            .where(
                col(Checkpoint.product_id) == product.id,
                col(Checkpoint.kind) == kind.key,
                col(Waiver.revoked_at).is_(None),
            )
            .with_for_update()
        )
    )
    active = [waiver for waiver in waivers if waiver_active(waiver, now)]
    if not active:
        raise NotFound(f"the {key!r} checkpoint of {slug!r} has no active waiver")
    for waiver in active:
        stamp(waiver, "revoked_at", at=now)
        waiver.revoked_by = principal.actor
    checkpoint = await checkpoint_row(session, product, kind.key)
    checkpoint.updated_at = now
    await flush(session)


def _days_before(moment: datetime, days: int) -> datetime:
    # Near the year 1, the earliest instant there is.
    try:
        return moment - timedelta(days=days)
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)


@dataclass
class DueCheckpoint:
    """A launched product's checkpoint whose re-test falls due; paged as checkpoints are."""

    __tablename__ = "checkpoints"  # its cursors are the checkpoints'

    product: Product
    kind: CheckpointKind
    checkpoint: Checkpoint
    due_at: datetime
    status: CheckpointStatus

    @property
    def id(self) -> uuid.UUID:
        """The checkpoint's id: where a page of the queue ends."""
        return self.checkpoint.id


async def retest_queue(
    session: AsyncSession,
    *,
    due_before: datetime,
    team: str | None,
    principal: Principal,
    paging: Paging,
) -> Window[DueCheckpoint]:
    """Launched products' checkpoints due (or overdue: stale) for a re-test before a moment,
    across the portfolio, in the order they were made."""
    CHECKPOINTS.check(principal, "read")
    kinds = [kind for kind in await load_kinds(session) if kind.archived_at is None]
    due = [
        and_(
            col(Checkpoint.kind) == kind.key,
            col(Checkpoint.last_passed_at) < _days_before(due_before, kind.retest_interval_days),
        )
        for kind in kinds
        if kind.retest_interval_days is not None
    ]
    statement = (
        select(Checkpoint)
        .join(Product, col(Product.id) == col(Checkpoint.product_id))
        .where(
            col(Product.stage) == Stage.LAUNCHED,
            col(Product.archived_at).is_(None),
            or_(*due) if due else false(),
        )
    )
    visible = PRODUCTS.visible_products(principal)
    if visible is not None:
        statement = statement.where(col(Checkpoint.product_id).in_(visible))
    if team is not None:
        statement = statement.join(Team, col(Team.id) == col(Product.team_id)).where(
            col(Team.slug) == team
        )
    window = await fetch_window(session, statement, Checkpoint.id, paging)
    products = (
        {
            product.id: product
            for product in await session.scalars(
                select(Product)
                .where(col(Product.id).in_({row.product_id for row in window.rows}))
                .options(joinedload(relation(Product.team)))
            )
        }
        if window.rows
        else {}
    )
    by_key = {kind.key: kind for kind in kinds}
    views = await views_of(session, list(products.values()), kinds=kinds, with_results=False)
    statuses = {
        (view.product.id, view.kind.key): view.status for rows in views.values() for view in rows
    }
    items = []
    for row in window.rows:
        kind = by_key[row.kind]
        due_at = retest_due(kind, row)
        assert due_at is not None
        items.append(
            DueCheckpoint(
                products[row.product_id], kind, row, due_at, statuses[(row.product_id, row.kind)]
            )
        )
    return Window(rows=items, next_cursor=window.next_cursor, count=window.count)
