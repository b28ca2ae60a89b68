"""GraphQL face of people."""

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.core.access import Action
from api.core.errors import InvalidInput
from api.core.graphql import (
    Connection,
    GraphQLInfo,
    Requires,
    connection,
    mutation,
    page_size,
    parse_input,
    provided,
)
from api.people import service
from api.people.models import JobFamily, Person
from api.people.schemas import PeopleFilter, PersonCreate, PersonUpdate

if TYPE_CHECKING:
    from api.teams.graphql import MembershipType

JobFamilyEnum = strawberry.enum(JobFamily, name="JobFamily")


@strawberry.type(name="Person", description="Someone who can be on teams.")
class PersonType:
    id: uuid.UUID
    email: str
    name: str
    job_family: JobFamilyEnum  # type: ignore[valid-type]
    home_org: str
    created_at: datetime
    updated_at: datetime
    version: int
    archived_at: datetime | None

    @classmethod
    def from_model(cls, person: Person) -> "PersonType":
        """The GraphQL view of a stored person."""
        return cls(
            id=person.id,
            email=person.email,
            name=person.name,
            job_family=person.job_family,
            home_org=person.home_org,
            created_at=person.created_at,
            updated_at=person.updated_at,
            version=person.version,
            archived_at=person.archived_at,
        )

    @strawberry.field(
        extensions=[Requires(Action.TEAM_READ)],
        description="The person's current memberships, with their teams.",
    )
    async def teams(
        self, info: GraphQLInfo
    ) -> list[Annotated["MembershipType", strawberry.lazy("api.teams.graphql")]] | None:
        from api.teams.graphql import MembershipType  # the types refer to each other

        memberships = await info.context.loaders.memberships_by_person.load(self.id)
        return [MembershipType.from_model(membership) for membership in memberships]


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


def _filter(value: PeopleFilterInput | None) -> PeopleFilter:
    return parse_input(PeopleFilter, provided(value) if value else {})


@strawberry.type
class PeopleQuery:
    @strawberry.field(
        extensions=[Requires(Action.PERSON_READ)],
        description="A person by id or by email (exactly one of them).",
    )
    async def person(
        self, info: GraphQLInfo, id: uuid.UUID | None = None, email: str | None = None
    ) -> PersonType | None:
        if (id is None) == (email is None):
            raise InvalidInput.field("id", "give exactly one of id and email")
        session = info.context.session
        if id is not None:
            return PersonType.from_model(await service.get_person(session, id))
        assert email is not None
        return PersonType.from_model(await service.get_person_by_email(session, email))

    @strawberry.field(
        extensions=[Requires(Action.PERSON_READ)], description="People, oldest first."
    )
    async def people(
        self,
        info: GraphQLInfo,
        first: int | None = None,
        after: str | None = None,
        filter: PeopleFilterInput | None = None,
    ) -> Connection[PersonType] | None:
        limit = page_size(first)
        filters = _filter(filter)
        session = info.context.session
        window = await service.list_people(session, filters=filters, cursor=after, limit=limit)
        return connection(
            window,
            node=PersonType.from_model,
            after=after,
            count_rows=lambda: service.count_people(session, filters=filters),
        )


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(
        extensions=[Requires(Action.PERSON_WRITE)],
        description="Add a person; the email must not be taken.",
    )
    async def create_person(self, info: GraphQLInfo, input: CreatePersonInput) -> PersonType | None:
        data = parse_input(PersonCreate, provided(input))
        async with mutation(info) as session:
            return PersonType.from_model(await service.create_person(session, data=data))

    @strawberry.mutation(
        extensions=[Requires(Action.PERSON_WRITE)], description="Change the fields given."
    )
    async def update_person(self, info: GraphQLInfo, input: UpdatePersonInput) -> PersonType | None:
        fields = provided(input)
        person_id, expected = fields.pop("id"), fields.pop("expected_version", None)
        data = parse_input(PersonUpdate, fields)
        async with mutation(info) as session:
            person = await service.update_person(session, person_id, data=data, if_match=expected)
            return PersonType.from_model(person)

    @strawberry.mutation(
        extensions=[Requires(Action.PERSON_WRITE)],
        description="Archive a person and end their current memberships.",
    )
    async def archive_person(
        self, info: GraphQLInfo, input: ArchivePersonInput
    ) -> PersonType | None:
        async with mutation(info) as session:
            person = await service.archive_person(
                session, input.id, if_match=input.expected_version
            )
            return PersonType.from_model(person)
