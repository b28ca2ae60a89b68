"""Audit events and the trail's verification, as clients see them."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints

from api.audit.models import AuditAction, AuditKind, RecordType
from api.core.described import Schema
from api.core.fields import Moment, SearchText


class AuditEventRead(Schema):
    """One change, or one read of a sensitive record."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    """The event's id; ids grow with time, so they also order events."""
    occurred_at: datetime = Field(validation_alias="created_at")
    """When it happened (RFC 3339, UTC)."""
    kind: AuditKind
    """A change, or a read of something sensitive."""
    action: AuditAction
    """What was done to the record."""
    record_type: RecordType
    """The kind of record it was done to."""
    record_id: str
    """The record's id (a UUID; a guideline's scope for org-wide settings)."""
    parent_type: RecordType | None
    """For a record that belongs to another (a membership to its team), that record's kind; else
    null."""
    parent_id: str | None
    """That parent record's id; else null."""
    actor: str
    """Who did it: the token's name, and its person's email when it acts as one; `system` for
    Pizzabox itself."""
    token_id: uuid.UUID | None
    """The token the request came with; null for Pizzabox's own changes."""
    person_id: uuid.UUID | None
    """The person that token acts as, if any."""
    request_id: str | None
    """The request's X-Request-ID, to find it in the logs; null outside a request."""
    changes: dict[str, Any] = Field(description="{field: {old, new}} for the fields that changed")


class AuditFilter(Schema):
    """Filters for the audit trail."""

    record_type: RecordType | None = None
    """Only events on this kind of record."""
    record_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    """Only events on this record."""
    parent_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    """Only events on records that belong to this one (a team's memberships)."""
    actor: SearchText | None = None
    """Only events whose actor contains this text (any case)."""
    kind: AuditKind | None = None
    """Only changes, or only reads."""
    # With an offset: a bare local time would be read differently by every client.
    since: Moment | None = None
    """Only events at or after this instant (RFC 3339, with an offset)."""
    until: Moment | None = None
    """Only events before this instant (RFC 3339, with an offset)."""


class AuditProblemRead(Schema):
    """One sign that the audit trail was tampered with."""

    kind: Literal["changed", "deleted", "inserted"] = Field(
        description="changed: an event no longer matches its digest; deleted: events are "
        "missing from a chain; inserted: an event (or head) the API never wrote"
    )
    event_id: uuid.UUID | None = Field(
        description="The event concerned: the changed or slipped-in one, the one just after a "
        "gap, or a chain's last event when its tail is gone; null when no event is left to name"
    )
    chain: int | None = Field(description="The hash chain, 0 to 31")
    seq: int | None = Field(description="The position in the chain (the first missing one)")
    detail: str
    """What is wrong, for a human."""


class AuditChainHeadRead(Schema):
    """Where one hash chain ends: worth recording outside the database."""

    chain: int
    """The hash chain, 0 to 31."""
    seq: int = Field(description="The chain's last position")
    digest: str = Field(description="The digest of the event at that position")


class AuditVerification(Schema):
    """The whole audit trail checked against its hash chains."""

    intact: bool = Field(description="True when no event was changed, deleted or slipped in")
    keyed: bool = Field(
        description="Whether the chains are keyed with PIZZABOX_AUDIT_KEY; without it, someone "
        "who can write to the database can recompute them"
    )
    events_checked: int
    """How many events were read."""
    chains_checked: int
    """How many hash chains were walked (32)."""
    problems_found: int
    """How many problems were found in all (only the first 100 are listed)."""
    first_problem: AuditProblemRead | None = Field(
        description="The problem at the earliest event (by id), the one to look at first"
    )
    problems: list[AuditProblemRead] = Field(
        description="The first 100 problems, earliest event first"
    )
    heads: list[AuditChainHeadRead] = Field(
        description="Where each chain ends; kept outside the database, they show a later "
        "rewrite of the whole trail"
    )
