"""Database engine, session-per-request, and the columns every record shares."""

import secrets
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager, nullcontext
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar, cast

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.types import HTTPScope, Scope
from pydantic import SecretStr
from sqlalchemy import ColumnElement, DateTime, Enum, MetaData, Select, String, event, or_, select
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute, declared_attr
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import Field, SQLModel

from api.core.config import Settings

# Set before any model exists so every constraint gets a stable name that Alembic can diff.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata

# Execution option a session sets on its connection when the request will write.
WRITE_INTENT = "pizzabox_write_intent"
# `session.info` key holding the secret that seals the session's audit events (None: no secret,
# the public key; see api.audit.chain).
AUDIT_SECRET_INFO = "audit_secret"
# `session.info` key naming the caller whose changes the session flushes (the audit trail's actor).
PRINCIPAL_INFO = "principal"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A route handler's `opt` key saying whether its transaction writes: True takes the write lock up
# front (a GET that records an access event), False leaves it to the work itself to ask (GraphQL:
# a query reads, a mutation calls `begin_writing`). Without it, the HTTP method decides.
WRITE_INTENT_OPT = "write_intent"


# The key of a request scope's `state` that holds the request's session, once authentication has
# opened it (see `request_session`).
SESSION_STATE = "pizzabox_session"


def route_writes(scope: HTTPScope) -> bool:
    """Whether the request's transaction should take the write lock when it begins."""
    stated = scope["route_handler"].opt.get(WRITE_INTENT_OPT)
    return scope["method"] not in SAFE_METHODS if stated is None else bool(stated)


async def begin_writing(session: AsyncSession) -> None:
    """Make the session's transaction a writer's, unless it is one already.

    On SQLite a writer takes the lock when it begins (`BEGIN IMMEDIATE`): a transaction that
    read first and wrote later could fail at once when another writer had committed meanwhile.
    So there a transaction that began as a reader (the request's token lookup, before anything
    knew whether the request writes) is ended first, and a writer's begins; it has only read.
    Elsewhere (PostgreSQL) a reader may go on to write, and keeps its transaction.
    """
    if session.in_transaction():
        connection = (await session.connection()).sync_connection
        if connection is None or connection.dialect.name != "sqlite":
            return
        if connection.get_execution_options().get(WRITE_INTENT):
            return
        await session.commit()
    await session.connection(execution_options={WRITE_INTENT: True})


# How far behind the real time the clock runs in this context: zero, except while the demo
# replays its history (`replaying`).
_CLOCK_BEHIND: ContextVar[timedelta] = ContextVar("pizzabox_clock_behind", default=timedelta(0))


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC) - _CLOCK_BEHIND.get()


@contextmanager
def replaying(days_ago: float) -> Iterator[None]:
    """Within the block, `utcnow` (so every record, history entry and audit event made) reads
    as `days_ago` days ago: the demo portfolio replays months of history at the times it
    happened. Nothing that serves requests sets the clock back."""
    token = _CLOCK_BEHIND.set(timedelta(days=days_ago))
    try:
        yield
    finally:
        _CLOCK_BEHIND.reset(token)


_last_uuid7 = [0, 0]  # [millis, counter]: keeps ids from one process strictly increasing


