"""GraphQL face of people."""

import uuid
from typing import Annotated

import strawberry
from strawberry.experimental.pydantic import type as pydantic_type

from api.core.errors import InvalidInput
from api.core.graphql import (
    EXPECTED_VERSION,
    GraphQLInfo,
    Requires,
    documented,
    graphql_enum,
    node,
)
from api.core.graphql_fields import Face
from api.people import service
from api.people.models import JobFamily
from api.people.policy import PEOPLE
from api.people.schemas import PeopleFilter, PersonCreate, PersonRead, PersonUpdate

JobFamilyEnum = graphql_enum(JobFamily, name="JobFamily")


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
@documented(PeopleFilter)
class PeopleFilterInput:
    org: str | None = None
    job_family: JobFamilyEnum | None = None  # type: ignore[valid-type]
    q: str | None = None
    include_archived: bool = False


@strawberry.input(description="A new person.")
@documented(PersonCreate)
class CreatePersonInput:
    email: str
    name: str
    job_family: JobFamilyEnum  # type: ignore[valid-type]
    home_org: str


@strawberry.input(description="Fields of a person to change; leave out what stays.")
@documented(PersonUpdate)
class UpdatePersonInput:
    id: uuid.UUID
    """The person to change."""
    expected_version: int | None = strawberry.field(
        default=strawberry.UNSET, description=EXPECTED_VERSION
    )
    email: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    job_family: JobFamilyEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    home_org: str | None = strawberry.UNSET


@strawberry.input(
    description="The person to archive: their memberships end and their tokens are revoked."
)
@documented()
class ArchivePersonInput:
    id: uuid.UUID
    """The person to archive."""
    expected_version: int | None = None


@strawberry.type
class PeopleQuery:
    @strawberry.field(
        extensions=[Requires(PEOPLE, "read")],
        description="A person by id or by email (exactly one of them).",
    )
    async def person(
        self,
        info: GraphQLInfo,
        id: Annotated[uuid.UUID | None, strawberry.argument(description="The person's id.")] = None,
        email: Annotated[
            str | None, strawberry.argument(description="The person's email, in any case.")
        ] = None,
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
