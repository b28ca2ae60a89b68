"""REST face of people: /api/v1/people."""

import uuid
from typing import Annotated

from litestar import Router
from litestar.params import FromPath, Parameter

from api.core.access import PrincipalDep
from api.core.db import SessionDep
from api.core.pagination import DEFAULT_LIMIT, Page
from api.core.resource import Resource
from api.core.rest import (
    Cursor,
    IncludeArchived,
    Limit,
    Org,
    TextQuery,
    choice,
    list_route,
    one_of,
)
from api.people import service
from api.people.models import JobFamily
from api.people.policy import PEOPLE
from api.people.schemas import PeopleFilter, PersonCreate, PersonRead, PersonUpdate

PERSON = Resource(
    PEOPLE,
    path="/{person_id:uuid}",
    key={"person_id": FromPath[uuid.UUID]},
    read=PersonRead.model_validate,
    shows=PersonRead,
    address=lambda person: {"person_id": person.id},
)


@list_route("listPeople", PEOPLE, summary="List people")
async def list_people(
    session: SessionDep,
    principal: PrincipalDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    org: Org = None,
    job_family: Annotated[
        str | None, Parameter(description="Job family", schema_extra=one_of(JobFamily))
    ] = None,
    q: TextQuery = None,
    include_archived: IncludeArchived = False,
) -> Page[PersonRead]:
    """People, oldest first, filtered by org, job family and free text on name and email."""
    filters = PeopleFilter(
        org=org,
        job_family=choice(JobFamily, job_family, field="job_family"),
        q=q,
        include_archived=include_archived,
    )
    window = await service.list_people(session, filters=filters, cursor=cursor, limit=limit)
    return window.page(PersonRead.model_validate)


create_person = PERSON.create(
    "createPerson",
    service.create_person,
    data=PersonCreate,
    located_by="getPerson",
    verb="write",
    summary="Add a person",
    doc="Add a person; the email must not be taken (case-insensitively).",
)
get_person = PERSON.get(
    "getPerson",
    service.read_person,
    summary="Get a person",
    doc="One person, with an ETag for conditional writes.",
)
update_person = PERSON.update(
    "updatePerson",
    service.update_person,
    data=PersonUpdate,
    summary="Change a person",
    doc="Change the fields sent; `If-Match` makes it conditional (412 when stale).",
)
archive_person = PERSON.archive(
    "archivePerson",
    service.archive_person,
    summary="Archive a person",
    doc="Archive a person and end their current memberships; nothing is destroyed.",
)

ROUTES = Router(
    "/people",
    tags=["people"],
    route_handlers=[list_people, create_person, get_person, update_person, archive_person],
)
