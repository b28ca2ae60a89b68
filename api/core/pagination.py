"""Keyset pagination shared by every list, REST and GraphQL alike."""

import base64
import binascii
import functools
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar, overload

from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.core.described import Schema
from api.core.errors import BadRequest

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

ItemT = TypeVar("ItemT")
RowT = TypeVar("RowT")


class Page(Schema, Generic[ItemT]):
    """One page of a list: the items and the cursor of the next page (null on the last)."""

    items: list[ItemT]
    """This page's items, in the list's order."""
    next_cursor: str | None
    """Send as `?cursor=` for the next page; null on the last page."""


@dataclass
class Window(Generic[RowT]):
    """What a service returns for one page of rows; `count` says how many the whole list has,
    with one more query, run only when a client asks (GraphQL's `totalCount`)."""

    rows: list[RowT]
    next_cursor: str | None
    count: Callable[[], Awaitable[int]] | None = None
    # The kind of list the rows' cursors belong to, when the rows cannot say (plain rows).
    kind: str | None = None

    def page(self, item: Callable[[RowT], ItemT]) -> Page[ItemT]:
        """The page REST answers with: each row as `item` makes it, and the next cursor."""
        return Page(items=[item(row) for row in self.rows], next_cursor=self.next_cursor)


def encode_cursor(record_id: uuid.UUID, kind: str) -> str:
    """An opaque cursor that points just after the given record of a list of `kind` records."""
    before, after = _cursor_json(kind)
    raw = f"{before}{record_id}{after}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@functools.cache
def _cursor_json(kind: str) -> tuple[str, str]:
    # A cursor's JSON is `json.dumps({"after": id, "kind": kind})`; a UUID's text never needs
    # escaping, so the JSON on either side of it is the same for every cursor of a kind, and a
    # page of 200 edges need not run the JSON encoder 200 times for it.
    before, after = json.dumps({"after": "", "kind": kind}).split('""', 1)
    return before + '"', '"' + after


# REST documents its `cursor` as at most 512 characters; GraphQL's `after` is held to the same.
MAX_CURSOR_LENGTH = 512


def decode_cursor(cursor: str, kind: str, *, field: str = "cursor") -> uuid.UUID:
    """The record id a cursor points after; a cursor we did not issue, or issued for another
    kind of list, is a 400."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("longer than any cursor this API issues")
        padded = cursor + "=" * (-len(cursor) % 4)
        payload: Any = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        after = payload["after"]
        # uuid.UUID(123) raises AttributeError, not ValueError; a forged cursor is still a 400.
        if not isinstance(after, str):
            raise TypeError("the cursor's position is not a string")
        if payload.get("kind") != kind:
            raise ValueError("the cursor belongs to another list")
        return uuid.UUID(after)
    except (
        ValueError,
        KeyError,
        TypeError,
        binascii.Error,
        UnicodeEncodeError,
        RecursionError,  # JSON nested deeper than the parser goes: forged, like the rest
    ) as exc:
        raise BadRequest.field(field, "is not a cursor this API issued") from exc


def cursor_kind(model: type[Any]) -> str:
    """The kind of list a model's cursors belong to: its table."""
    return str(model.__tablename__)


def check_limit(limit: int, *, field: str = "limit") -> int:
    """A page size within the documented bounds."""
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest.field(field, f"must be between 1 and {MAX_LIMIT}")
    return limit


@dataclass(frozen=True)
class Paging:
    """The page a client asked for: `limit` rows after the one `cursor` points at (from the
    start without one)."""

    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


@overload
async def fetch_window(
    session: AsyncSession,
    statement: Select[RowT],
    id_column: Any,
    paging: Paging,
    *,
    plain: Literal[False] = False,
) -> Window[RowT]: ...


@overload
async def fetch_window(
    session: AsyncSession,
    statement: Select[Any],
    id_column: Any,
    paging: Paging,
    *,
    plain: Literal[True],
) -> Window[Row[Any]]: ...


async def fetch_window(
    session: AsyncSession,
    statement: Select[Any],
    id_column: Any,
    paging: Paging,
    *,
    plain: bool = False,
) -> Window[Any]:
    """Rows ordered by id (ids are time-ordered UUIDs), one more than asked to see if more exist.

    The rows are the statement's first entity; with `plain`, they are its rows as they are, for
    a list that is only read (no ORM object, no identity map: a statement of columns, each read
    by name, `row.id` among them).
    """
    limit = check_limit(paging.limit)
    kind = cursor_kind(id_column.class_)
    whole = statement
    if paging.cursor is not None:
        statement = statement.where(id_column > decode_cursor(paging.cursor, kind))
    statement = statement.order_by(id_column).limit(limit + 1)
    result = await (session.execute(statement) if plain else session.scalars(statement))
    rows: list[Any] = list(result.all())
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].id, kind) if has_more and rows else None
    return Window(
        rows=rows, next_cursor=next_cursor, count=lambda: count_rows(session, whole), kind=kind
    )


async def count_rows(session: AsyncSession, statement: Select[Any]) -> int:
    """How many rows a filtered list has in all."""
    counted = select(func.count()).select_from(statement.order_by(None).subquery())
    total = await session.scalar(counted)
    return int(total or 0)
