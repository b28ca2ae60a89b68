"""Size exceptions: a team's own maximum above the guideline, granted with a reason and withdrawn;
replaced and withdrawn ones stay as history."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.core.access import Principal
from api.core.db import utcnow
from api.core.errors import Conflict, InvalidInput, NotFound
from api.core.fields import read_as
from api.core.writes import Precondition, check_if_match, flush, stamp
from api.teams.health.guideline import load_guideline
from api.teams.health.models import TeamSizeException
from api.teams.health.rules import exception_in_force, exception_in_force_at
from api.teams.health.schemas import SizeExceptionCreate, SizeExceptionRead
from api.teams.lookups import get_team
from api.teams.models import Team
from api.teams.policy import SIZE_EXCEPTIONS


def exception_read(exception: TeamSizeException, team: Team, *, active: bool) -> SizeExceptionRead:
    """An exception as clients see it; `active` says whether it is in force now."""
    return read_as(SizeExceptionRead, exception, team=team.slug, active=active)


@dataclass(frozen=True)
class TeamException:
    """A team's size exception, and whether it is in force now (as the database's rule says)."""

    team: Team
    record: TeamSizeException
    active: bool

    def read(self) -> SizeExceptionRead:
        """The exception as clients see it."""
        return exception_read(self.record, self.team, active=self.active)


async def _current_exception(session: AsyncSession, team: Team) -> TeamSizeException | None:
    return await session.scalar(exception_in_force(team.id, utcnow()))


async def _in_force_now(session: AsyncSession, exception: TeamSizeException) -> bool:
    # Asked of the database (the exception is flushed) so the one rule decides it.
    in_force = await session.scalar(
        select(exception_in_force_at(utcnow())).where(col(TeamSizeException.id) == exception.id)
    )
    return bool(in_force)


async def get_exception(session: AsyncSession, slug: str) -> TeamException:
    """A team's size exception in force now; 404 when it has none."""
    team = await get_team(session, slug)
    exception = await _current_exception(session, team)
    if exception is None:
        raise NotFound(f"team {slug!r} has no size exception in force")
    # Found by the rule, at this moment.
    return TeamException(team, exception, active=True)


async def grant_exception(
    session: AsyncSession,
    slug: str,
    *,
    data: SizeExceptionCreate,
    if_match: Precondition,
    principal: Principal,
) -> TeamException:
    """Give a team its own maximum; a previous exception is withdrawn and kept as history."""
    SIZE_EXCEPTIONS.check(principal, "grant")
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
        stamp(previous, "withdrawn_at", at=now)
    exception = TeamSizeException(**data.model_dump(), team_id=team.id, approved_by=principal.actor)
    session.add(exception)
    await flush(session)
    return TeamException(team, exception, active=await _in_force_now(session, exception))


async def withdraw_exception(
    session: AsyncSession, slug: str, *, if_match: Precondition, principal: Principal
) -> TeamException:
    """Withdraw a team's exception: the org-wide guideline applies again at once."""
    SIZE_EXCEPTIONS.check(principal, "grant")
    await session.refresh(await get_team(session, slug), with_for_update=True)
    current = await get_exception(session, slug)
    exception = current.record
    check_if_match(exception, if_match)
    stamp(exception, "withdrawn_at")
    await flush(session)
    return TeamException(current.team, exception, active=await _in_force_now(session, exception))
