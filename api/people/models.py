"""People: everyone who can be on a team."""

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import String
from sqlmodel import Field

from api.audit.trail import Audited
from api.core.db import RecordBase, UTCDateTime, stored_enum


class JobFamily(StrEnum):
    """What kind of work a person does."""

    ENGINEERING = "engineering"
    """Software engineering."""
    PRODUCT = "product"
    """Product management."""
    DESIGN = "design"
    """Design and user research."""
    SECURITY = "security"
    """Security engineering."""
    DATA_SCIENCE = "data_science"
    """Data science and analytics."""
    OPERATIONS = "operations"
    """Operations and infrastructure."""
    SALES = "sales"
    """Sales."""
    MARKETING = "marketing"
    """Marketing."""
    SUPPORT = "support"
    """Customer support."""
    LEGAL = "legal"
    """Legal."""
    FINANCE = "finance"
    """Finance."""
    OTHER = "other"
    """Any other kind of work."""


class Person(RecordBase, table=True):
    """A person; the email is stored lower-cased, which makes it unique case-insensitively."""

    __audit__: ClassVar[Audited] = Audited("person", actions=(("archived_at", "archive"),))

    __tablename__ = "people"

    email: str = Field(sa_type=String(254), unique=True)
    name: str = Field(sa_type=String(200))
    job_family: JobFamily = Field(
        sa_type=stored_enum(JobFamily, name="job_family", length=32), index=True
    )
    home_org: str = Field(sa_type=String(100), index=True)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
