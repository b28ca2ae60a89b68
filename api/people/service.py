"""Rules and queries for people."""

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.core.db import folded, utcnow
from api.core.errors import Conflict, FieldError, NotFound
from api.core.pagination import Window, count_rows, fetch_window
from api.core.records import Precondition, apply_changes, check_if_match, flush, text_search
from api.identity.models import ApiToken
from api.people.models import Person
from api.people.schemas import PeopleFilter, PersonCreate, PersonUpdate
from api.teams.models import Membership
from api.teams.service import end_open_memberships

_REQUIRED = frozenset({"email", "name", "job_family", "home_org"})


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
    if not ids:
        return {}
    rows = await session.scalars(select(Person).where(col(Person.id).in_(set(ids))))
    return {person.id: person for person in rows}


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
    if filters.org:
        statement = statement.where(folded(col(Person.home_org)) == filters.org.lower())
    if filters.job_family:
        statement = statement.where(col(Person.job_family) == filters.job_family)
    if filters.q:
        statement = statement.where(text_search(filters.q, col(Person.name), col(Person.email)))
    return statement


async def list_people(
    session: AsyncSession, *, filters: PeopleFilter, cursor: str | None, limit: int
) -> Window[Person]:
    """One page of people matching the filters, oldest first."""
    return await fetch_window(session, _filtered(filters), Person.id, cursor=cursor, limit=limit)


async def count_people(session: AsyncSession, *, filters: PeopleFilter) -> int:
    """How many people match the filters."""
    return await count_rows(session, _filtered(filters))


async def create_person(session: AsyncSession, *, data: PersonCreate) -> Person:
    """Add a person; the email must be new."""
    await _check_email_free(session, data.email)
    person = Person(
        email=data.email, name=data.name, job_family=data.job_family, home_org=data.home_org
    )
    session.add(person)
    await flush(session)
    return person


async def update_person(
    session: AsyncSession, person_id: uuid.UUID, *, data: PersonUpdate, if_match: Precondition
) -> Person:
    """Change some of a person's fields."""
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


async def archive_person(
    session: AsyncSession, person_id: uuid.UUID, *, if_match: Precondition
) -> Person:
    """Archive a person, end the memberships they still hold and revoke their tokens; history
    stays."""
    person = await get_person(session, person_id)
    check_if_match(person, if_match)
    if person.archived_at is not None:
        return person
    now = utcnow()
    person.archived_at = now
    person.updated_at = now
    await end_open_memberships(session, col(Membership.person_id) == person.id, on=now.date())
    # A token acts as its person: once they are gone it must not go on working (each revocation
    # is an audited change of its own, by whoever archived the person).
    tokens = await session.scalars(
        select(ApiToken)
        .where(col(ApiToken.person_id) == person.id)
        .where(col(ApiToken.revoked_at).is_(None))
    )
    for token in tokens:
        token.revoked_at = now
        token.updated_at = now
    await flush(session)
    return person
