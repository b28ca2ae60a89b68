"""The two-pizza guideline: an org-wide team-size target, and per-team exceptions with reasons."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Uuid
from sqlmodel import Field

from api.audit.trail import Audited
from api.core.db import RecordBase, UTCDateTime


class HealthStatus(StrEnum):
    """Where a team's headcount sits against the guideline."""

    UNDER = "under"
    """Fewer people than the guideline's minimum: too few to build and run a product."""
    RECOMMENDED = "recommended"
    """Within the guideline's recommended range."""
    ACCEPTABLE = "acceptable"
    """Outside the recommended range but within what the guideline accepts."""
    OVER = "over"
    """More people than the guideline accepts, with no size exception on record."""
    OVER_WITH_EXCEPTION = "over_with_exception"
    """More people than the guideline accepts, under a size exception an admin granted."""


class WarningCode(StrEnum):
    """What a health warning is about: a stable name for programs."""

    UNDER_MINIMUM = "under_minimum"
    """Fewer people than the guideline's minimum."""
    BELOW_RECOMMENDED = "below_recommended"
    """Fewer people than the smallest recommended size."""
    ABOVE_RECOMMENDED = "above_recommended"
    """More people than the largest recommended size, still acceptable."""
    OVER_GUIDELINE = "over_guideline"
    """More people than the guideline accepts, with no size exception."""
    OVER_GUIDELINE_WITH_EXCEPTION = "over_guideline_with_exception"
    """More people than the guideline accepts, under a size exception."""
    OVER_EXCEPTION = "over_exception"
    """More people than even the team's size exception allows."""
    MANY_COMMUNICATION_PATHS = "many_communication_paths"
    """So many people that the paths between them outgrow the recommended size's."""
    SINGLE_HOME_ORG = "single_home_org"
    """Everyone comes from one org: the team is not cross-functional."""
    NO_PRODUCT_MANAGER = "no_product_manager"
    """No member is the team's product manager."""
    NO_SECURITY_CHAMPION = "no_security_champion"
    """No member is the team's security champion."""
    MEMBER_OVER_ALLOCATED = "member_over_allocated"
    """A member is allocated over 100% across their teams."""


class TeamSizeGuideline(RecordBase, table=True):
    """The org-wide guideline; one row (`scope` = "org"), created when an admin first sets it."""

    __audit__: ClassVar[Audited] = Audited("team_size_guideline")

    __tablename__ = "team_size_guidelines"
    __table_args__ = (
        CheckConstraint(
            "minimum >= 1 AND minimum <= recommended_min AND recommended_min <= recommended_max"
            " AND recommended_max <= acceptable_max",
            name="in_order",
        ),
    )

    scope: str = Field(default="org", sa_type=String(16), unique=True)
    minimum: int
    recommended_min: int
    recommended_max: int
    acceptable_max: int


class TeamSizeException(RecordBase, table=True):
    """A team's own, higher maximum, with why and who approved it. Replaced or withdrawn
    exceptions stay as history (`withdrawn_at`)."""

    __audit__: ClassVar[Audited] = Audited(
        "team_size_exception",
        parent=("team", "team_id"),
        actions=(("withdrawn_at", "withdraw"),),
    )

    __tablename__ = "team_size_exceptions"
    __table_args__ = (CheckConstraint("max_size >= 1", name="max_size_positive"),)

    team_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("teams.id"), nullable=False, index=True)
    )
    max_size: int
    justification: str = Field(sa_type=String(2000))
    approved_by: str = Field(sa_type=String(200))
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
