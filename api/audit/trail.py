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

from api.audit.models import AuditAction, AuditEvent, AuditKind, RecordType
from api.audit.seal import seal
from api.core.access import Principal
from api.core.db import PRINCIPAL_INFO, RecordBase

# Bookkeeping columns every record has; a change to them alone is not a change worth an event.
_BOOKKEEPING = frozenset({"id", "created_at", "updated_at", "version"})


@dataclass(frozen=True)
class Audited:
    """How one kind of record appears in the trail; a model declares it as `__audit__`.

    A domain says here what its records are called, what never reaches the trail, which
    record a row belongs to, and what a change that sets a timestamp means: the trail itself
    knows no domain.
    """

    name: str
    # Never written to the trail: secrets, and columns that change on every use.
    hidden: frozenset[str] = frozenset()
    parent: tuple[str, str] | None = None  # (parent record type, attribute holding its id)
    # {column: action}: a change that fills this empty column is this action ("archive" when
    # `archived_at` is set). Checked in order; any other change is an "update".
    actions: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        # The trail's names are a closed set the API documents: a new kind of record, or of
        # action, is added to `RecordType` or `AuditAction` first.
        RecordType(self.name)
        if self.parent is not None:
            RecordType(self.parent[0])
        for _, action in self.actions:
            AuditAction(action)


def audited(record: object) -> Audited | None:
    """What the model of `record` declares for the trail; None for unaudited rows."""
    declared: Audited | None = getattr(type(record), "__audit__", None)
    return declared


class MissingPrincipalError(RuntimeError):
    """An audited change was flushed by a session that names no caller."""


class ImmutableRecordError(RuntimeError):
    """Something tried to change or delete an audit event."""


def attach_principal(session: Session, principal: Principal) -> None:
    """Name the caller whose changes this session will flush."""
    session.info[PRINCIPAL_INFO] = principal


def _json_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _changes(record: RecordBase, declared: Audited, *, new: bool) -> dict[str, Any]:
    state = inspect(record)
    changes: dict[str, Any] = {}
    for column in state.mapper.column_attrs:
        key = column.key
        if key in _BOOKKEEPING or key in declared.hidden:
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


def _action(declared: Audited, changes: dict[str, Any]) -> str:
    for column, action in declared.actions:
        change = changes.get(column)
        if change and change["old"] is None and change["new"] is not None:
            return action
    return "update"


def _acting(principal: Principal) -> dict[str, Any]:
    # Who acted, as every event records it: the caller, its token and person, and the request.
    return {
        "actor": principal.actor,
        "token_id": principal.token_id,
        "person_id": principal.person_id,
        "request_id": principal.request_id,
    }


def change_event(
    principal: Principal, record: RecordBase, *, action: str, changes: dict[str, Any]
) -> AuditEvent:
    """An event for one change of one record."""
    declared = audited(record)
    if declared is None:
        raise TypeError(f"{type(record).__name__} declares no `__audit__`")
    parent_type, parent_id = None, None
    if declared.parent is not None:
        parent_type = declared.parent[0]
        parent_id = str(getattr(record, declared.parent[1]))
    return AuditEvent(
        kind=AuditKind.CHANGE,
        action=action,
        record_type=declared.name,
        record_id=str(record.id),
        parent_type=parent_type,
        parent_id=parent_id,
        changes=changes,
        **_acting(principal),
    )


def access_event(principal: Principal, *, record_type: str, record_id: str) -> AuditEvent:
    """An event for a read of a sensitive record, so unusual access can be reviewed."""
    return AuditEvent(
        kind=AuditKind.ACCESS,
        action=AuditAction.READ.value,
        record_type=RecordType(record_type).value,
        record_id=record_id,
        changes={},
        **_acting(principal),
    )


@event.listens_for(Session, "before_flush")
def _audit_before_flush(session: Session, _: UOWTransaction, __: Any) -> None:
    for record in list(session.dirty) + list(session.deleted):
        if isinstance(record, AuditEvent):
            raise ImmutableRecordError("audit events are never changed or deleted")
    changed: list[tuple[RecordBase, Audited, str, dict[str, Any]]] = []
    for record in session.new:
        if (declared := audited(record)) is not None:
            changed.append((record, declared, "create", _changes(record, declared, new=True)))
    for record in session.dirty:
        if (declared := audited(record)) is not None and session.is_modified(record):
            changes = _changes(record, declared, new=False)
            if changes:
                changed.append((record, declared, _action(declared, changes), changes))
    for record in session.deleted:
        if (declared := audited(record)) is not None:
            changed.append((record, declared, "delete", {}))
    if changed:
        principal: Principal | None = session.info.get(PRINCIPAL_INFO)
        if principal is None or not principal.authenticated:
            # Every change has an author: a writer that names none is a bug, never "system".
            raise MissingPrincipalError(
                "an audited change was flushed without a principal; call attach_principal first"
            )
        session.add_all(
            [
                change_event(principal, record, action=action, changes=changes)
                for record, _, action, changes in changed
            ]
        )
    # Events a service added itself (access events) are sealed with the ones made here.
    unsealed = [record for record in session.new if isinstance(record, AuditEvent)]
    if unsealed:
        seal(session, unsealed)
