"""Finding teams, below everything else in the teams package that needs one."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.core.db import by_ids
from api.core.errors import NotFound
from api.teams.models import Team


async def get_team(session: AsyncSession, slug: str) -> Team:
    """A team by slug, archived or not."""
    team = await session.scalar(select(Team).where(col(Team.slug) == slug))
    if team is None:
        raise NotFound(f"no team with slug {slug!r}")
    return team


async def get_teams(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Team]:
    """Many teams by id, in one query."""
    return await by_ids(session, Team, ids)
