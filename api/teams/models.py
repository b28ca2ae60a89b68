"""Teams and their rosters (memberships with start and end dates)."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import CheckConstraint, Column, ColumnElement, ForeignKey, String, Uuid, or_
from sqlmodel import Field, Relationship, col

from api.audit.trail import Audited
from api.core.db import RecordBase, UTCDateTime, stored_enum, utcnow
from api.people.models import Person


class TeamRole(StrEnum):
    """What a member does on a team."""

    LEAD = "lead"
    """Leads the team."""
    ENGINEER = "engineer"
    """Builds and runs the product."""
    PRODUCT_MANAGER = "product_manager"
    """Owns what the team builds and why; a team without one is warned."""
    DESIGNER = "designer"
    """Designs the product's experience."""
    SECURITY_CHAMPION = "security_champion"
    """Looks after the product's security; a team without one is warned."""
    SPECIALIST = "specialist"
    """Brings a specialism the team needs (data, legal, support…)."""
    OTHER = "other"
    """Any other role."""


class Team(RecordBase, table=True):
    """A small team that owns products; archived, never deleted."""

    __audit__: ClassVar[Audited] = Audited("team", actions=(("archived_at", "archive"),))

    __tablename__ = "teams"

    slug: str = Field(sa_type=String(63), unique=True)
    name: str = Field(sa_type=String(200))
    mission: str = Field(default="", sa_type=String(2000))
    org: str = Field(sa_type=String(100), index=True)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Membership(RecordBase, table=True):
    """One stint of one person on one team; ending it sets `end_date`, the row stays."""

    __audit__: ClassVar[Audited] = Audited(
        "membership", parent=("team", "team_id"), actions=(("end_date", "end"),)
    )

    __tablename__ = "memberships"
    __table_args__ = (
        CheckConstraint("allocation_percent BETWEEN 1 AND 100", name="allocation_range"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_in_order"),
    )

    team_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("teams.id"), nullable=False, index=True)
    )
    person_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("people.id"), nullable=False, index=True)
    )
    role: TeamRole = Field(sa_type=stored_enum(TeamRole, name="role", length=32))
    allocation_percent: int = Field(default=100)
    start_date: date
    end_date: date | None = Field(default=None)

    person: Person = Relationship(sa_relationship_kwargs={"lazy": "raise"})
    team: Team = Relationship(sa_relationship_kwargs={"lazy": "raise"})


def today() -> date:
    """Today's date in UTC, the calendar rosters are kept in."""
    return utcnow().date()


def active_on(day: date | ColumnElement[date]) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Conditions for a membership in force on `day`: start dates count, end dates do not."""
    return (
        col(Membership.start_date) <= day,
        or_(col(Membership.end_date).is_(None), col(Membership.end_date) > day),
    )
