"""The org-wide team-size guideline: the numbers in force, and setting them."""

from dataclasses import dataclass
from itertools import pairwise

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.core.access import Principal
from api.core.db import utcnow
from api.core.errors import InvalidInput
from api.core.writes import Precondition, check_if_match, flush
from api.teams.health.models import TeamSizeGuideline
from api.teams.health.schemas import DEFAULT_GUIDELINE, GuidelineRead, GuidelineValues
from api.teams.policy import SETTINGS

_ORDER = ("minimum", "recommended_min", "recommended_max", "acceptable_max")


@dataclass(frozen=True)
class Guideline:
    """The guideline's numbers, and its stored row when an admin has set it."""

    minimum: int
    recommended_min: int
    recommended_max: int
    acceptable_max: int
    row: TeamSizeGuideline | None = None


async def load_guideline(session: AsyncSession) -> Guideline:
    """The guideline in force: the admins' row, or the defaults."""
    row = await session.scalar(
        select(TeamSizeGuideline).where(col(TeamSizeGuideline.scope) == "org")
    )
    if row is None:
        return Guideline(
            minimum=DEFAULT_GUIDELINE["minimum"],
            recommended_min=DEFAULT_GUIDELINE["recommended_min"],
            recommended_max=DEFAULT_GUIDELINE["recommended_max"],
            acceptable_max=DEFAULT_GUIDELINE["acceptable_max"],
        )
    return Guideline(
        minimum=row.minimum,
        recommended_min=row.recommended_min,
        recommended_max=row.recommended_max,
        acceptable_max=row.acceptable_max,
        row=row,
    )


def guideline_read(guideline: Guideline) -> GuidelineRead:
    """The guideline as clients see it."""
    row = guideline.row
    return GuidelineRead(
        id=row.id if row else None,
        version=row.version if row else 0,
        updated_at=row.updated_at if row else None,
        minimum=guideline.minimum,
        recommended_min=guideline.recommended_min,
        recommended_max=guideline.recommended_max,
        acceptable_max=guideline.acceptable_max,
    )


async def get_guideline(session: AsyncSession) -> Guideline:
    """The guideline in force."""
    return await load_guideline(session)


async def set_guideline(
    session: AsyncSession, *, data: GuidelineValues, if_match: Precondition, principal: Principal
) -> Guideline:
    """Replace the org-wide guideline; its numbers must be in order."""
    SETTINGS.check(principal, "manage")
    values = data.model_dump()
    for earlier, later in pairwise(_ORDER):
        if values[later] < values[earlier]:
            raise InvalidInput.field(later, f"must be at least {earlier} ({values[earlier]})")
    current = await load_guideline(session)
    row = current.row
    if row is None:
        row = TeamSizeGuideline(scope="org", **values)
        session.add(row)
    else:
        check_if_match(row, if_match)
        changed = False
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
        if changed:
            row.updated_at = utcnow()
    await flush(session)
    return await load_guideline(session)
