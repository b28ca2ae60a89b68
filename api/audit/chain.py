"""Tamper evidence for the audit trail: events sealed into keyed hash chains, and the check.

Every event is a link in one of `CHAINS` chains: its digest is the HMAC-SHA256 of the previous
link's digest and the event's canonical form, so changing, removing, reordering or slipping in an
event breaks its chain where it happened. `audit_chain_heads` holds where each chain ends. A
transaction that writes events appends to one chain that no other transaction holds (see
`api.audit.seal`), so the trail does not serialise writers behind one lock.

The key is `PIZZABOX_AUDIT_KEY`; without it a fixed public key is used, which catches edits by
anyone who does not recompute the chain, but not by someone who does. This module holds no
database or model code, so the engine set-up, the flush listener, the migration and the check
can all share one definition of a link.
"""

import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import SecretStr

from api.core.db import AUDIT_SECRET_INFO

# Fixed: changing it would need a migration that adds or folds heads, and a new format version.
CHAINS = 32
FORMAT = "pizzabox-audit-v1"
# Public on purpose: without PIZZABOX_AUDIT_KEY the chain is a checksum anyone can recompute.
PUBLIC_KEY = b"pizzabox-audit-public-key-v1"
# `Session.info` key: the chain a transaction holds (the secret is the sessionmaker's, see
# api.core.db.AUDIT_SECRET_INFO).
CHAIN_INFO = "audit_chain"

# The columns a link covers, in order: every column of an event but its own position and digest,
# which are added after them.
EVENT_FIELDS = (
    "id",
    "created_at",
    "updated_at",
    "version",
    "kind",
    "action",
    "record_type",
    "record_id",
    "parent_type",
    "parent_id",
    "actor",
    "token_id",
    "person_id",
    "request_id",
    "changes",
)
_DIGEST = re.compile(r"^[0-9a-f]{64}$")

ProblemKind = Literal["changed", "deleted", "inserted"]


def signing_key(secret: SecretStr | None) -> bytes:
    """The HMAC key for a configured `PIZZABOX_AUDIT_KEY`, or the public one without it."""
    return secret.get_secret_value().encode() if secret is not None else PUBLIC_KEY


def key_of(session_info: Mapping[str, Any]) -> bytes:
    """The key a session seals and checks with; set where its sessionmaker was made."""
    if AUDIT_SECRET_INFO not in session_info:
        raise RuntimeError("audit sessions must come from api.core.db.create_sessionmaker")
    secret: SecretStr | None = session_info[AUDIT_SECRET_INFO]
    return signing_key(secret)


