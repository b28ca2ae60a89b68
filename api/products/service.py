"""Rules and queries for products: lifecycle stages and the history of launch dates."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, joinedload
from sqlmodel import col

from api.core.access import Principal
from api.core.db import SelectT, columns, narrowed, relation, same_text, text_search
from api.core.errors import Conflict, FieldError, InvalidInput, NotFound
from api.core.hooks import Hook
from api.core.pagination import Paging, Window, fetch_window
from api.core.writes import Precondition, apply_changes, check_if_match, flush, stamp
from api.products.models import STAGE_ORDER, Product, ProductChange, Stage, TrackedField
from api.products.policy import PRODUCTS
from api.products.schemas import ProductCreate, ProductsFilter, ProductUpdate
from api.teams.models import Team
from api.teams.service import team_archiving

_REQUIRED = frozenset({"name", "summary", "team_id", "stage", "data_classification"})


@dataclass(frozen=True)
class StageMove:
    """A product about to move to `target`."""

    product: Product
    target: Stage


# Announced before a product changes stage: a domain whose document or checkpoint gates the move
# refuses it by raising `Conflict` with one coded error per reason.
stage_changing: Hook[StageMove] = Hook("stage_changing")
# Announced after a product's data classification changed (its new value is set).
classification_changed: Hook[Product] = Hook("classification_changed")


def check_stage_change(current: Stage, target: Stage) -> None:
    """One step forward at a time; back, or to `retired`, at any time."""
    if target == current or target == Stage.RETIRED:
        return
    position, wanted = STAGE_ORDER.index(current), STAGE_ORDER.index(target)
    if wanted < position or wanted == position + 1:
        return
    following = STAGE_ORDER[position + 1] if position + 1 < len(STAGE_ORDER) else None
    step = f"the next stage is {following.value!r}" if following else "it is the last stage"
    raise Conflict(
        f"a product at {current.value!r} cannot move to {target.value!r}: stages move one step "
        f"forward at a time ({step}), or back, or to 'retired'",
        [FieldError("stage", f"cannot move from {current.value!r} to {target.value!r}")],
    )


async def get_product(session: AsyncSession, slug: str, *, principal: Principal) -> Product:
    """A product by slug, archived or not, with its team loaded; a CI token sees only its own."""
    product = await session.scalar(
        select(Product).where(col(Product.slug) == slug).options(joinedload(relation(Product.team)))
    )
    visible = PRODUCTS.visible_products(principal)
    if product is None or (visible is not None and product.id not in visible):
        # The same answer whether the product is missing or not the caller's to see.
        raise NotFound(f"no product with slug {slug!r}")
    PRODUCTS.check(principal, "read", product_id=product.id)
    return product


# How a plain product row names its team's columns: `team__slug`.
TEAM_COLUMNS = "team__"


def _filtered(statement: SelectT, filters: ProductsFilter, principal: Principal) -> SelectT:
    # `statement` selects products, or their columns; the owning team is joined to filter on.
    statement = statement.join(Team, col(Product.team_id) == col(Team.id))
    visible = PRODUCTS.visible_products(principal)
    if visible is not None:
        statement = statement.where(col(Product.id).in_(visible))
    if not filters.include_archived:
        statement = statement.where(col(Product.archived_at).is_(None))
    return narrowed(
        statement,
        (filters.stage, col(Product.stage)),
        (filters.team, col(Team.slug)),
        (filters.data_classification, col(Product.data_classification)),
        (filters.org, same_text(col(Team.org))),
        (filters.q, lambda q: text_search(q, Product.slug, Product.name, Product.summary)),
    )


async def list_products(
    session: AsyncSession, *, filters: ProductsFilter, principal: Principal, paging: Paging
) -> Window[Product]:
    """One page of the products the caller may see that match the filters, oldest first."""
    statement = select(Product).options(contains_eager(relation(Product.team)))
    return await fetch_window(session, _filtered(statement, filters, principal), Product.id, paging)


async def list_product_rows(
    session: AsyncSession, *, filters: ProductsFilter, principal: Principal, paging: Paging
) -> Window[Row[Any]]:
    """`list_products`, for a page that is only read: plain rows of the products' columns,
    each with its team's columns named `team__…`, in the same one query."""
    statement = select(*columns(Product), *columns(Team, prefix=TEAM_COLUMNS))
    return await fetch_window(
        session, _filtered(statement, filters, principal), Product.id, paging, plain=True
    )


async def products_for_teams(
    session: AsyncSession, team_ids: Sequence[uuid.UUID], *, principal: Principal
) -> dict[uuid.UUID, list[Product]]:
    """The live products of many teams that `principal` may see, in one query."""
    grouped: dict[uuid.UUID, list[Product]] = {team_id: [] for team_id in team_ids}
    if not team_ids:
        return grouped
    statement = (
        select(Product)
        .where(col(Product.team_id).in_(set(team_ids)), col(Product.archived_at).is_(None))
        .options(joinedload(relation(Product.team)))
        .order_by(col(Product.id))
    )
    visible = PRODUCTS.visible_products(principal)
    if visible is not None:
        statement = statement.where(col(Product.id).in_(visible))
    rows = await session.scalars(statement)
    for product in rows:
        grouped[product.team_id].append(product)
    return grouped


async def _owning_team(session: AsyncSession, slug: str) -> Team:
    # FOR SHARE: a concurrent archive of the team waits for this product, then sees it.
    team = await session.scalar(
        select(Team)
        .where(col(Team.slug) == slug)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    )
    if team is None:
        raise InvalidInput.field("team", f"no team with slug {slug!r}")
    if team.archived_at is not None:
        raise InvalidInput.field("team", f"team {slug!r} is archived")
    return team


