"""Sealing a flush's audit events into one of the trail's hash chains (see `api.audit.chain`).

A transaction appends to one chain and holds that chain's head row until it ends, so a later
flush of the same transaction extends the same chain and never waits for a second one.

Writers must not queue behind each other, nor pay round trips for the trail: a write transaction
runs only a handful of statements, so one more shows. Each process keeps hints per engine: which
chains its own transactions hold right now, and where each chain ended when it last moved it.
Usually a writer takes a chain no local transaction holds, links its events from the remembered
end, and moves the head in one statement that also checks that the head is still there and that
no other transaction holds it (`SKIP LOCKED`). On PostgreSQL that statement inserts the events as
well (a data-modifying CTE), so the flush has no INSERT of its own for them and the trail costs no
round trip. When a hint is wrong (another process moved the chain, or a transaction rolled back),
the writer reads the head under lock and moves it with a second statement, and the flush inserts
the events as usual. The database decides; the hints only save round trips.
"""

import functools
import random
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import (
    Connection,
    Engine,
    Insert,
    bindparam,
    event,
    exists,
    func,
    insert,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session, SessionTransaction

from api.audit.chain import CHAIN_INFO, CHAINS, EVENT_FIELDS, key_of, link
from api.audit.models import AuditChainHead, AuditEvent

_HEADS = AuditChainHead.__table__  # type: ignore[attr-defined]
_EVENTS = AuditEvent.__table__  # type: ignore[attr-defined]
_EVENT_COLUMNS = [column.name for column in _EVENTS.columns]
_COLUMNS = (_HEADS.c.chain, _HEADS.c.seq, _HEADS.c.digest)
# Most flushes seal one event or a few; a bulk load's many go through the flush's own INSERT,
# batched, rather than one statement per count, each with 18 parameters an event.
_RIDE_ALONG = 16

# Built once: they run in every writing transaction, so even their construction shows.
# Move a head from a remembered end, if it is still there and free. Our own lock never counts
# as taken, so a later flush of the transaction that holds it passes too.
_MOVE_FROM = (
    update(_HEADS)
    .where(
        _HEADS.c.chain
        == select(_HEADS.c.chain)
        .where(
            _HEADS.c.chain == bindparam("at_chain"),
            _HEADS.c.seq == bindparam("at_seq"),
            _HEADS.c.digest == bindparam("at_digest"),
        )
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    .values(seq=bindparam("new_seq"), digest=bindparam("new_digest"))
)
# Move a head this transaction has locked.
_MOVE = (
    update(_HEADS)
    .where(_HEADS.c.chain == bindparam("at_chain"))
    .values(seq=bindparam("new_seq"), digest=bindparam("new_digest"))
)
_LOCK_ONE = (
    select(*_COLUMNS)
    .where(_HEADS.c.chain == bindparam("at_chain"))
    .with_for_update(skip_locked=True)
)
# SQLite runs one writer at a time and ignores the clause; PostgreSQL skips busy chains.
_ANY = (
    select(*_COLUMNS).where(_HEADS.c.chain < bindparam("chains")).order_by(func.random()).limit(1)
)
_LOCK_ANY = _ANY.with_for_update(skip_locked=True)
_WAIT_FOR_ANY = _ANY.with_for_update()


class AuditChainError(RuntimeError):
    """Events cannot be sealed: the chains' heads are missing."""


@dataclass
class _Hints:
    """One process's view of one database's chains."""

    held: set[int] = field(default_factory=set)
    ends: dict[int, tuple[int, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def claim(self, chain: int | None = None) -> int | None:
        """A chain for a new transaction: `chain`, or a random one no local transaction holds,
        preferring those this process moved last (several processes then settle on different
        chains, and their hints stay right)."""
        with self.lock:
            if chain is None:
                free = [number for number in self.ends if number not in self.held] or [
                    number for number in range(CHAINS) if number not in self.held
                ]
                if not free:
                    return None
                chain = random.choice(free)
            self.held.add(chain)
            return chain

    def remember(self, chain: int, end: tuple[int, str]) -> None:
        """This process just moved `chain` to `end`."""
        with self.lock:
            self.ends[chain] = end

    def forget(self, chain: int) -> None:
        """The hint for `chain` was wrong: someone else moved it last."""
        with self.lock:
            self.ends.pop(chain, None)

    def release(self, chain: int) -> None:
        """The transaction holding `chain` has ended."""
        with self.lock:
            self.held.discard(chain)


_HINTS: "weakref.WeakKeyDictionary[Engine, _Hints]" = weakref.WeakKeyDictionary()
_HINTS_LOCK = threading.Lock()


def _hints(connection: Connection) -> _Hints:
    with _HINTS_LOCK:
        return _HINTS.setdefault(connection.engine, _Hints())


@dataclass
class _Claim:
    """The chain a session's transaction appends to."""

    hints: _Hints
    chain: int


def _link_all(
    key: bytes, events: Sequence[AuditEvent], chain: int, seq: int, digest: str
) -> tuple[int, str]:
    """Give the events positions after (`seq`, `digest`) on `chain`; the chain's new end."""
    for audit_event in events:
        seq += 1
        audit_event.chain, audit_event.chain_seq = chain, seq
        values = {name: getattr(audit_event, name) for name in EVENT_FIELDS}
        digest = link(key, digest, {**values, "chain": chain, "chain_seq": seq})
        audit_event.digest = digest
    return seq, digest


def _move_from(
    connection: Connection, chain: int, end: tuple[int, str], new_end: tuple[int, str]
) -> bool:
    """Move the head from `end` to `new_end` in one statement, if it is at `end` and free."""
    moved = connection.execute(
        _MOVE_FROM,
        {
            "at_chain": chain,
            "at_seq": end[0],
            "at_digest": end[1],
            "new_seq": new_end[0],
            "new_digest": new_end[1],
        },
    )
    return moved.rowcount == 1


@functools.lru_cache(maxsize=_RIDE_ALONG)
def _insert_moving_head_statement(count: int) -> Insert:
    """The statement of `_insert_moving_head` for `count` events, built once (and so compiled
    once: SQLAlchemy does not cache statements that hold a VALUES list, hence the UNION)."""
    moved = _MOVE_FROM.returning(_HEADS.c.chain).cte("moved")
    rows = [
        select(
            *(
                bindparam(f"{name}_{row}", type_=_EVENTS.c[name].type).label(name)
                for name in _EVENT_COLUMNS
            )
        ).where(exists(select(moved.c.chain)))
        for row in range(count)
    ]
    source = rows[0] if count == 1 else union_all(*rows)
    return insert(_EVENTS).from_select(_EVENT_COLUMNS, source).add_cte(moved)


def _insert_moving_head(
    connection: Connection,
    chain: int,
    end: tuple[int, str],
    new_end: tuple[int, str],
    events: Sequence[AuditEvent],
) -> bool:
    """PostgreSQL: move the head from `end` (if it is there and free) and insert the events, in
    one statement; whether it did. The events then need no INSERT of the flush's own."""
    parameters = {
        "at_chain": chain,
        "at_seq": end[0],
        "at_digest": end[1],
        "new_seq": new_end[0],
        "new_digest": new_end[1],
    }
    for row, audit_event in enumerate(events):
        for name in _EVENT_COLUMNS:
            parameters[f"{name}_{row}"] = getattr(audit_event, name)
    inserted = connection.execute(_insert_moving_head_statement(len(events)), parameters)
    return inserted.rowcount == len(events)


def _lock_head(connection: Connection, chain: int | None) -> tuple[int, int, str] | None:
    """Lock and read a head: `chain`'s if it is free, else a random free one, else wait."""
    row = None
    if chain is not None:
        row = connection.execute(_LOCK_ONE, {"at_chain": chain}).first()
    if row is None:
        row = connection.execute(_LOCK_ANY, {"chains": CHAINS}).first()
        if row is None:
            # Every chain is busy: queue for one.
            row = connection.execute(_WAIT_FOR_ANY, {"chains": CHAINS}).first()
    return (int(row.chain), int(row.seq), str(row.digest)) if row is not None else None


def seal(session: Session, events: Sequence[AuditEvent]) -> None:
    """Give each new event its place in a chain and its digest, and move the chain's head."""
    key = key_of(session.info)
    connection = session.connection()
    # Within one transaction, positions follow the events' time-ordered ids.
    ordered = sorted(events, key=lambda item: item.id)
    claim: _Claim | None = session.info.get(CHAIN_INFO)
    if claim is None:
        hints = _hints(connection)
        chain = hints.claim()
        if chain is not None:
            claim = session.info[CHAIN_INFO] = _Claim(hints, chain)
    if claim is not None:
        end = claim.hints.ends.get(claim.chain)
        if end is not None:
            new_end = _link_all(key, ordered, claim.chain, *end)
            if connection.dialect.name == "postgresql" and len(ordered) <= _RIDE_ALONG:
                # The events ride in the statement that moves the head: no round trip added.
                if _insert_moving_head(connection, claim.chain, end, new_end, ordered):
                    for audit_event in ordered:
                        session.expunge(audit_event)
                    claim.hints.remember(claim.chain, new_end)
                    return
            elif _move_from(connection, claim.chain, end, new_end):
                claim.hints.remember(claim.chain, new_end)
                return
            claim.hints.forget(claim.chain)
    head = _lock_head(connection, claim.chain if claim else None)
    if head is None:
        raise AuditChainError("the audit chain heads are missing; run `pizzabox db upgrade`")
    chain, seq, digest = head
    if claim is None or claim.chain != chain:
        # Another process had the chain: hold the one the database gave instead.
        if claim is not None:
            claim.hints.release(claim.chain)
        hints = _hints(connection)
        hints.claim(chain)
        claim = session.info[CHAIN_INFO] = _Claim(hints, chain)
    new_end = _link_all(key, ordered, chain, seq, digest)
    # A Core UPDATE: the head is bookkeeping of the trail, not a record with its own history.
    connection.execute(_MOVE, {"at_chain": chain, "new_seq": new_end[0], "new_digest": new_end[1]})
    claim.hints.remember(chain, new_end)


@event.listens_for(Session, "after_transaction_end")
def _release_chain(session: Session, transaction: SessionTransaction) -> None:
    # The row lock ends with the transaction; the next transaction chooses afresh.
    if transaction.parent is None:
        claim: _Claim | None = session.info.pop(CHAIN_INFO, None)
        if claim is not None:
            claim.hints.release(claim.chain)
