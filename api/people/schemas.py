"""People as clients send and see them."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints

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
    name: Name
    job_family: JobFamily
    home_org: Org


class PersonUpdate(InputModel):
    """Fields to change; leave out what stays."""

    email: Email = omitted()
    name: Name = omitted()
    job_family: JobFamily = omitted()
    home_org: Org = omitted()


class PersonRead(RecordRead):
    """A person."""

    email: str
    name: str
    job_family: JobFamily
    home_org: str
    archived_at: datetime | None


class PeopleFilter(BaseModel):
    """Filters for the people list."""

    org: OrgFilter | None = None
    job_family: JobFamily | None = None
    q: SearchText | None = None
    include_archived: bool = False