def _record_change(
    session: AsyncSession, product: Product, field: TrackedField, old: Any, new: Any, actor: str
) -> None:
    session.add(
        ProductChange(
            product_id=product.id,
            field=field,
            old_value=None if old is None else str(old),
            new_value=None if new is None else str(new),
            changed_by=actor,
        )
    )


async def create_product(
    session: AsyncSession, *, data: ProductCreate, principal: Principal
) -> Product:
    """Add a product at the `idea` stage; the slug must be new and the team must exist."""
    taken = await session.scalar(select(col(Product.id)).where(col(Product.slug) == data.slug))
    if taken is not None:
        raise Conflict(
            f"a product with slug {data.slug!r} already exists",
            [FieldError("slug", "is already taken")],
        )
    team = await _owning_team(session, data.team)
    PRODUCTS.check(principal, "create", team_id=team.id)
    product = Product(**data.model_dump(exclude={"team"}), team_id=team.id, stage=Stage.IDEA)
    product.team = team
    session.add(product)
    await flush(session)
    _record_change(session, product, TrackedField.STAGE, None, product.stage, principal.actor)
    if product.target_launch_date is not None:
        _record_change(
            session,
            product,
            TrackedField.TARGET_LAUNCH_DATE,
            None,
            product.target_launch_date,
            principal.actor,
        )
    await flush(session)
    return product


async def update_product(
    session: AsyncSession,
    slug: str,
    *,
    data: ProductUpdate,
    if_match: Precondition,
    principal: Principal,
) -> Product:
    """Change some of a product's fields; stage and launch-date changes are kept as history."""
    product = await get_product(session, slug, principal=principal)
    PRODUCTS.check(principal, "write", team_id=product.team_id)
    check_if_match(product, if_match)
    if product.archived_at is not None:
        raise Conflict(f"product {slug!r} is archived and cannot change")
    changes: dict[str, Any] = data.model_dump(exclude_unset=True, mode="python")
    stage_change = {"stage": changes.pop("stage")} if "stage" in changes else {}
    if stage_change.get("stage") is not None:
        check_stage_change(product.stage, stage_change["stage"])
    if "team" in changes:
        team_slug = changes.pop("team")
        if team_slug is None:
            raise InvalidInput.field("team", "may not be null")
        if team_slug != product.team.slug:
            team = await _owning_team(session, team_slug)
            # Handing a product over takes a right on both teams.
            PRODUCTS.check(principal, "write", team_id=team.id)
            changes["team_id"] = team.id
            product.team = team
    changed = apply_changes(product, changes, required=_REQUIRED)
    # The gates judge the product as the change leaves it (its new classification, say), before
    # it moves.
    if stage_change.get("stage") not in (None, product.stage):
        await stage_changing.run(session, StageMove(product, stage_change["stage"]))
    changed |= apply_changes(product, stage_change, required=_REQUIRED)
    if "data_classification" in changed:
        await classification_changed.run(session, product)
    for field in TrackedField:
        if field.value in changed:
            old, new = changed[field.value]
            _record_change(session, product, field, old, new, principal.actor)
    await flush(session)
    return product


async def archive_product(
    session: AsyncSession, slug: str, *, if_match: Precondition, principal: Principal
) -> Product:
    """Archive a product; its history stays and lists leave it out."""
    product = await get_product(session, slug, principal=principal)
    PRODUCTS.check(principal, "write", team_id=product.team_id)
    check_if_match(product, if_match)
    if stamp(product, "archived_at"):
        await flush(session)
    return product


def _changes(product: Product, field: TrackedField | None) -> Select[ProductChange]:
    statement = select(ProductChange).where(col(ProductChange.product_id) == product.id)
    if field is not None:
        statement = statement.where(col(ProductChange.field) == field)
    return statement


async def list_changes(
    session: AsyncSession,
    slug: str,
    *,
    field: TrackedField | None,
    principal: Principal,
    paging: Paging,
) -> Window[ProductChange]:
    """A product's stage and launch-date changes, oldest first."""
    product = await get_product(session, slug, principal=principal)
    return await fetch_window(session, _changes(product, field), ProductChange.id, paging)


async def changes_for_products(
    session: AsyncSession, product_ids: Sequence[uuid.UUID], *, field: TrackedField | None
) -> dict[uuid.UUID, list[ProductChange]]:
    """The tracked changes of many products, in one query."""
    grouped: dict[uuid.UUID, list[ProductChange]] = {pid: [] for pid in product_ids}
    if not product_ids:
        return grouped
    statement = select(ProductChange).where(col(ProductChange.product_id).in_(set(product_ids)))
    if field is not None:
        statement = statement.where(col(ProductChange.field) == field)
    for change in await session.scalars(statement.order_by(col(ProductChange.id))):
        grouped[change.product_id].append(change)
    return grouped


@team_archiving.register
async def _refuse_archiving_a_team_with_live_products(session: AsyncSession, team: Team) -> None:
    # The team is locked: a product being created for it holds the row (FOR SHARE) until it
    # commits, so this count cannot miss one.
    live_products = await session.scalar(
        select(func.count())
        .select_from(Product)
        .where(col(Product.team_id) == team.id, col(Product.archived_at).is_(None))
    )
    if live_products:
        raise Conflict(
            f"team {team.slug!r} still owns {live_products} product(s); move or archive them first"
        )
