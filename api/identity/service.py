"""Rules and queries for tokens and the principals they name."""

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

import api.products.policy
import api.teams.policy  # noqa: F401  (registers the teams policy, read below)
from api.audit.trail import access_event
from api.core.access import ARCHIVED_PERSON, Principal, Role
from api.core.db import utcnow
from api.core.errors import InvalidInput, NotFound, Unauthenticated
from api.core.fields import read_as
from api.core.pagination import (
    Paging,
    Window,
    fetch_window,
)
from api.core.policy import Scope, permissions, scoped_roles
from api.core.writes import Precondition, check_if_match, flush, stamp
from api.identity.models import ApiToken, TokenProduct
from api.identity.policy import TOKENS
from api.identity.schemas import Me, TokenCreate
from api.identity.secrets import bearer_token, new_token, token_hash, token_lookup, token_matches
from api.people.models import Person
from api.people.service import person_archived
from api.products.models import Product
from api.teams.models import Membership, Team, active_on, today

# Who must carry their teams or products is read from the policies once, when they are all
# known: the teams and products policies are imported above, so a caller that imports only this
# module (the CLI's `token create`) sees them too, and no request recomputes it.
_TEAM_SCOPED = scoped_roles(Scope.OWN_TEAMS)
_PRODUCT_SCOPED = scoped_roles(Scope.OWN_PRODUCTS)

# Built once: every request runs it, and building it anew each time showed in the profile.
_TOKEN_BY_LOOKUP = select(ApiToken).where(col(ApiToken.lookup) == bindparam("lookup"))

# `last_used_at` is written at most this often per token, so reads stay reads.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# Compared against when no token row matches, so a miss takes as long as a hit.
_DUMMY_HASH = token_hash("pzb_" + "0" * 43)


async def resolve_principal(
    session: AsyncSession, authorization: str | None, *, request_id: str | None
) -> tuple[Principal, bool]:
    """The principal an `Authorization` header names, and whether its `last_used_at` is due
    for a touch; 401 for anything but a live token."""
    token = bearer_token(authorization)
    row = await session.scalar(_TOKEN_BY_LOOKUP, {"lookup": token_lookup(token)})
    if not token_matches(token, row.secret_hash if row else _DUMMY_HASH) or row is None:
        raise Unauthenticated("the token is not valid")
    return await principal_of_token(session, row, request_id=request_id)


