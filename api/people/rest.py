"""REST face of people: /api/v1/people."""

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get
from litestar.params import FromPath, JSONBody, Parameter

from api.core.access import PrincipalDep
from api.core.db import SessionDep
from api.core.pagination import DEFAULT_LIMIT, Page
from api.core.policy import allow
from api.core.rest import (
    ETAG,
    Cursor,
    IfMatch,
    IncludeArchived,
    Limit,
    Org,
    TextQuery,
    choice,
    create_route,
    list_route,
    location,
    one_of,
    problems,
    update_route,
    versioned,
)
from api.people import service
from api.people.models import JobFamily
from api.people.policy import PEOPLE
from api.people.schemas import PeopleFilter, PersonCreate, PersonRead, PersonUpdate


class PeopleController(Controller):
    """People who can be on teams."""

    path = "/people"
    tags = ("people",)

    @list_route("listPeople", PEOPLE, summary="List people")
    async def list_people(
        self,
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

    @create_route("createPerson", PEOPLE, summary="Add a person", verb="write")
    async def create_person(
        self,
        request: Request[Any, Any, Any],
        session: SessionDep,
        principal: PrincipalDep,
        data: JSONBody[PersonCreate],
    ) -> Response[PersonRead]:
        """Add a person; the email must not be taken (case-insensitively)."""
        person = await service.create_person(session, data=data, principal=principal)
        return versioned(
            PersonRead.model_validate(person),
            person,
            created_at=location(request, "getPerson", person_id=person.id),
        )

    @get(
        "/{person_id:uuid}",
        operation_id="getPerson",
        name="getPerson",
        guards=[allow(PEOPLE, "read")],
        summary="Get a person",
        responses=problems(404),
        response_headers=[ETAG],
    )
    async def get_person(
        self, session: SessionDep, principal: PrincipalDep, person_id: FromPath[uuid.UUID]
    ) -> Response[PersonRead]:
        """One person, with an ETag for conditional writes."""
        person = await service.get_person(session, person_id)
        return versioned(PersonRead.model_validate(person), person)

    @update_route("/{person_id:uuid}", "updatePerson", PEOPLE, summary="Change a person")
    async def update_person(
        self,
        session: SessionDep,
        principal: PrincipalDep,
        person_id: FromPath[uuid.UUID],
        data: JSONBody[PersonUpdate],
        if_match: IfMatch = None,
    ) -> Response[PersonRead]:
        """Change the fields sent; `If-Match` makes it conditional (412 when stale)."""
        person = await service.update_person(
            session, person_id, data=data, if_match=if_match, principal=principal
        )
        return versioned(PersonRead.model_validate(person), person)

    @delete(
        "/{person_id:uuid}",
        operation_id="archivePerson",
        guards=[allow(PEOPLE, "write")],
        summary="Archive a person",
        responses=problems(404, 409, 412, 422),
    )
    async def archive_person(
        self,
        session: SessionDep,
        principal: PrincipalDep,
        person_id: FromPath[uuid.UUID],
        if_match: IfMatch = None,
    ) -> None:
        """Archive a person and end their current memberships; nothing is destroyed."""
        await service.archive_person(session, person_id, if_match=if_match, principal=principal)
