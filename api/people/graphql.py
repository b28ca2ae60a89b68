"""GraphQL face of people."""

import uuid

import strawberry
from strawberry.experimental.pydantic import type as pydantic_type

from api.core.errors import InvalidInput
from api.core.graphql import (
    GraphQLInfo,
    Requires,
    node,
)
from api.core.graphql_fields import Face
from api.people import service
from api.people.models import JobFamily
from api.people.policy import PEOPLE
from api.people.schemas import PersonRead

JobFamilyEnum = strawberry.enum(JobFamily, name="JobFamily")


@pydantic_type(model=PersonRead, name="Person", description="Someone who can be on teams.")
class PersonType:
    """A person, as REST's `PersonRead` shows one (the types come from it)."""

    id: strawberry.auto
    email: strawberry.auto
    name: strawberry.auto
    job_family: strawberry.auto
    home_org: strawberry.auto
    created_at: strawberry.auto
    updated_at: strawberry.auto
    version: strawberry.auto
    archived_at: strawberry.auto


PERSON = Face(PersonType, PEOPLE)


@strawberry.input(description="Filters for the people list.")
class PeopleFilterInput:
    org: str | None = None
    job_family: JobFamilyEnum | None = None  # type: ignore[valid-type]
    q: str | None = None
    include_archived: bool = False


@strawberry.input
class CreatePersonInput:
    email: str
    name: str
    job_family: JobFamilyEnum  # type: ignore[valid-type]
    home_org: str


@strawberry.input
class UpdatePersonInput:
    id: uuid.UUID
    expected_version: int | None = strawberry.field(
        default=strawberry.UNSET, description="Fail with CONFLICT unless this is the version"
    )
    email: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    job_family: JobFamilyEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    home_org: str | None = strawberry.UNSET


@strawberry.input
class ArchivePersonInput:
    id: uuid.UUID
    expected_version: int | None = None


@strawberry.type
class PeopleQuery:
    @strawberry.field(
        extensions=[Requires(PEOPLE, "read")],
        description="A person by id or by email (exactly one of them).",
    )
    async def person(
        self, info: GraphQLInfo, id: uuid.UUID | None = None, email: str | None = None
    ) -> PersonType | None:
        if (id is None) == (email is None):
            raise InvalidInput.field("id", "give exactly one of id and email")
        session = info.context.session
        if id is not None:
            person = await service.read_person(session, id, principal=info.context.principal)
            return node(PersonType, person)
        assert email is not None
        return node(PersonType, await service.get_person_by_email(session, email))

    people = PERSON.connection(PeopleFilterInput, service.list_people, "People, oldest first.")


@strawberry.type
class PeopleMutation:
    create_person = PERSON.mutation(
        CreatePersonInput, service.create_person, "Add a person; the email must not be taken."
    )
    update_person = PERSON.mutation(
        UpdatePersonInput, service.update_person, "Change the fields given.", key=["id"]
    )
    archive_person = PERSON.mutation(
        ArchivePersonInput,
        service.archive_person,
        "Archive a person and end their current memberships.",
        key=["id"],
    )
