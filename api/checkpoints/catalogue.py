"""The catalogue of checkpoint kinds: the built-in default until an admin first changes it,
then the stored kinds (the default is stored whole on that first change, so nothing is lost)."""

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.checkpoints.models import CheckpointKind, SignOff
from api.checkpoints.policy import CHECKPOINT_KINDS
from api.checkpoints.schemas import KindCreate, KindUpdate
from api.core.access import Principal, Role
from api.core.db import utcnow
from api.core.errors import Conflict, FieldError, InvalidInput, NotFound
from api.core.writes import Precondition, apply_changes, check_if_match, flush, stamp
from api.products.models import DataClassification

_NAMESPACE = uuid.UUID("5b0e3c1e-3d0c-4f57-9a44-0c6b5f1e9a10")
_ALL = [classification.value for classification in DataClassification]
_SENSITIVE = [DataClassification.CONFIDENTIAL.value, DataClassification.RESTRICTED.value]

DEFAULT_KINDS: tuple[dict[str, Any], ...] = (
    {
        "key": "resiliency",
        "name": "Resiliency",
        "description": "Survives the loss of an instance, a zone and a dependency; load and "
        "failover tests pass.",
        "required_for": _ALL,
        "blocking": True,
        "sign_off": SignOff.AUTOMATIC,
        "reviewer_role": None,
        "retest_interval_days": 90,
    },
    {
        "key": "durability",
        "name": "Durability",
        "description": "Backups are taken and a restore has been tested; no acknowledged write "
        "is lost.",
        "required_for": _ALL,
        "blocking": True,
        "sign_off": SignOff.AUTOMATIC,
        "reviewer_role": None,
        "retest_interval_days": 90,
    },
    {
        "key": "security_posture",
        "name": "Security posture",
        "description": "Access management, encryption in transit and at rest, and data "
        "protection at every stage.",
        "required_for": _ALL,
        "blocking": True,
        "sign_off": SignOff.REVIEWER,
        "reviewer_role": Role.SECURITY_REVIEWER.value,
        "retest_interval_days": 180,
    },
    {
        "key": "appsec_review",
        "name": "Application security review",
        "description": "A formal review with positive and negative testing, white box and "
        "black box.",
        "required_for": [DataClassification.INTERNAL.value, *_SENSITIVE],
        "blocking": True,
        "sign_off": SignOff.REVIEWER,
        "reviewer_role": Role.SECURITY_REVIEWER.value,
        "retest_interval_days": 365,
    },
    {
        "key": "operational_readiness",
        "name": "Operational readiness",
        "description": "Runbooks, alarms, dashboards and an on-call rotation are in place.",
        "required_for": _ALL,
        "blocking": False,
        "sign_off": SignOff.AUTOMATIC,
        "reviewer_role": None,
        "retest_interval_days": None,
    },
)


def _default_kinds(now: datetime) -> list[CheckpointKind]:
    # A microsecond apart, so the stored catalogue keeps the default's order.
    return [
        CheckpointKind(
            id=uuid.uuid5(_NAMESPACE, spec["key"]),
            created_at=now + timedelta(microseconds=position),
            updated_at=now,
            **spec,
        )
        for position, spec in enumerate(DEFAULT_KINDS)
    ]


async def _stored(session: AsyncSession, *, lock: bool = False) -> list[CheckpointKind]:
    statement = select(CheckpointKind).order_by(
        col(CheckpointKind.created_at), col(CheckpointKind.key)
    )
    if lock:
        statement = statement.with_for_update()
    return list(await session.scalars(statement))


async def load_kinds(session: AsyncSession) -> list[CheckpointKind]:
    """Every kind, archived ones included, in catalogue order; the default until changed."""
    return await _stored(session) or _default_kinds(utcnow())


def find_kind(kinds: Sequence[CheckpointKind], key: str, *, live: bool = True) -> CheckpointKind:
    """The kind `key` names among `kinds`; 404 when there is none (or, with `live`, it is
    archived)."""
    for kind in kinds:
        if kind.key == key and (kind.archived_at is None or not live):
            return kind
    raise NotFound(f"no checkpoint kind {key!r}")


async def list_kinds(
    session: AsyncSession, *, include_archived: bool, principal: Principal
) -> list[CheckpointKind]:
    """The catalogue as the caller may read it."""
    CHECKPOINT_KINDS.check(principal, "read")
    kinds = await load_kinds(session)
    return [kind for kind in kinds if include_archived or kind.archived_at is None]


async def get_kind(session: AsyncSession, key: str, *, principal: Principal) -> CheckpointKind:
    """One kind, archived or not."""
    CHECKPOINT_KINDS.check(principal, "read")
    return find_kind(await load_kinds(session), key, live=False)


async def _editable(session: AsyncSession) -> list[CheckpointKind]:
    # The first change stores the default catalogue, then applies itself to the stored kinds.
    stored = await _stored(session, lock=True)
    if not stored:
        stored = _default_kinds(utcnow())
        session.add_all(stored)
        await flush(session)
    return stored


def _check_reviewer(sign_off: SignOff, role: str | None) -> None:
    if sign_off == SignOff.REVIEWER and role is None:
        raise InvalidInput.field("reviewer_role", "a reviewer kind needs the role that signs off")
    if sign_off == SignOff.AUTOMATIC and role is not None:
        raise InvalidInput.field("reviewer_role", "an automatic kind has no reviewer")


async def create_kind(
    session: AsyncSession, *, data: KindCreate, principal: Principal
) -> CheckpointKind:
    """Add a kind to the catalogue; products gain it at once where it is required."""
    CHECKPOINT_KINDS.check(principal, "manage")
    _check_reviewer(data.sign_off, data.reviewer_role)
    kinds = await _editable(session)
    if any(kind.key == data.key for kind in kinds):
        raise Conflict(
            f"a checkpoint kind {data.key!r} already exists", [FieldError("key", "is taken")]
        )
    values = data.model_dump(mode="json")
    kind = CheckpointKind(**{**values, "sign_off": data.sign_off})
    session.add(kind)
    await flush(session)
    return kind


async def update_kind(
    session: AsyncSession,
    key: str,
    *,
    data: KindUpdate,
    if_match: Precondition,
    principal: Principal,
) -> CheckpointKind:
    """Change a kind; every product's checkpoints follow at once."""
    CHECKPOINT_KINDS.check(principal, "manage")
    kind = find_kind(await _editable(session), key, live=False)
    check_if_match(kind, if_match)
    changes = data.model_dump(exclude_unset=True, mode="json")
    if "sign_off" in changes:
        changes["sign_off"] = SignOff(changes["sign_off"])
    merged = {"sign_off": kind.sign_off, "reviewer_role": kind.reviewer_role, **changes}
    _check_reviewer(merged["sign_off"], merged["reviewer_role"])
    apply_changes(
        kind,
        changes,
        required=frozenset({"name", "description", "required_for", "blocking", "sign_off"}),
    )
    await flush(session)
    return kind


async def archive_kind(
    session: AsyncSession, key: str, *, if_match: Precondition, principal: Principal
) -> CheckpointKind:
    """Take a kind out of the catalogue: no product needs it any more; its history stays."""
    CHECKPOINT_KINDS.check(principal, "manage")
    kind = find_kind(await _editable(session), key, live=False)
    check_if_match(kind, if_match)
    if stamp(kind, "archived_at"):
        await flush(session)
    return kind
