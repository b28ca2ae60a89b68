"""People as clients send and see them."""

from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints

from api.core.described import Schema
from api.core.fields import InputModel, Name, Org, OrgFilter, RecordRead, SearchText, omitted
from api.people.models import JobFamily

# `\s` differs between pydantic's regex engine and the ECMA one OpenAPI clients use; spelling
# out control characters and U+FEFF makes the pattern mean the same to both.
Email = Annotated[
    str,
    StringConstraints(
        # Judged as sent (a pattern matches the whole value), then folded to lower case.
        strip_whitespace=False,
        to_lower=True,
        max_length=254,
        pattern=r"^[^@\s\x00-\x1f\x7f-\x9f\uFEFF]+@[^@\s\x00-\x1f\x7f-\x9f\uFEFF]+\.[^@\s\x00-\x1f\x7f-\x9f\uFEFF]+$",
    ),
]


class PersonCreate(InputModel):
    """A new person."""

    email: Email
    """Work email address, unique among people; stored in lower case."""
    name: Name
    """Full name, as colleagues know it."""
    job_family: JobFamily
    """What kind of work the person does (their job family), whatever their role on a team."""
    home_org: Org
    """The organisation the person reports into, which may differ from their teams' orgs."""


class PersonUpdate(InputModel):
    """Fields to change; leave out what stays."""

    email: Email = omitted()
    """Work email address, unique among people; stored in lower case."""
    name: Name = omitted()
    """Full name, as colleagues know it."""
    job_family: JobFamily = omitted()
    """What kind of work the person does (their job family), whatever their role on a team."""
    home_org: Org = omitted()
    """The organisation the person reports into, which may differ from their teams' orgs."""


class PersonRead(RecordRead):
    """A person."""

    email: str
    """Work email address, unique among people; stored in lower case."""
    name: str
    """Full name, as colleagues know it."""
    job_family: JobFamily
    """What kind of work the person does (their job family), whatever their role on a team."""
    home_org: str
    """The organisation the person reports into, which may differ from their teams' orgs."""
    archived_at: datetime | None
    """When the person was archived (left the company); null while active."""


class PeopleFilter(Schema):
    """Filters for the people list."""

    org: OrgFilter | None = None
    """Only people whose home org is this one."""
    job_family: JobFamily | None = None
    """Only people of this job family."""
    q: SearchText | None = None
    """Only people whose name or email contains this text (any case)."""
    include_archived: bool = False
    """Include archived people too (left out by default)."""