def _moment(value: datetime) -> str:
    # Microseconds always written out: both databases keep them, and "…:05" and "…:05.000000"
    # must not become two forms of one moment.
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def canonical(event: Mapping[Any, Any]) -> bytes:
    """One event's columns as the bytes its link covers: stable across SQLite and PostgreSQL."""
    values: list[Any] = [FORMAT]
    for name in EVENT_FIELDS:
        value = event[name]
        if name in {"created_at", "updated_at"}:
            values.append(_moment(value))
        elif name in {"version", "changes"}:
            values.append(value)
        else:
            values.append(_text(value))
    values += [int(event["chain"]), int(event["chain_seq"])]
    # Sorted keys and no spaces: a JSON column hands back equal values, not equal text.
    return json.dumps(values, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def link(key: bytes, previous: str, event: Mapping[Any, Any]) -> str:
    """The digest of `event` following the link whose digest is `previous`."""
    return hmac.new(key, previous.encode() + canonical(event), hashlib.sha256).hexdigest()


def genesis(key: bytes, chain: int) -> str:
    """The digest a chain starts from; keyed, so re-seeding emptied heads needs the key too."""
    return hmac.new(key, f"{FORMAT} genesis {chain}".encode(), hashlib.sha256).hexdigest()


def genesis_heads(key: bytes) -> list[dict[str, Any]]:
    """The `audit_chain_heads` rows of a trail with no events."""
    return [{"chain": chain, "seq": 0, "digest": genesis(key, chain)} for chain in range(CHAINS)]


@dataclass(frozen=True)
class Head:
    """Where a chain has got to: its last position and that link's digest."""

    chain: int
    seq: int
    digest: str


@dataclass(frozen=True)
class Problem:
    """One sign of tampering: which event (when one is left to name), where, and what."""

    kind: ProblemKind
    detail: str
    event_id: uuid.UUID | None = None
    chain: int | None = None
    seq: int | None = None

    @property
    def order(self) -> tuple[int, str, int, int]:
        """Events by id (time-ordered UUIDv7), then what names no event, by place."""
        if self.event_id is not None:
            return (0, str(self.event_id), 0, 0)
        return (1, "", self.chain if self.chain is not None else -1, self.seq or 0)


@dataclass
class Verdict:
    """What a check of the whole trail found."""

    events_checked: int
    chains_checked: int
    problems_found: int
    problems: list[Problem]
    heads: list[Head]
    keyed: bool

    @property
    def intact(self) -> bool:
        """No sign of tampering."""
        return self.problems_found == 0

    @property
    def first_problem(self) -> Problem | None:
        """The problem at the earliest event, the one to look at first."""
        return self.problems[0] if self.problems else None


@dataclass
class _Walk:
    """The state of one chain while its events go by."""

    chain: int
    previous: str | None
    expected_seq: int = 1
    last_id: uuid.UUID | None = None
    last_seq: int = 0


@dataclass
class TrailCheck:
    """Checks events fed in (chain, chain_seq) order against the heads read before the first.

    Written so that writers may keep writing meanwhile: anything committed before the check began
    is covered by `heads_before`, and an event past those heads is only counted as slipped in if it
    is past the heads read after the last event, too (a real write moves its head in the same
    transaction). `anchors` are heads recorded outside the database by an earlier check: each
    chain must still reach them, through the same digests.
    """

    key: bytes
    heads_before: Mapping[int, Head]
    anchors: Mapping[int, Head] = field(default_factory=dict)
    max_problems: int = 100
    events_checked: int = 0
    _problems: list[Problem] = field(default_factory=list)
    _found: int = 0
    _walk: _Walk | None = None
    # The last event and position of each chain walked so far.
    _reached: dict[int, tuple[uuid.UUID | None, int]] = field(default_factory=dict)
    # Events past the heads read first, with the problem their link had (if any).
    _past_head: list[tuple[Problem | None, uuid.UUID, int, int]] = field(default_factory=list)

    def _report(self, problem: Problem) -> None:
        self._found += 1
        self._problems.append(problem)
        if len(self._problems) > 4 * self.max_problems:
            self._problems = sorted(self._problems, key=lambda p: p.order)[: self.max_problems]

    def _begin(self, chain: int) -> _Walk:
        self._close()
        self._walk = _Walk(chain=chain, previous=genesis(self.key, chain))
        return self._walk

    def _close(self) -> None:
        walk = self._walk
        if walk is not None:
            self._reached[walk.chain] = (walk.last_id, walk.last_seq)
            self._check_length(walk.chain)
        self._walk = None

    def _check_length(self, chain: int) -> None:
        """A chain must reach its head, and any head recorded earlier."""
        last_id, last_seq = self._reached.get(chain, (None, 0))
        head, anchor = self.heads_before.get(chain), self.anchors.get(chain)
        reached, says = 0, ""
        if head is not None and head.seq > reached:
            reached, says = head.seq, "its head says it reached"
        if anchor is not None and anchor.seq > reached:
            reached, says = anchor.seq, "when its heads were recorded it had reached"
        if last_seq < reached:
            where = f"its last event is at {last_seq}" if last_id else "no event is left"
            self._report(
                Problem(
                    "deleted",
                    f"{_positions(last_seq + 1, reached)} of chain {chain} are gone: {says} "
                    f"{reached}, {where}",
                    event_id=last_id,
                    chain=chain,
                    seq=last_seq + 1,
                )
            )

    def add(self, event: Mapping[Any, Any]) -> None:
        """Check the next event; events come ordered by (chain, chain_seq, id)."""
        self.events_checked += 1
        chain, seq, event_id = int(event["chain"]), int(event["chain_seq"]), event["id"]
        # NOT NULL in the schema; a dropped constraint must not stop the check.
        digest = str(event["digest"] or "")
        walk = self._walk if self._walk and self._walk.chain == chain else self._begin(chain)
        where = {"event_id": event_id, "chain": chain, "seq": seq}
        if not 0 <= chain < CHAINS:
            self._report(
                Problem("inserted", f"it is on chain {chain}, which Pizzabox never writes", **where)
            )
            return
        if not _DIGEST.match(digest):
            self._report(
                Problem(
                    "inserted",
                    "its digest is not one Pizzabox writes: it was put there behind the API's back",
                    **where,
                )
            )
            walk.previous, walk.expected_seq = None, max(walk.expected_seq, seq + 1)
            walk.last_id, walk.last_seq = event_id, max(walk.last_seq, seq)
            return
        if seq < walk.expected_seq:
            self._report(
                Problem(
                    "inserted",
                    f"position {seq} of chain {chain} already has an event, or "
                    "is not a position at all",
                    **where,
                )
            )
            return
        if seq > walk.expected_seq:
            self._report(
                Problem(
                    "deleted",
                    f"{_positions(walk.expected_seq, seq - 1)} of chain {chain}, just before this "
                    "one, are gone",
                    event_id=event_id,
                    chain=chain,
                    seq=walk.expected_seq,
                )
            )
            # The missing link's digest is gone with it: this event's own link cannot be checked.
            walk.previous = None
        problem: Problem | None = None
        if walk.previous is not None and not hmac.compare_digest(
            link(self.key, walk.previous, event), digest
        ):
            problem = Problem(
                "changed",
                "its columns no longer match its digest: it was changed after it was written "
                "(or written with another key)",
                **where,
            )
        head = self.heads_before.get(chain)
        if problem is None and head is not None and seq == head.seq and digest != head.digest:
            problem = Problem(
                "changed",
                f"the head of chain {chain} records another digest for this position: the event "
                "there was replaced",
                **where,
            )
        anchor = self.anchors.get(chain)
        if problem is None and anchor is not None and seq == anchor.seq and digest != anchor.digest:
            problem = Problem(
                "changed",
                "when the heads were recorded this position had another digest: the chain was "
                "rewritten up to here",
                **where,
            )
        if head is None or seq > head.seq:
            # Settled in `finish`: a write that committed while the check ran, or slipped in.
            self._past_head.append((problem, event_id, chain, seq))
        elif problem is not None:
            self._report(problem)
        walk.previous, walk.expected_seq = digest, seq + 1
        walk.last_id, walk.last_seq = event_id, seq

    def finish(self, heads_after: Mapping[int, Head]) -> Verdict:
        """The verdict, given the heads read after the last event."""
        self._close()
        for problem, event_id, chain, seq in self._past_head:
            head = heads_after.get(chain)
            if 0 <= chain < CHAINS and (head is None or seq > head.seq):
                self._report(
                    Problem(
                        "inserted",
                        f"it is past the head of chain {chain} "
                        f"({'missing' if head is None else f'at {head.seq}'}): "
                        "it was put there behind the API's back",
                        event_id=event_id,
                        chain=chain,
                        seq=seq,
                    )
                )
            elif problem is not None:
                self._report(problem)
        for chain in range(CHAINS):
            head = self.heads_before.get(chain)
            if head is None:
                self._report(Problem("deleted", f"the head of chain {chain} is gone", chain=chain))
            if chain in self._reached:
                continue
            self._check_length(chain)
            if head is not None and head.seq == 0 and head.digest != genesis(self.key, chain):
                self._report(
                    Problem(
                        "changed",
                        f"the head of chain {chain} does not start from this key's genesis "
                        "digest: the heads were re-seeded, or the key changed",
                        chain=chain,
                        seq=0,
                    )
                )
        for chain in sorted(set(self.heads_before) - set(range(CHAINS))):
            self._report(
                Problem(
                    "inserted",
                    f"a head for chain {chain}, which Pizzabox never writes",
                    chain=chain,
                )
            )
        problems = sorted(self._problems, key=lambda p: p.order)[: self.max_problems]
        return Verdict(
            events_checked=self.events_checked,
            chains_checked=CHAINS,
            problems_found=self._found,
            problems=problems,
            heads=[heads_after[chain] for chain in sorted(heads_after)],
            keyed=self.key != PUBLIC_KEY,
        )


def _positions(first: int, last: int) -> str:
    return f"event {first}" if first == last else f"events {first} to {last}"


def heads_by_chain(rows: Iterable[Mapping[Any, Any]]) -> dict[int, Head]:
    """Head rows keyed by chain."""
    return {
        int(row["chain"]): Head(int(row["chain"]), int(row["seq"]), str(row["digest"]))
        for row in rows
    }