def uuid7() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 version 7), so ids sort by creation and pages stay stable."""
    millis = time.time_ns() // 1_000_000
    if millis <= _last_uuid7[0] and _last_uuid7[1] < 0xFFF:
        millis, counter = _last_uuid7[0], _last_uuid7[1] + 1
    else:
        millis, counter = max(millis, _last_uuid7[0] + 1), secrets.randbits(10)
    _last_uuid7[:] = [millis, counter]
    rand_b = secrets.randbits(62)
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)


def _enum_values(enum: type[StrEnum]) -> list[str]:
    return [member.value for member in enum]


def stored_enum(enum: type[StrEnum], *, name: str, length: int) -> Enum:
    """A column type for `enum`: its values stored as text of at most `length` characters and
    kept to them by a CHECK constraint named `name`, so the database refuses what the API would.

    Read back as members and written from members (or their values). Not a native PostgreSQL
    enum: SQLite and PostgreSQL hold the same text under the same CHECK, and a new value is a
    changed constraint that `alembic check` notices (see `api.migrate`).
    """
    return Enum(
        enum,
        name=name,
        length=length,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        values_callable=_enum_values,
    )


def relation(attribute: object) -> QueryableAttribute[Any]:
    """A model relationship as SQLAlchemy's loader options expect it (SQLModel types it as the
    related model, the way `sqlmodel.col` exists for columns)."""
    return cast("QueryableAttribute[Any]", attribute)


def columns(model: type[SQLModel], *, prefix: str = "") -> list[ColumnElement[Any]]:
    """Every column of `model`'s table, for a statement of plain rows; with `prefix`, each
    labelled `prefix` + its name (`team__slug`), so that a row can carry a related record's
    columns beside its own."""
    table: Any = cast(Any, model).__table__
    if not prefix:
        return list(table.columns)
    return [column.label(f"{prefix}{column.key}") for column in table.columns]


def loaded(record: object, name: str) -> Any:
    """`record`'s relation `name` when the query that read `record` loaded it too, else None;
    never a query (relations are `lazy="raise"`)."""
    return vars(record).get(name)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always stored and returned in UTC, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is UTC:
            return value  # asyncpg's, already in UTC: every row read has several of these
        # SQLite keeps no zone: what went in was UTC, so say so on the way out.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class RecordBase(SQLModel):
    """Columns every record carries: a UUID, timestamps, and a version for optimistic locking."""

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    version: int = Field(default=1, nullable=False)

    # SQLAlchemy adds `WHERE version = :old` to every UPDATE, so two writers that read the same
    # version cannot both win, even across instances.
    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


RecordT = TypeVar("RecordT", bound=RecordBase)


async def by_ids(
    session: AsyncSession, model: type[RecordT], ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, RecordT]:
    """Many records of one kind by id, in one query (none for no ids)."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.scalars(select(model).where(model.id.in_(wanted)))  # type: ignore[attr-defined]
    return {row.id: row for row in rows}


def _python_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def sql_function(
    name: str, returns: TypeEngine[Any], doc: str, *, default: str, sqlite: str
) -> Callable[..., ColumnElement[Any]]:
    """A SQL function written one way for PostgreSQL (`default`) and another for SQLite: each a
    template in which `{0}` stands for the argument (or the arguments, comma-separated)."""
    kind = type(name, (FunctionElement,), {"type": returns, "name": name, "inherit_cache": True})
    kind.__doc__ = doc

    def render(template: str) -> Callable[..., str]:
        def compile_call(element: Any, compiler: SQLCompiler, **kw: Any) -> str:
            return template.format(compiler.process(element.clauses, **kw))

        return compile_call

    compiles(kind)(render(default))
    compiles(kind, "sqlite")(render(sqlite))
    return cast(Callable[..., ColumnElement[Any]], kind)


folded = sql_function(
    "folded",
    String(),
    "Lower-cased text for case-insensitive comparison, Unicode-aware on every database.",
    default="lower({0})",
    sqlite="pz_lower({0})",
)


SelectT = TypeVar("SelectT", bound=Select[Any])
Condition = Callable[[Any], ColumnElement[bool]]


def narrowed(statement: SelectT, *filters: tuple[object, Any]) -> SelectT:
    """`statement` narrowed by each filter a client gave (a value that is not None or empty):
    to rows whose column (a mapped attribute) equals it, or that meet the condition (a function
    of the value) made from it."""
    for value, condition in filters:
        if value is None or value == "":
            continue
        if isinstance(condition, QueryableAttribute):
            statement = statement.where(condition == value)
        else:
            statement = statement.where(condition(value))
    return statement


def same_text(column: Any) -> Condition:
    """The condition that `column` equals the given text, case-insensitively."""
    return lambda text: folded(column) == text.lower()


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, connection_record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers run while one writer writes; the rest makes SQLite behave as a server.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # SQLite's lower() folds ASCII only; `folded()` uses Python's, so "ZOË" finds "Zoë".
        dbapi_connection.create_function("pz_lower", 1, _python_lower, deterministic=True)
        # SQLAlchemy emits BEGIN itself (see _sqlite_begin) instead of the driver's implicit one.
        dbapi_connection.isolation_level = None

    return on_connect


