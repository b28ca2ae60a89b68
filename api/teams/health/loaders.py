"""DataLoaders for roster health, created per request."""

import uuid
from collections import defaultdict
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from api.teams.health import health
from api.teams.health.schemas import HealthPoint, TeamHealth
from api.teams.service import get_teams

HealthKey = tuple[uuid.UUID, date | None]


def team_health_loader(session: AsyncSession) -> DataLoader[HealthKey, TeamHealth]:
    """Health of teams on a day (None: today): a fixed number of queries per distinct day."""

    async def load(keys: list[HealthKey]) -> list[TeamHealth | BaseException]:
        teams = await get_teams(session, [team_id for team_id, _ in keys])
        by_day: dict[date | None, list[uuid.UUID]] = defaultdict(list)
        for team_id, day in keys:
            by_day[day].append(team_id)
        found: dict[HealthKey, TeamHealth] = {}
        for day, team_ids in by_day.items():
            shapes = await health.health_for_teams(
                session, [teams[team_id] for team_id in team_ids if team_id in teams], on=day
            )
            found.update({(team_id, day): item for team_id, item in shapes.items()})
        return [found.get(key) or LookupError(f"team {key[0]} not found") for key in keys]

    return DataLoader(load_fn=load)


def health_history_loader(session: AsyncSession) -> DataLoader[uuid.UUID, list[HealthPoint]]:
    """Health histories of teams: a fixed number of queries per batch."""

    async def load(team_ids: list[uuid.UUID]) -> list[list[HealthPoint] | BaseException]:
        teams = await get_teams(session, team_ids)
        histories = await health.health_histories(session, list(teams.values()))
        return [
            histories.get(team_id) or LookupError(f"team {team_id} not found")
            for team_id in team_ids
        ]

    return DataLoader(load_fn=load)
