"""Checking the audit trail for tampering: behind `pizzabox audit verify` and
`GET /api/v1/audit-events/verify`."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit.chain import EVENT_FIELDS, Head, TrailCheck, Verdict, heads_by_chain, key_of
from api.audit.models import AuditChainHead, AuditEvent
from api.audit.schemas import AuditVerification

# Events read per query: a long trail is walked in pages, never loaded at once.
BATCH_SIZE = 1000
MAX_PROBLEMS = 100

_EVENTS: Table = AuditEvent.__table__  # type: ignore[attr-defined]
_HEADS: Table = AuditChainHead.__table__  # type: ignore[attr-defined]
_COLUMNS = [_EVENTS.c[name] for name in (*EVENT_FIELDS, "chain", "chain_seq", "digest")]
_ORDER = (_EVENTS.c.chain, _EVENTS.c.chain_seq, _EVENTS.c.id)


async def _heads(session: AsyncSession) -> dict[int, Head]:
    rows = await session.execute(select(_HEADS.c.chain, _HEADS.c.seq, _HEADS.c.digest))
    return heads_by_chain(rows.mappings())


async def verify_trail(
    session: AsyncSession,
    *,
    anchors: Mapping[int, Head] | None = None,
    batch_size: int = BATCH_SIZE,
    max_problems: int = MAX_PROBLEMS,
) -> Verdict:
    """Check every event against its chain, with the key the session seals events with, and
    against `anchors`, heads an earlier check reported and someone kept outside the database."""
    check = TrailCheck(
        key=key_of(session.info),
        heads_before=await _heads(session),
        anchors=anchors or {},
        max_problems=max_problems,
    )
    # Keyset pages in (chain, position, id) order; the id keeps a duplicated position (possible
    # only if someone dropped the unique index) from hiding on a page boundary.
    after: tuple[Any, ...] | None = None
    while True:
        query = select(*_COLUMNS).order_by(*_ORDER).limit(batch_size)
        if after is not None:
            query = query.where(tuple_(*_ORDER) > tuple_(*after))
        rows = (await session.execute(query)).mappings().all()
        for row in rows:
            check.add(row)
        if len(rows) < batch_size:
            break
        last = rows[-1]
        after = (last["chain"], last["chain_seq"], last["id"])
    return check.finish(await _heads(session))


def verification(verdict: Verdict) -> AuditVerification:
    """A verdict as REST and `pizzabox audit verify --json` report it."""
    return AuditVerification.model_validate(verdict, from_attributes=True)


def recorded_heads(report: str) -> dict[int, Head]:
    """The heads in a report that `pizzabox audit verify --json` printed earlier."""
    heads = AuditVerification.model_validate_json(report).heads
    return {head.chain: Head(head.chain, head.seq, head.digest) for head in heads}
