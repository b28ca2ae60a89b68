"""DataLoaders for teams and rosters, created per request."""

import uuid
from collections import defaultdict
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from api.graphql_core import by_key
from api.teams import service
from api.teams.models import Membership, Team

RosterKey = tuple[uuid.UUID, date | None]


def team_loader(session: AsyncSession) -> DataLoader[uuid.UUID, Team]:
    """Teams by id: one IN query per batch."""

    async def load(ids: list[uuid.UUID]) -> list[Team | BaseException]:
        return by_key(ids, await service.get_teams(session, ids), "team")

    return DataLoader(load_fn=load)


def roster_loader(session: AsyncSession) -> DataLoader[RosterKey, list[Membership]]:
    """Members of teams on a day (None: today), people loaded: one query per distinct day."""

    async def load(keys: list[RosterKey]) -> list[list[Membership]]:
        teams_by_day: dict[date | None, list[uuid.UUID]] = defaultdict(list)
        for team_id, day in keys:
            teams_by_day[day].append(team_id)
        found: dict[RosterKey, list[Membership]] = {}
        for day, team_ids in teams_by_day.items():
            grouped = await service.memberships_for_teams(session, team_ids, on=day)
            found.update({(team_id, day): rows for team_id, rows in grouped.items()})
        return [found.get(key, []) for key in keys]

    return DataLoader(load_fn=load)


def person_memberships_loader(session: AsyncSession) -> DataLoader[uuid.UUID, list[Membership]]:
    """Current memberships of people, teams loaded: one IN query per batch."""

    async def load(person_ids: list[uuid.UUID]) -> list[list[Membership]]:
        grouped = await service.memberships_for_people(session, person_ids)
        return [grouped.get(person_id, []) for person_id in person_ids]

    return DataLoader(load_fn=load)
