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


class RecordType(StrEnum):
    """The kinds of record the audit trail names (a domain's `Audited` must name one of them)."""

    PERSON = "person"
    """A person."""
    TEAM = "team"
    """A team."""
    MEMBERSHIP = "membership"
    """A person's stint on a team's roster."""
    TEAM_SIZE_GUIDELINE = "team_size_guideline"
    """The org's two-pizza size guideline."""
    TEAM_SIZE_EXCEPTION = "team_size_exception"
    """A team's exception to the size guideline."""
    PRODUCT = "product"
    """A product."""
    TOKEN = "token"
    """An API token (a read of the token list, `*`, is an access)."""
    DOCUMENT = "document"
    """A product's PR/FAQ or security FAQ."""
    DOCUMENT_REVISION = "document_revision"
    """A revision of a document."""
    DOCUMENT_REVIEW = "document_review"
    """A review step on a document."""
    SECURITY_FAQ = "security_faq"
    """A read of a product's security FAQ (access events only)."""
    SECURITY_FAQ_TEMPLATE = "security_faq_template"
    """A version of the security FAQ template."""
    PRFAQ_SCORING = "prfaq_scoring"
    """The PR/FAQ scoring rules."""
    CHECKPOINT_KIND = "checkpoint_kind"
    """A kind of launch checkpoint in the catalogue."""
    CHECKPOINT = "checkpoint"
    """A product's launch checkpoint."""
    CHECKPOINT_RESULT = "checkpoint_result"
    """A test result posted for a checkpoint."""
    WAIVER = "waiver"
    """A checkpoint's waiver."""
    FINDING = "finding"
    """A finding (changes, and reads of one finding)."""
    FINDINGS = "findings"
    """A read of a product's findings (access events only)."""
    FINDING_DEADLINES = "finding_deadlines"
    """The org's fix-by days per severity."""


class AuditAction(StrEnum):
    """What an event did to its record."""

    CREATE = "create"
    """Made it."""
    UPDATE = "update"
    """Changed some of its fields."""
    DELETE = "delete"
    """Removed it (records are seldom deleted: most are archived)."""
    ARCHIVE = "archive"
    """Archived it; its history stays."""
    END = "end"
    """Ended a roster stint."""
    REVOKE = "revoke"
    """Revoked a token or a waiver."""
    WITHDRAW = "withdraw"
    """Withdrew a size exception."""
    READ = "read"
    """Read something sensitive (access events)."""


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
