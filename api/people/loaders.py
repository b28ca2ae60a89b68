"""DataLoaders for people, created per request."""

from sqlalchemy.ext.asyncio import AsyncSession

from api.core.access import Principal
from api.core.graphql import LoaderGroup, batch_loader, not_found
from api.people import service


class PeopleLoaders(LoaderGroup):
    """People by id: one IN query per batch."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        super().__init__(session, principal)
        self.person = batch_loader(
            lambda ids: service.get_people(session, ids), missing=not_found("person")
        )