async def principal_of_token(
    session: AsyncSession, row: ApiToken, *, request_id: str | None
) -> tuple[Principal, bool]:
    """The principal a token row names, if the token is still live, and whether its
    `last_used_at` is due for a touch; 401 when its person is archived, or it is revoked or
    expired. (A page session holds a token's id, and asks this on every page.)"""
    now = utcnow()
    person = await session.get(Person, row.person_id) if row.person_id else None
    if person is not None and person.archived_at is not None:
        # Checked before revocation: archiving revokes the person's tokens, and this says why.
        raise Unauthenticated(ARCHIVED_PERSON)
    if row.revoked_at is not None:
        raise Unauthenticated("the token has been revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthenticated("the token has expired")

    team_ids: frozenset[uuid.UUID] = frozenset()
    if person is not None and row.role in _TEAM_SCOPED:
        team_ids = frozenset(
            await session.scalars(
                select(col(Membership.team_id))
                .where(col(Membership.person_id) == person.id)
                .where(*active_on(today()))
            )
        )
    product_ids: frozenset[uuid.UUID] = frozenset()
    if row.role in _PRODUCT_SCOPED:
        # Only a CI token has products; every other request skips the query.
        product_ids = frozenset(
            await session.scalars(
                select(col(TokenProduct.product_id)).where(col(TokenProduct.token_id) == row.id)
            )
        )
    touch_due = row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION
    principal = Principal(
        name=row.name,
        role=row.role,
        person_id=person.id if person else None,
        person_email=person.email if person else None,
        token_id=row.id,
        token_lookup=row.lookup,
        team_ids=team_ids,
        product_ids=product_ids,
        request_id=request_id,
    )
    return principal, touch_due


async def touch_token(session: AsyncSession, token_id: uuid.UUID) -> None:
    """Record that a token was just used."""
    # Not an ORM change: using a token is not an edit of it, so no version bump and no event.
    await session.execute(
        update(ApiToken).where(col(ApiToken.id) == token_id).values(last_used_at=utcnow())
    )


async def _token_products(
    session: AsyncSession, token_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    grouped: dict[uuid.UUID, list[str]] = {token_id: [] for token_id in token_ids}
    if not token_ids:
        return grouped
    rows = await session.execute(
        select(col(TokenProduct.token_id), col(Product.slug))
        .join(Product, col(Product.id) == col(TokenProduct.product_id))
        .where(col(TokenProduct.token_id).in_(set(token_ids)))
        .order_by(col(Product.slug))
    )
    for token_id, slug in rows:
        grouped[token_id].append(slug)
    return grouped


async def products_of_tokens(
    session: AsyncSession, tokens: Sequence[ApiToken]
) -> dict[uuid.UUID, list[str]]:
    """The product slugs of many tokens, in one query."""
    return await _token_products(session, [token.id for token in tokens])


async def create_token(
    session: AsyncSession, *, data: TokenCreate, principal: Principal
) -> tuple[ApiToken, str]:
    """A new token and its secret; the secret is returned here and stored only as a hash."""
    TOKENS.check(principal, "manage")
    role = data.role
    if role == Role.CI:
        if not data.products:
            raise InvalidInput.field("products", "a ci token must list at least one product")
        if data.person_id is not None:
            raise InvalidInput.field("person_id", "a ci token acts for a pipeline, not a person")
    elif data.products:
        raise InvalidInput.field("products", "only ci tokens are limited to products")
    if role in _TEAM_SCOPED and data.person_id is None:
        raise InvalidInput.field("person_id", f"a {role.value} token must act as a person")
    if data.expires_at is not None and data.expires_at <= utcnow():
        raise InvalidInput.field("expires_at", "must be in the future")
    if data.person_id is not None:
        person = await session.get(Person, data.person_id)
        if person is None or person.archived_at is not None:
            raise InvalidInput.field("person_id", "no active person with this id")

    products: list[Product] = []
    if data.products:
        wanted = sorted(set(data.products))
        products = list(await session.scalars(select(Product).where(col(Product.slug).in_(wanted))))
        missing = sorted(set(wanted) - {product.slug for product in products})
        if missing:
            raise InvalidInput.field("products", f"no product with slug {', '.join(missing)}")

    secret = new_token()
    token = ApiToken(
        name=data.name,
        role=role,
        lookup=token_lookup(secret),
        secret_hash=token_hash(secret),
        person_id=data.person_id,
        expires_at=data.expires_at,
        created_by=principal.actor,
    )
    session.add(token)
    await flush(session)
    session.add_all(TokenProduct(token_id=token.id, product_id=product.id) for product in products)
    await flush(session)
    return token, secret


async def get_token(session: AsyncSession, token_id: uuid.UUID) -> ApiToken:
    """A token by id."""
    token = await session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no token with id {token_id}")
    return token


async def list_tokens(
    session: AsyncSession, *, include_revoked: bool, principal: Principal, paging: Paging
) -> Window[ApiToken]:
    """One page of tokens, oldest first; reading them is recorded as sensitive access."""
    TOKENS.check(principal, "manage")
    statement = select(ApiToken)
    if not include_revoked:
        statement = statement.where(col(ApiToken.revoked_at).is_(None))
    window = await fetch_window(session, statement, ApiToken.id, paging)
    session.add(access_event(principal, record_type="token", record_id="*"))
    return window


async def revoke_token(
    session: AsyncSession, token_id: uuid.UUID, *, if_match: Precondition, principal: Principal
) -> ApiToken:
    """Revoke a token; the next request that sends it is refused."""
    TOKENS.check(principal, "manage")
    token = await get_token(session, token_id)
    check_if_match(token, if_match)
    if stamp(token, "revoked_at"):
        await flush(session)
    return token


async def describe(session: AsyncSession, principal: Principal) -> Me:
    """Who the caller is and what it may do."""
    assert principal.role is not None
    return read_as(
        Me,
        principal,
        token_prefix=principal.token_lookup,
        permissions=permissions(principal.role),
        teams=await principal_teams(session, principal),
        products=await principal_products(session, principal),
    )


async def principal_teams(session: AsyncSession, principal: Principal) -> list[str]:
    """Slugs of the teams a principal may change as a member."""
    if not principal.team_ids:
        return []
    rows = await session.scalars(
        select(col(Team.slug)).where(col(Team.id).in_(principal.team_ids)).order_by(col(Team.slug))
    )
    return list(rows)


async def principal_products(session: AsyncSession, principal: Principal) -> list[str]:
    """Slugs of the products a CI principal is limited to."""
    if not principal.product_ids:
        return []
    rows = await session.scalars(
        select(col(Product.slug))
        .where(col(Product.id).in_(principal.product_ids))
        .order_by(col(Product.slug))
    )
    return list(rows)


@person_archived.register
async def _revoke_archived_persons_tokens(session: AsyncSession, person: Person) -> None:
    # A token acts as its person: once they are gone it must not go on working (each revocation
    # is an audited change of its own, by whoever archived the person).
    now = person.archived_at or utcnow()
    tokens = await session.scalars(
        select(ApiToken)
        .where(col(ApiToken.person_id) == person.id)
        .where(col(ApiToken.revoked_at).is_(None))
    )
    for token in tokens:
        stamp(token, "revoked_at", at=now)
