"""Rules and queries for people."""

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.core.access import Principal
from api.core.db import by_ids, narrowed, same_text, text_search
from api.core.errors import Conflict, FieldError, NotFound
from api.core.hooks import Hook
from api.core.pagination import Paging, Window, fetch_window
from api.core.writes import Precondition, apply_changes, check_if_match, flush, stamp
from api.people.models import Person
from api.people.policy import PEOPLE
from api.people.schemas import PeopleFilter, PersonCreate, PersonUpdate

_REQUIRED = frozenset({"email", "name", "job_family", "home_org"})


async def read_person(
    session: AsyncSession, person_id: uuid.UUID, *, principal: Principal
) -> Person:
    """A person by id, archived or not, for a caller who may read people."""
    PEOPLE.check(principal, "read")
    return await get_person(session, person_id)


async def get_person(session: AsyncSession, person_id: uuid.UUID) -> Person:
    """A person by id, archived or not."""
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person with id {person_id}")
    return person


async def get_person_by_email(session: AsyncSession, email: str) -> Person:
    """A person by email, matched case-insensitively."""
    person = await session.scalar(select(Person).where(col(Person.email) == email.strip().lower()))
    if person is None:
        raise NotFound(f"no person with email {email}")
    return person


async def get_people(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Person]:
    """Many people by id, in one query."""
    return await by_ids(session, Person, ids)


async def _check_email_free(
    session: AsyncSession, email: str, *, other_than: uuid.UUID | None = None
) -> None:
    statement = select(col(Person.id)).where(col(Person.email) == email)
    if other_than is not None:
        statement = statement.where(col(Person.id) != other_than)
    if await session.scalar(statement) is not None:
        raise Conflict(
            f"a person with email {email} already exists", [FieldError("email", "is already taken")]
        )


def _filtered(filters: PeopleFilter) -> Select[Person]:
    statement = select(Person)
    if not filters.include_archived:
        statement = statement.where(col(Person.archived_at).is_(None))
    return narrowed(
        statement,
        (filters.org, same_text(col(Person.home_org))),
        (filters.job_family, col(Person.job_family)),
        (filters.q, lambda q: text_search(q, col(Person.name), col(Person.email))),
    )


async def list_people(
    session: AsyncSession, *, filters: PeopleFilter, principal: Principal, paging: Paging
) -> Window[Person]:
    """One page of people matching the filters, oldest first."""
    PEOPLE.check(principal, "read")
    return await fetch_window(session, _filtered(filters), Person.id, paging)


async def create_person(
    session: AsyncSession, *, data: PersonCreate, principal: Principal
) -> Person:
    """Add a person; the email must be new."""
    PEOPLE.check(principal, "write")
    await _check_email_free(session, data.email)
    person = Person(**data.model_dump())
    session.add(person)
    await flush(session)
    return person


async def update_person(
    session: AsyncSession,
    person_id: uuid.UUID,
    *,
    data: PersonUpdate,
    if_match: Precondition,
    principal: Principal,
) -> Person:
    """Change some of a person's fields."""
    PEOPLE.check(principal, "write")
    person = await get_person(session, person_id)
    check_if_match(person, if_match)
    if person.archived_at is not None:
        raise Conflict(f"person {person_id} is archived and cannot change")
    changes = data.model_dump(exclude_unset=True)
    if changes.get("email") and changes["email"] != person.email:
        await _check_email_free(session, changes["email"], other_than=person.id)
    apply_changes(person, changes, required=_REQUIRED)
    await flush(session)
    return person


# Archiving a person ends what they hold in higher domains (memberships, tokens); those domains
# register here what that means, in the archiving transaction and as its caller.
person_archived: Hook[Person] = Hook("person archived")


async def archive_person(
    session: AsyncSession, person_id: uuid.UUID, *, if_match: Precondition, principal: Principal
) -> Person:
    """Archive a person; `person_archived` then ends what they hold (memberships, tokens).
    History stays."""
    PEOPLE.check(principal, "write")
    person = await get_person(session, person_id)
    check_if_match(person, if_match)
    if not stamp(person, "archived_at"):
        return person
    await person_archived.run(session, person)
    await flush(session)
    return person
