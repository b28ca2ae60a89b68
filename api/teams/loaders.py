"""DataLoaders for teams and rosters, created per request."""

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from api.core.access import Principal
from api.core.graphql import LoaderGroup, batch_loader, not_found, view_loader
from api.teams import service
from api.teams.lookups import get_teams
from api.teams.models import Membership

# Which roster: on a day (None: today), or every stint the team ever had.
RosterView = tuple[date | None, bool]


class TeamLoaders(LoaderGroup):
    """Teams by id, rosters (people loaded) by view or as plain rows, a person's memberships
    (teams loaded): one query per batch, or per distinct roster view."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        super().__init__(session, principal)
        self.team = batch_loader(lambda ids: get_teams(session, ids), missing=not_found("team"))
        self.roster = view_loader(self._roster, missing=lambda _: [])
        # Today's rosters as plain rows, people's columns included, for a page only read.
        self.roster_rows = batch_loader(
            lambda ids: service.roster_rows_for_teams(session, ids), missing=lambda _: []
        )
        self.memberships_by_person = batch_loader(
            lambda ids: service.memberships_for_people(session, ids), missing=lambda _: []
        )

    async def _roster(
        self, team_ids: list[uuid.UUID], view: RosterView
    ) -> dict[uuid.UUID, list[Membership]]:
        day, every_stint = view
        return await service.memberships_for_teams(
            self.session, team_ids, on=day, every_stint=every_stint
        )