def _sqlite_begin(connection: Connection) -> None:
    # A writing request takes SQLite's write lock up front: a deferred transaction that reads and
    # then writes after another writer committed fails at once instead of waiting its turn.
    immediate = connection.get_execution_options().get(WRITE_INTENT, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# A pooled connection used this recently is trusted without a ping (HikariCP's
# `aliveBypassWindowMs` has the same default): under load every checkout would otherwise pay a
# ping, three round trips on asyncpg (BEGIN, a no-op query, ROLLBACK).
PING_AFTER_IDLE_SECONDS = 0.5
_RETURNED_AT = "pizzabox_returned_at"


def _remember_return(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info[_RETURNED_AT] = time.monotonic()


def _ping_if_idle(dialect: Dialect) -> Any:
    def on_checkout(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is None or time.monotonic() - returned_at < PING_AFTER_IDLE_SECONDS:
            return  # new, or in use a moment ago
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The server restarted or dropped idle connections: replace every pooled
            # connection made before now, as `pool_pre_ping` does, and retry with a new one.
            raise InvalidatePoolError(f"the pooled connection failed its ping: {exc}") from exc
        if not alive:
            raise InvalidatePoolError("the pooled connection failed its ping")

    return on_checkout


def create_engine(settings: Settings) -> AsyncEngine:
    """An async engine configured for the database the settings name."""
    if settings.is_sqlite:
        engine = create_async_engine(
            settings.database_url,
            connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000},
        )
        event.listen(
            engine.sync_engine, "connect", _sqlite_pragmas(settings.sqlite_busy_timeout_ms)
        )
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    engine = create_async_engine(settings.database_url, pool_size=settings.database_pool_size)
    # Pessimistic disconnect handling, for connections that sat idle in the pool: those are the
    # ones a restarted server or an idle timeout has closed.
    event.listen(engine.sync_engine, "checkin", _remember_return)
    event.listen(engine.sync_engine, "checkout", _ping_if_idle(engine.dialect))
    return engine


def create_sessionmaker(
    engine: AsyncEngine, *, audit_key: SecretStr | None
) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded attributes after commit, so responses can be built from them.

    Each session carries the key that seals its audit events (`settings.audit_key`): whatever
    writes through the database gets its sessions here, so no writer can sign with another key.
    """
    return async_sessionmaker(
        engine,
        expire_on_commit=False,
        autoflush=False,
        info={AUDIT_SECRET_INFO: audit_key},
    )


@asynccontextmanager
async def request_session(scope: Scope) -> AsyncIterator[AsyncSession]:
    """Open the request's one session and keep it in the request's scope, where
    `provide_session` finds it; close it when the request is over, rolling back whatever its
    handler did not commit.

    Authentication opens it to look the caller's token up, so that lookup and the handler's
    work share one connection and, unless the request writes on SQLite, one transaction.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = scope["litestar_app"].state.sessionmaker
    state = scope.setdefault("state", {})
    async with sessionmaker() as session:
        state[SESSION_STATE] = session
        try:
            yield session
        finally:
            del state[SESSION_STATE]


async def provide_session(
    state: State, request: Request[Any, Any, Any], principal: NamedDependency[Any]
) -> AsyncGenerator[AsyncSession, None]:
    """One session per request: commit when the handler returns, roll back when it raises.

    It is the session authentication opened (`request_session`) when the request carried a
    token, else one of its own. (It takes the principal, whom the audit trail names, so that
    Litestar resolves the two one after the other rather than in a task group of their own.)
    """
    shared: AsyncSession | None = request.scope["state"].get(SESSION_STATE)
    sessionmaker: async_sessionmaker[AsyncSession] = state.sessionmaker
    async with nullcontext(shared) if shared is not None else sessionmaker() as session:
        if shared is None:
            session.info[PRINCIPAL_INFO] = principal
        if route_writes(request.scope):
            await begin_writing(session)
        try:
            yield session
        except Exception:
            await session.rollback()
            raise
        await session.commit()


def text_search(query: str, *columns: Any) -> ColumnElement[bool]:
    """Case-insensitive substring match of `query` on any of the columns (Unicode-aware)."""
    escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(*(folded(column).like(pattern, escape="\\") for column in columns))


# What a handler declares to get the request's session (Litestar 3 injects marked fields only).
SessionDep = NamedDependency[AsyncSession]
