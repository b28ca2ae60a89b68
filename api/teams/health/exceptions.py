"""Size exceptions: a team's own maximum above the guideline, granted with a reason and withdrawn;
replaced and withdrawn ones stay as history."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.core.access import Action, Principal, authorize
from api.core.db import utcnow
from api.core.errors import Conflict, InvalidInput, NotFound
from api.core.records import Precondition, check_if_match, flush
from api.teams.health.guideline import load_guideline
from api.teams.health.models import TeamSizeException
from api.teams.health.rules import exception_active_at
from api.teams.health.schemas import SizeExceptionCreate, SizeExceptionRead
from api.teams.models import Team
from api.teams.service import get_team


def exception_read(exception: TeamSizeException, team: Team) -> SizeExceptionRead:
    """An exception as clients see it."""
    return SizeExceptionRead(
        id=exception.id,
        created_at=exception.created_at,
        updated_at=exception.updated_at,
        version=exception.version,
        team=team.slug,
        max_size=exception.max_size,
        justification=exception.justification,
        approved_by=exception.approved_by,
        expires_at=exception.expires_at,
        withdrawn_at=exception.withdrawn_at,
        active=exception.in_force_at(utcnow()),
    )


async def _current_exception(session: AsyncSession, team: Team) -> TeamSizeException | None:
    return await session.scalar(
        select(TeamSizeException)
        .where(col(TeamSizeException.team_id) == team.id)
        .where(exception_active_at(utcnow()))
        .order_by(col(TeamSizeException.id).desc())
        .limit(1)
    )


async def get_exception(session: AsyncSession, slug: str) -> tuple[Team, TeamSizeException]:
    """A team's size exception in force now; 404 when it has none."""
    team = await get_team(session, slug)
    exception = await _current_exception(session, team)
    if exception is None:
        raise NotFound(f"team {slug!r} has no size exception in force")
    return team, exception


async def grant_exception(
    session: AsyncSession,
    slug: str,
    *,
    data: SizeExceptionCreate,
    if_match: Precondition,
    principal: Principal,
) -> tuple[Team, TeamSizeException]:
    """Give a team its own maximum; a previous exception is withdrawn and kept as history."""
    authorize(principal, Action.SIZE_EXCEPTION_GRANT)
    team = await get_team(session, slug)
    # Grants for one team take turns (the row lock lasts until commit), so exactly one
    # exception is ever in force: the next grant sees and withdraws the one before it.
    await session.refresh(team, with_for_update=True)
    if team.archived_at is not None:
        raise Conflict(f"team {slug!r} is archived")
    now = utcnow()
    if data.expires_at is not None and data.expires_at <= now:
        raise InvalidInput.field("expires_at", "must be in the future")
    guideline = await load_guideline(session)
    if data.max_size <= guideline.acceptable_max:
        raise InvalidInput.field(
            "max_size",
            f"must be above the guideline's acceptable maximum ({guideline.acceptable_max}); "
            "a team that size needs no exception",
        )
    previous = await _current_exception(session, team)
    if previous is not None:
        check_if_match(previous, if_match)
        previous.withdrawn_at = now
        previous.updated_at = now
    exception = TeamSizeException(
        team_id=team.id,
        max_size=data.max_size,
        justification=data.justification,
        approved_by=principal.actor,
        expires_at=data.expires_at,
    )
    session.add(exception)
    await flush(session)
    return team, exception


async def withdraw_exception(
    session: AsyncSession, slug: str, *, if_match: Precondition, principal: Principal
) -> tuple[Team, TeamSizeException]:
    """Withdraw a team's exception: the org-wide guideline applies again at once."""
    authorize(principal, Action.SIZE_EXCEPTION_GRANT)
    await session.refresh(await get_team(session, slug), with_for_update=True)
    team, exception = await get_exception(session, slug)
    check_if_match(exception, if_match)
    exception.withdrawn_at = utcnow()
    exception.updated_at = exception.withdrawn_at
    await flush(session)
    return team, exception
