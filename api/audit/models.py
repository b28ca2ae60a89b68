"""The audit trail's rows: events, and the heads of its hash chains."""

import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, Index, Integer, String
from sqlmodel import Field, SQLModel

from api.core.db import RecordBase, stored_enum


class AuditKind(StrEnum):
    """A change to a record, or a read of a sensitive one."""

    CHANGE = "change"
    """A record was created, changed, archived or deleted."""
    ACCESS = "access"
    """Something sensitive was read (the audit trail itself, a token list)."""


class AuditEvent(RecordBase, table=True):
    """One change (or sensitive read) with its actor; written in the same transaction, never
    changed afterwards."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_created_at", "created_at"),
        # Sensitive reads counted per person and day (per product: `record_id`).
        Index("ix_audit_events_person_created_at", "person_id", "created_at"),
        # One event per place in a chain; also the order `pizzabox audit verify` reads them in.
        Index("ix_audit_events_chain_position", "chain", "chain_seq", unique=True),
    )

    kind: AuditKind = Field(sa_type=stored_enum(AuditKind, name="kind", length=16))
    action: str = Field(sa_type=String(32))
    record_type: str = Field(sa_type=String(32), index=True)
    record_id: str = Field(sa_type=String(64), index=True)
    # The record this one belongs to (a membership's team), so a team's history shows its roster.
    parent_type: str | None = Field(default=None, sa_type=String(32))
    parent_id: str | None = Field(default=None, sa_type=String(64), index=True)
    actor: str = Field(sa_type=String(200), index=True)
    token_id: uuid.UUID | None = Field(default=None)
    person_id: uuid.UUID | None = Field(default=None)
    request_id: str | None = Field(default=None, sa_type=String(128))
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # Where the event sits in the trail's hash chains, and its link there (see api.audit.chain).
    # Set by the flush listener, never by callers; a row without them is refused.
    chain: int | None = Field(default=None, sa_column=Column(Integer, nullable=False))
    chain_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=False))
    digest: str | None = Field(default=None, sa_column=Column(String(64), nullable=False))


class AuditChainHead(SQLModel, table=True):
    """How far one of the audit trail's hash chains has got; a writer holds the row while it
    appends, and moves it forward in the same transaction."""

    __tablename__ = "audit_chain_heads"
    __table_args__ = (CheckConstraint("seq >= 0", name="seq_not_negative"),)

    chain: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    digest: str = Field(sa_column=Column(String(64), nullable=False))
