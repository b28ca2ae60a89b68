"""REST face of people: /api/v1/people."""

from typing import Annotated

from litestar import Router

from api.core.access import PrincipalDep
from api.core.db import SessionDep
from api.core.pagination import Page
from api.core.resource import Resource
from api.core.rest import (
    IncludeArchived,
    Org,
    PagingDep,
    PersonId,
    TextQuery,
    choice,
    choice_of,
    list_route,
)
from api.people import service
from api.people.models import JobFamily
from api.people.policy import PEOPLE
from api.people.schemas import PeopleFilter, PersonRead

PERSON = Resource(
    PEOPLE,
    "Person",
    "/{person_id:uuid}",
    {"person_id": PersonId},
    PersonRead.model_validate,
    shows=PersonRead,
    address={"person_id": "id"},
)


@list_route("listPeople", PEOPLE, summary="List people")
async def list_people(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PagingDep,
    org: Org = None,
    job_family: Annotated[str | None, choice_of(JobFamily, "Job family")] = None,
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
    window = await service.list_people(session, filters=filters, principal=principal, paging=paging)
    return window.page(PersonRead.model_validate)


create_person = PERSON.create(
    service.create_person,
    "Add a person; the email must not be taken (case-insensitively).",
    "Add a person",
    verb="write",
)
get_person = PERSON.get(service.read_person)
update_person = PERSON.update(service.update_person)
archive_person = PERSON.archive(
    service.archive_person,
    doc="Archive a person and end their current memberships; nothing is destroyed.",
)

ROUTES = Router(
    "/people",
    tags=["people"],
    route_handlers=[list_people, create_person, get_person, update_person, archive_person],
)
