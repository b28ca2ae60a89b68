"""DataLoaders for people, created per request."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from api.core.graphql import by_key
from api.people import service
from api.people.models import Person


def person_loader(session: AsyncSession) -> DataLoader[uuid.UUID, Person]:
    """People by id: one IN query per batch."""

    async def load(ids: list[uuid.UUID]) -> list[Person | BaseException]:
        return by_key(ids, await service.get_people(session, ids), "person")

    return DataLoader(load_fn=load)
