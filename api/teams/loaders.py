"""DataLoaders for teams and rosters, created per request."""

import uuid
from collections import defaultdict
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from api.core.access import Principal
from api.core.graphql import LoaderGroup, by_key
from api.teams import service
from api.teams.lookups import get_teams
from api.teams.models import Membership, Team

# (team, day or None for today, every stint instead of one day's roster)
RosterKey = tuple[uuid.UUID, date | None, bool]


def team_loader(session: AsyncSession) -> DataLoader[uuid.UUID, Team]:
    """Teams by id: one IN query per batch."""

    async def load(ids: list[uuid.UUID]) -> list[Team | BaseException]:
        return by_key(ids, await get_teams(session, ids), "team")

    return DataLoader(load_fn=load)


def roster_loader(session: AsyncSession) -> DataLoader[RosterKey, list[Membership]]:
    """Members of teams on a day (None: today), or every stint, people loaded: one query per
    distinct day."""

    async def load(keys: list[RosterKey]) -> list[list[Membership]]:
        teams_by_view: dict[tuple[date | None, bool], list[uuid.UUID]] = defaultdict(list)
        for team_id, day, every_stint in keys:
            teams_by_view[(day, every_stint)].append(team_id)
        found: dict[RosterKey, list[Membership]] = {}
        for (day, every_stint), team_ids in teams_by_view.items():
            grouped = await service.memberships_for_teams(
                session, team_ids, on=day, every_stint=every_stint
            )
            found.update({(team_id, day, every_stint): rows for team_id, rows in grouped.items()})
        return [found.get(key, []) for key in keys]

    return DataLoader(load_fn=load)


def person_memberships_loader(session: AsyncSession) -> DataLoader[uuid.UUID, list[Membership]]:
    """Current memberships of people, teams loaded: one IN query per batch."""

    async def load(person_ids: list[uuid.UUID]) -> list[list[Membership]]:
        grouped = await service.memberships_for_people(session, person_ids)
        return [grouped.get(person_id, []) for person_id in person_ids]

    return DataLoader(load_fn=load)


class TeamLoaders(LoaderGroup):
    """Teams' and rosters' DataLoaders."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        super().__init__(session, principal)
        self.team = team_loader(session)
        self.roster = roster_loader(session)
        self.memberships_by_person = person_memberships_loader(session)
