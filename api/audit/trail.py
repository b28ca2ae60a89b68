"""The audit trail: every change to a record is written as an event in the same flush.

One `before_flush` listener sees every insert, update and delete that goes through the ORM, REST
or GraphQL alike, so no service can forget it, and an event rolls back with its change. The
actor comes from `session.info`, which the per-request session fills in. The same listener seals
the flush's events into the trail's hash chains (`api.audit.seal`), so they are tamper-evident.
"""

import enum
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, UOWTransaction

from api.audit.models import AuditEvent, AuditKind
from api.audit.seal import seal
from api.core.access import SYSTEM, Principal
from api.core.db import RecordBase
from api.identity.models import ApiToken
from api.people.models import Person
from api.products.models import Product
from api.teams.health.models import TeamSizeException, TeamSizeGuideline
from api.teams.models import Membership, Team

PRINCIPAL_KEY = "principal"

# Bookkeeping columns every record has; a change to them alone is not a change worth an event.
_BOOKKEEPING = frozenset({"id", "created_at", "updated_at", "version"})


@dataclass(frozen=True)
class AuditedType:
    """How one kind of record appears in the trail."""

    name: str
    # Never written to the trail: secrets, and columns that change on every use.
    hidden: frozenset[str] = frozenset()
    parent: tuple[str, str] | None = None  # (parent record type, attribute holding its id)


AUDITED: dict[type[RecordBase], AuditedType] = {
    Person: AuditedType("person"),
    Team: AuditedType("team"),
    Membership: AuditedType("membership", parent=("team", "team_id")),
    Product: AuditedType("product"),
    ApiToken: AuditedType("token", hidden=frozenset({"secret_hash", "last_used_at"})),
    TeamSizeGuideline: AuditedType("team_size_guideline"),
    TeamSizeException: AuditedType("team_size_exception", parent=("team", "team_id")),
}


class ImmutableRecordError(RuntimeError):
    """Something tried to change or delete an audit event."""


def attach_principal(session: Session, principal: Principal) -> None:
    """Name the caller whose changes this session will flush."""
    session.info[PRINCIPAL_KEY] = principal


def _json_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _changes(record: RecordBase, audited: AuditedType, *, new: bool) -> dict[str, Any]:
    state = inspect(record)
    changes: dict[str, Any] = {}
    for column in state.mapper.column_attrs:
        key = column.key
        if key in _BOOKKEEPING or key in audited.hidden:
            continue
        if new:
            value = getattr(record, key)
            if value is not None:
                changes[key] = {"old": None, "new": _json_value(value)}
            continue
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        value = history.added[0] if history.added else None
        if old != value:
            changes[key] = {"old": _json_value(old), "new": _json_value(value)}
    return changes


def _action(record: RecordBase, changes: dict[str, Any], *, new: bool) -> str:
    if new:
        return "create"
    archived = changes.get("archived_at")
    if archived and archived["old"] is None and archived["new"] is not None:
        return "archive"
    ended = changes.get("end_date")
    if isinstance(record, Membership) and ended and ended["old"] is None:
        return "end"
    withdrawn = changes.get("withdrawn_at")
    if withdrawn and withdrawn["old"] is None and withdrawn["new"] is not None:
        return "withdraw"
    revoked = changes.get("revoked_at")
    if isinstance(record, ApiToken) and revoked and revoked["old"] is None:
        return "revoke"
    return "update"


def change_event(
    principal: Principal, record: RecordBase, *, action: str, changes: dict[str, Any]
) -> AuditEvent:
    """An event for one change of one record."""
    audited = AUDITED[type(record)]
    parent_type, parent_id = None, None
    if audited.parent is not None:
        parent_type = audited.parent[0]
        parent_id = str(getattr(record, audited.parent[1]))
    return AuditEvent(
        kind=AuditKind.CHANGE,
        action=action,
        record_type=audited.name,
        record_id=str(record.id),
        parent_type=parent_type,
        parent_id=parent_id,
        actor=principal.actor,
        token_id=principal.token_id,
        person_id=principal.person_id,
        request_id=principal.request_id,
        changes=changes,
    )


def access_event(principal: Principal, *, record_type: str, record_id: str) -> AuditEvent:
    """An event for a read of a sensitive record, so unusual access can be reviewed."""
    return AuditEvent(
        kind=AuditKind.ACCESS,
        action="read",
        record_type=record_type,
        record_id=record_id,
        actor=principal.actor,
        token_id=principal.token_id,
        person_id=principal.person_id,
        request_id=principal.request_id,
        changes={},
    )


@event.listens_for(Session, "before_flush")
def _audit_before_flush(session: Session, _: UOWTransaction, __: Any) -> None:
    principal: Principal = session.info.get(PRINCIPAL_KEY) or SYSTEM
    for record in list(session.dirty) + list(session.deleted):
        if isinstance(record, AuditEvent):
            raise ImmutableRecordError("audit events are never changed or deleted")
    events: list[AuditEvent] = []
    for record in session.new:
        if type(record) in AUDITED:
            changes = _changes(record, AUDITED[type(record)], new=True)
            events.append(change_event(principal, record, action="create", changes=changes))
    for record in session.dirty:
        if type(record) in AUDITED and session.is_modified(record):
            changes = _changes(record, AUDITED[type(record)], new=False)
            if changes:
                action = _action(record, changes, new=False)
                events.append(change_event(principal, record, action=action, changes=changes))
    for record in session.deleted:
        if type(record) in AUDITED:
            events.append(change_event(principal, record, action="delete", changes={}))
    session.add_all(events)
    # Events a service added itself (access events) are sealed with the ones made here.
    unsealed = [record for record in session.new if isinstance(record, AuditEvent)]
    if unsealed:
        seal(session, unsealed)
