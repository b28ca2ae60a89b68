"""DataLoaders for people, created per request."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from api.core.access import Principal
from api.core.graphql import LoaderGroup, by_key
from api.people import service
from api.people.models import Person


def person_loader(session: AsyncSession) -> DataLoader[uuid.UUID, Person]:
    """People by id: one IN query per batch."""

    async def load(ids: list[uuid.UUID]) -> list[Person | BaseException]:
        return by_key(ids, await service.get_people(session, ids), "person")

    return DataLoader(load_fn=load)


class PeopleLoaders(LoaderGroup):
    """People's DataLoaders."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        super().__init__(session, principal)
        self.person = person_loader(session)
