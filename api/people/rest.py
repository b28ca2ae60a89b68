"""REST face of people: /api/v1/people."""

import uuid
from typing import Annotated

from litestar import Controller, Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody, Parameter

from api.core.access import Action, PrincipalDep, allow
from api.core.db import SessionDep
from api.core.pagination import DEFAULT_LIMIT, Page
from api.core.rest import (
    CREATE_PROBLEMS,
    ETAG,
    LIST_PROBLEMS,
    UPDATE_PROBLEMS,
    Cursor,
    IfMatch,
    IncludeArchived,
    Limit,
    Org,
    TextQuery,
    choice,
    created_headers,
    one_of,
    problems,
    versioned,
)
from api.people import service
from api.people.models import JobFamily
from api.people.schemas import PeopleFilter, PersonCreate, PersonRead, PersonUpdate


class PeopleController(Controller):
    """People who can be on teams."""

    path = "/people"
    tags = ("people",)

    @get(
        "/",
        operation_id="listPeople",
        guards=[allow(Action.PERSON_READ)],
        summary="List people",
        responses=LIST_PROBLEMS,
    )
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
        return Page(
            items=[PersonRead.model_validate(row) for row in window.rows],
            next_cursor=window.next_cursor,
        )

    @post(
        "/",
        operation_id="createPerson",
        guards=[allow(Action.PERSON_WRITE)],
        summary="Add a person",
        responses=CREATE_PROBLEMS,
        response_headers=created_headers(),
    )
    async def create_person(
        self, session: SessionDep, principal: PrincipalDep, data: JSONBody[PersonCreate]
    ) -> Response[PersonRead]:
        """Add a person; the email must not be taken (case-insensitively)."""
        person = await service.create_person(session, data=data)
        return versioned(
            PersonRead.model_validate(person), person, created_at=f"/api/v1/people/{person.id}"
        )

    @get(
        "/{person_id:uuid}",
        operation_id="getPerson",
        guards=[allow(Action.PERSON_READ)],
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

    @patch(
        "/{person_id:uuid}",
        operation_id="updatePerson",
        guards=[allow(Action.PERSON_WRITE)],
        summary="Change a person",
        responses=UPDATE_PROBLEMS,
        response_headers=[ETAG],
    )
    async def update_person(
        self,
        session: SessionDep,
        principal: PrincipalDep,
        person_id: FromPath[uuid.UUID],
        data: JSONBody[PersonUpdate],
        if_match: IfMatch = None,
    ) -> Response[PersonRead]:
        """Change the fields sent; `If-Match` makes it conditional (412 when stale)."""
        person = await service.update_person(session, person_id, data=data, if_match=if_match)
        return versioned(PersonRead.model_validate(person), person)

    @delete(
        "/{person_id:uuid}",
        operation_id="archivePerson",
        guards=[allow(Action.PERSON_WRITE)],
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
        await service.archive_person(session, person_id, if_match=if_match)
