"""Audit events and the trail's verification, as clients see them."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.audit.models import AuditKind
from api.core.fields import Moment, SearchText


class AuditEventRead(BaseModel):
    """One change, or one read of a sensitive record."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    occurred_at: datetime = Field(validation_alias="created_at")
    kind: AuditKind
    action: str
    record_type: str
    record_id: str
    parent_type: str | None
    parent_id: str | None
    actor: str
    token_id: uuid.UUID | None
    person_id: uuid.UUID | None
    request_id: str | None
    changes: dict[str, Any] = Field(description="{field: {old, new}} for the fields that changed")


class AuditFilter(BaseModel):
    """Filters for the audit trail."""

    record_type: Annotated[str, StringConstraints(max_length=32)] | None = None
    record_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    parent_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    actor: SearchText | None = None
    kind: AuditKind | None = None
    # With an offset: a bare local time would be read differently by every client.
    since: Moment | None = None
    until: Moment | None = None


class AuditProblemRead(BaseModel):
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


class AuditChainHeadRead(BaseModel):
    """Where one hash chain ends: worth recording outside the database."""

    chain: int
    seq: int = Field(description="The chain's last position")
    digest: str = Field(description="The digest of the event at that position")


class AuditVerification(BaseModel):
    """The whole audit trail checked against its hash chains."""

    intact: bool = Field(description="True when no event was changed, deleted or slipped in")
    keyed: bool = Field(
        description="Whether the chains are keyed with PIZZABOX_AUDIT_KEY; without it, someone "
        "who can write to the database can recompute them"
    )
    events_checked: int
    chains_checked: int
    problems_found: int
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
