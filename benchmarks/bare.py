"""The floor Pizzabox is measured against: Litestar and SQLAlchemy (async ORM, the same driver,
the same database) doing the database work of the benchmarked routes and nothing else.

- `GET /healthz`: Litestar's hello-world JSON, no database (`hello_app`); and the same with the
  response headers Pizzabox sends on every answer (security headers, a request id), to show
  what those alone cost (`hello_headers_app`).
- `GET /api/v1/products/{slug}`: the token, then the product with its team's slug, in one session.
- `GET /api/v1/products?limit=50`: the token, then 50 live products with their teams' slugs.
- `PATCH /api/v1/products/{slug}` with `If-Match`: the token, the product, the version check,
  the UPDATE (`WHERE version = …`) and one audit row, in one transaction.

It reads Pizzabox's own tables (a database `pizzabox db upgrade` made and the benchmark seeded)
and writes its audit rows to a table of its own, `bench_audit_events`, so Pizzabox's trail stays
intact. No rate limit, no policy, no request ids, no security headers: what is left when all of
that costs nothing.
"""

import base64
import hashlib
import hmac
import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

from litestar import Litestar, Request, Response, get, patch
from litestar.datastructures import ResponseHeader, State
from sqlalchemy import JSON, DateTime, ForeignKey, String, Uuid, event, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, joinedload, mapped_column, relationship

DATABASE_URL_ENV = "PIZZABOX_DATABASE_URL"
POOL_SIZE_ENV = "PIZZABOX_DATABASE_POOL_SIZE"
# Execution option saying the transaction will write: SQLite then begins it IMMEDIATE.
_WRITES = "bench_writes"


class Base(DeclarativeBase):
    pass


class Token(Base):
    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    lookup: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    slug: Mapped[str] = mapped_column(String(63))


class Product(Base):
    __tablename__ = "products"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column()
    slug: Mapped[str] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(300))
    team_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("teams.id"))
    stage: Mapped[str] = mapped_column(String(32))
    data_classification: Mapped[str] = mapped_column(String(32))
    target_launch_date: Mapped[date | None]
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    team: Mapped[Team] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class AuditRow(Base):
    __tablename__ = "bench_audit_events"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    action: Mapped[str] = mapped_column(String(32))
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(200))
    token_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)


def _utc(value: datetime | None) -> datetime | None:
    # SQLite keeps no zone; Pizzabox stored UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _sqlite_connect(dbapi_connection: Any, _: Any) -> None:
    # The same connection set-up Pizzabox gives SQLite: WAL, synchronous=NORMAL, foreign keys,
    # a busy timeout, and BEGIN emitted by SQLAlchemy.
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "foreign_keys=ON",
        "busy_timeout=5000",
        "synchronous=NORMAL",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Connection) -> None:
    writes = connection.get_execution_options().get(_WRITES, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


@asynccontextmanager
async def _database(app: Litestar) -> AsyncIterator[None]:
    url = os.environ[DATABASE_URL_ENV]
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 5})
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    else:
        engine = create_async_engine(url, pool_size=int(os.environ.get(POOL_SIZE_ENV, "10")))
    audit_table: Any = AuditRow.__table__
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: Base.metadata.create_all(sync, [audit_table]))
    app.state.sessionmaker = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
    try:
        yield
    finally:
        await engine.dispose()


def _problem(status: int, detail: str) -> Response[dict[str, Any]]:
    return Response({"status": status, "detail": detail}, status_code=status)


async def _token(session: AsyncSession, request: Request[Any, Any, Any]) -> Token | None:
    """The caller's live token (first indexed read), or None."""
    scheme, _, secret = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not secret.startswith("pzb_"):
        return None
    token = await session.scalar(select(Token).where(Token.lookup == secret[:16]))
    digest = hashlib.sha256(secret.encode()).hexdigest()
    if token is None or not hmac.compare_digest(digest, token.secret_hash):
        return None
    expires_at = _utc(token.expires_at)
    if token.revoked_at is not None or (expires_at is not None and expires_at <= _now()):
        return None
    return token


