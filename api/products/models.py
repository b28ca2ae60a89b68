"""Products, their lifecycle stage, and the history of stage and launch-date changes."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import Column, ForeignKey, String, Uuid
from sqlmodel import Field, Relationship

from api.audit.trail import Audited
from api.core.db import RecordBase, UTCDateTime, stored_enum
from api.teams.models import Team


class Stage(StrEnum):
    """Lifecycle stages, in order."""

    IDEA = "idea"
    """An idea, before its PR/FAQ is written."""
    PRFAQ_REVIEW = "prfaq_review"
    """Its PR/FAQ is written and under review."""
    APPROVED = "approved"
    """Its PR/FAQ is approved: the team may start building."""
    BUILDING = "building"
    """The team is building it."""
    LAUNCH_REVIEW = "launch_review"
    """Built, and under review for launch (its security FAQ among the gates)."""
    LAUNCHED = "launched"
    """Live for its customers."""
    RETIRED = "retired"
    """No longer offered; its records and history stay."""


STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)


class DataClassification(StrEnum):
    """How sensitive the data a product handles is."""

    PUBLIC = "public"
    """Data anyone may see."""
    INTERNAL = "internal"
    """Data for the company's staff only."""
    CONFIDENTIAL = "confidential"
    """Data for those who need it, such as customers' personal data; more security FAQ questions
    apply."""
    RESTRICTED = "restricted"
    """The most sensitive data (payment, health, secrets); every security FAQ question applies."""


class TrackedField(StrEnum):
    """Product fields whose every change is kept."""

    STAGE = "stage"
    """The product's stage."""
    TARGET_LAUNCH_DATE = "target_launch_date"
    """The product's target launch date."""


class Product(RecordBase, table=True):
    """A product owned by one team; archived, never deleted."""

    __audit__: ClassVar[Audited] = Audited("product", actions=(("archived_at", "archive"),))

    __tablename__ = "products"

    slug: str = Field(sa_type=String(63), unique=True)
    name: str = Field(sa_type=String(200))
    summary: str = Field(default="", sa_type=String(300))
    team_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("teams.id"), nullable=False, index=True)
    )
    stage: Stage = Field(
        default=Stage.IDEA, sa_type=stored_enum(Stage, name="stage", length=32), index=True
    )
    data_classification: DataClassification = Field(
        sa_type=stored_enum(DataClassification, name="classification", length=32), index=True
    )
    target_launch_date: date | None = Field(default=None)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    team: Team = Relationship(sa_relationship_kwargs={"lazy": "raise"})


class ProductChange(RecordBase, table=True):
    """One change of a tracked product field: a slipped launch date stays visible."""

    __tablename__ = "product_changes"

    product_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("products.id"), nullable=False, index=True)
    )
    field: TrackedField = Field(sa_type=stored_enum(TrackedField, name="field", length=32))
    old_value: str | None = Field(default=None, sa_type=String(64))
    new_value: str | None = Field(default=None, sa_type=String(64))
    changed_by: str = Field(sa_type=String(200))
