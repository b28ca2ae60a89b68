"""Idempotent uploads: a client that sends `Idempotency-Key` with a write gets, on every retry,
the first answer again, and the write happens once.

The key is claimed in the write's own transaction, before the work: a concurrent retry's claim
waits on the unique index until the first commits (PostgreSQL) or for the write lock (SQLite),
then finds the stored answer. A write that fails rolls its claim back with it, so a retry runs
again. Keys belong to the token that sent them and are kept for good.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Annotated, Any

from litestar.params import HeaderParameter
from sqlalchemy import JSON, Column, Integer, String, UniqueConstraint, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, col

from api.core.access import Principal
from api.core.db import RecordBase
from api.core.errors import InvalidInput

HEADER = "Idempotency-Key"
REPLAYED = "Idempotency-Replayed"
KEY_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
_KEY = re.compile(KEY_PATTERN)

IdempotencyKeyHeader = Annotated[
    str | None,
    HeaderParameter(
        name=HEADER,
        description=(
            "Makes a retried upload safe: the same key again returns the first answer and "
            "records nothing twice; the same key with another body is 422. 1 to 128 "
            "letters, digits and `._:-`"
        ),
        max_length=1024,
        schema_extra={"oneOf": None, "type": "string", "pattern": KEY_PATTERN},
    ),
]


class IdempotencyKey(RecordBase, table=True):
    """One key a token used, what it was sent with, and the answer it got."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("owner", "key"),)

    owner: str = Field(sa_type=String(200))
    key: str = Field(sa_type=String(128))
    request_hash: str = Field(sa_type=String(64))
    status_code: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    body: Any = Field(default=None, sa_column=Column(JSON, nullable=True))


@dataclass
class Claim:
    """A key claimed for this write, or the answer an earlier write with it got."""

    row: IdempotencyKey | None
    replay_status: int = 0
    replay_body: Any = None

    @property
    def replay(self) -> bool:
        """Whether this is a retry that must get the earlier answer."""
        return self.replay_status != 0

    def complete(self, status_code: int, body: Any) -> None:
        """Keep the write's answer with its key (in the same transaction)."""
        if self.row is not None:
            self.row.status_code = status_code
            self.row.body = body


def checked_key(key: str | None) -> str | None:
    """The key as sent, or a 422 naming the header when it is malformed."""
    if key is not None and not _KEY.fullmatch(key):
        raise InvalidInput.field(
            HEADER, "must be 1 to 128 characters of letters, digits, '.', '_', ':' and '-'"
        )
    return key


def request_hash(what: str, body: Any) -> str:
    """A fingerprint of the request a key was sent with: its target and its body."""
    text = json.dumps([what, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _owner(principal: Principal) -> str:
    return str(principal.token_id) if principal.token_id else principal.actor


async def claim(
    session: AsyncSession, principal: Principal, key: str | None, fingerprint: str
) -> Claim:
    """Claim `key` for this write, or find the answer the first write with it got."""
    if key is None:
        return Claim(None)
    owner = _owner(principal)
    connection = await session.connection()
    values: dict[str, Any] = {
        "owner": owner,
        "key": key,
        "request_hash": fingerprint,
        "status_code": 0,
    }
    table = IdempotencyKey.__table__  # type: ignore[attr-defined]
    dialect = connection.dialect.name
    insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    row = IdempotencyKey(**values)
    inserted = await session.execute(
        insert.values(
            id=row.id,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=1,
            **values,
        )
        .on_conflict_do_nothing(index_elements=["owner", "key"])
        .returning(table.c.id)
    )
    if inserted.first() is not None:
        stored = await session.get(IdempotencyKey, row.id)
        return Claim(stored)
    earlier = await session.scalar(
        select(IdempotencyKey)
        .where(col(IdempotencyKey.owner) == owner, col(IdempotencyKey.key) == key)
        .execution_options(populate_existing=True)
    )
    if earlier is None or earlier.status_code == 0:  # pragma: no cover - rolled back meanwhile
        raise InvalidInput.field(HEADER, "a request with this key is still being processed")
    if earlier.request_hash != fingerprint:
        raise InvalidInput.field(
            HEADER, "was already used for a different request; use a new key for a new upload"
        )
    return Claim(None, earlier.status_code, earlier.body)