def _now() -> datetime:
    return datetime.now(UTC)


def _product_json(product: Product) -> dict[str, Any]:
    return {
        "id": str(product.id),
        "created_at": _utc(product.created_at),
        "updated_at": _utc(product.updated_at),
        "version": product.version,
        "slug": product.slug,
        "name": product.name,
        "summary": product.summary,
        "team": product.team.slug,
        "stage": product.stage,
        "data_classification": product.data_classification,
        "target_launch_date": product.target_launch_date,
        "archived_at": _utc(product.archived_at),
    }


def _etag(product: Product) -> str:
    return f'"{product.id}:{product.version}"'


def _by_slug(slug: str) -> Any:
    return select(Product).where(Product.slug == slug).options(joinedload(Product.team))


@get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


# What Pizzabox adds to every answer (api.core.middleware), with a request id of the same length;
# the benchmark checks that the names match Pizzabox's.
POLICY_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("strict-transport-security", "max-age=63072000; includeSubDomains"),
    ("content-security-policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
    ("x-request-id", "0" * 32),
)


@get(
    "/healthz",
    name="healthz_with_headers",
    response_headers=[ResponseHeader(name=name, value=value) for name, value in POLICY_HEADERS],
)
async def healthz_with_headers() -> dict[str, str]:
    return {"status": "ok"}


@get("/api/v1/products/{slug:str}")
async def get_product(state: State, request: Request[Any, Any, Any], slug: str) -> Response[Any]:
    async with state.sessionmaker() as session:
        if await _token(session, request) is None:
            return _problem(401, "the token is not valid")
        product = await session.scalar(_by_slug(slug))
    if product is None:
        return _problem(404, "no such product")
    return Response(_product_json(product), headers={"ETag": _etag(product)})


@get("/api/v1/products")
async def list_products(
    state: State, request: Request[Any, Any, Any], limit: int = 50
) -> Response[Any]:
    async with state.sessionmaker() as session:
        if await _token(session, request) is None:
            return _problem(401, "the token is not valid")
        rows = list(
            await session.scalars(
                select(Product)
                .where(Product.archived_at.is_(None))
                .options(joinedload(Product.team))
                .order_by(Product.id)
                .limit(limit + 1)
            )
        )
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = None
    if more and rows:
        raw = json.dumps({"after": str(rows[-1].id), "kind": "products"}).encode()
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return Response({"items": [_product_json(row) for row in rows], "next_cursor": cursor})


@patch("/api/v1/products/{slug:str}")
async def update_product(
    state: State, request: Request[Any, Any, Any], slug: str, data: dict[str, Any]
) -> Response[Any]:
    async with state.sessionmaker() as session:
        await session.connection(execution_options={_WRITES: True})
        token = await _token(session, request)
        if token is None:
            return _problem(401, "the token is not valid")
        product = await session.scalar(_by_slug(slug))
        if product is None:
            return _problem(404, "no such product")
        if request.headers.get("if-match") not in (None, "*", _etag(product)):
            return _problem(
                412, f"If-Match {request.headers.get('if-match')} is not {_etag(product)}"
            )
        summary = data.get("summary")
        if not isinstance(summary, str):
            return _problem(422, "summary: must be text")
        old = product.summary
        if old != summary:
            product.summary = summary
            product.updated_at = _now()
            session.add(
                AuditRow(
                    occurred_at=product.updated_at,
                    action="update",
                    record_type="product",
                    record_id=str(product.id),
                    actor=token.name,
                    token_id=token.id,
                    changes={"summary": {"old": old, "new": summary}},
                )
            )
        await session.commit()
    return Response(_product_json(product), headers={"ETag": _etag(product)})


# Logging is set up by the launcher, as Pizzabox sets up its own (`logging_config=None` there too).
hello_app = Litestar(route_handlers=[healthz], logging_config=None)
hello_headers_app = Litestar(route_handlers=[healthz_with_headers], logging_config=None)
app = Litestar(
    route_handlers=[get_product, list_products, update_product],
    lifespan=[_database],
    logging_config=None,
)
