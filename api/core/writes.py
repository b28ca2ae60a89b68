"""Versions and writes: ETags, conditional writes, partial updates, and flushes that lose races
cleanly."""

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import object_session
from sqlalchemy.orm.exc import StaleDataError

from api.core.db import RecordBase, utcnow
from api.core.errors import Conflict, InvalidInput, PreconditionFailed


def etag(record: RecordBase) -> str:
    """The strong ETag of a record's current version."""
    return f'"{record.id}:{record.version}"'


# Strong ETags only: If-Match compares strongly (RFC 9110 13.1.1), so W/"…" never matches.
_ETAG_RE = re.compile(r'^"(?P<id>[0-9a-fA-F-]{36}):(?P<version>\d{1,18})"$')
_CONDITIONAL = "pizzabox_conditional_write"


# What a write may be conditional on: an `If-Match` header (REST) or an expected version (GraphQL).
Precondition = str | int | None


def check_if_match(record: RecordBase, if_match: Precondition) -> None:
    """Refuse a write whose `If-Match` (or expected version) is not the stored one (412)."""
    if if_match is None:
        return
    session = object_session(record)
    if session is not None:
        # A race lost at the UPDATE is then a failed precondition too (see `flush`).
        session.info[_CONDITIONAL] = True
    if isinstance(if_match, int):
        if if_match != record.version:
            raise PreconditionFailed(
                f"expected version {if_match} but the record is at version {record.version}"
            )
        return
    candidates = [part.strip() for part in if_match.split(",") if part.strip()]
    if "*" in candidates:
        return
    for candidate in candidates:
        match = _ETAG_RE.match(candidate)
        if (
            match
            and match["id"].lower() == str(record.id)
            and int(match["version"]) == record.version
        ):
            return
    raise PreconditionFailed(
        f"If-Match does not match the current version {etag(record)}; read the record again"
    )


def stamp(record: RecordBase, moment: str, *, at: datetime | None = None) -> bool:
    """Set `moment` (`archived_at`, `revoked_at`, `withdrawn_at`) to now, or `at`, once: True
    when it was set now, False when it had been set before, which stays as it was."""
    if getattr(record, moment) is not None:
        return False
    now = at or utcnow()
    setattr(record, moment, now)
    record.updated_at = now
    return True


def apply_changes(
    record: RecordBase, changes: Mapping[str, Any], *, required: frozenset[str]
) -> dict[str, tuple[Any, Any]]:
    """Set the given fields, refusing null for required ones; returns {field: (old, new)}."""
    nulls = [name for name, value in changes.items() if value is None and name in required]
    if nulls:
        raise InvalidInput(
            "; ".join(f"{name}: may not be null" for name in nulls),
            [InvalidInput.field(name, "may not be null").errors[0] for name in nulls],
        )
    changed: dict[str, tuple[Any, Any]] = {}
    for name, value in changes.items():
        old = getattr(record, name)
        if old != value:
            setattr(record, name, value)
            changed[name] = (old, value)
    if changed:
        record.updated_at = utcnow()
    return changed


async def flush(session: AsyncSession) -> None:
    """Flush, turning a lost race into the error a client can act on."""
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("the change conflicts with another record (duplicate or missing)") from exc
    except StaleDataError as exc:
        if session.info.get(_CONDITIONAL):
            raise PreconditionFailed(
                "the record was changed by someone else; read it again"
            ) from exc
        # No precondition was sent, so none failed: two unconditional writes collided.
        raise Conflict(
            "the record was changed by someone else at the same moment; read it again and retry"
        ) from exc
