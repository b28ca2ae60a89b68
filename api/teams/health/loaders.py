"""DataLoaders for roster health, created per request."""

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from api.core.access import Principal
from api.core.graphql import LoaderGroup, batch_loader, not_found, view_loader
from api.teams.health import health
from api.teams.health.schemas import HealthPoint, TeamHealth
from api.teams.lookups import get_teams


class HealthLoaders(LoaderGroup):
    """Teams' health on a day (None: today), a fixed number of queries per distinct day; and
    their health histories, a fixed number per batch."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        super().__init__(session, principal)
        self.team_health = view_loader(self._health, missing=not_found("team"))
        self.health_history = batch_loader(self._histories, missing=not_found("team"))

    async def _health(
        self, team_ids: list[uuid.UUID], day: date | None
    ) -> dict[uuid.UUID, TeamHealth]:
        teams = await get_teams(self.session, team_ids)
        return await health.health_for_teams(self.session, list(teams.values()), on=day)

    async def _histories(self, team_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[HealthPoint]]:
        teams = await get_teams(self.session, team_ids)
        return await health.health_histories(self.session, list(teams.values()))
