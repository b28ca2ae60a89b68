"""SQL for roster health: each team's headcount and status, and the exceptions in force.

Kept apart from the health module so the team list can filter by health without importing it
(it builds on the teams service).
"""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Subquery, and_, case, func, literal, or_, select
from sqlmodel import col

from api.core.db import utcnow
from api.teams.health.guideline import Guideline
from api.teams.health.models import HealthStatus, TeamSizeException
from api.teams.models import Membership, Team, active_on, today


def reference_instant(on: date | None) -> datetime:
    """The moment health describes: now for today, else the last moment of the given day."""
    if on is None or on >= today():
        return utcnow()
    return datetime.combine(on + timedelta(days=1), time.min, tzinfo=UTC) - timedelta(
        microseconds=1
    )


def exception_active_at(instant: datetime) -> ColumnElement[bool]:
    """An exception in force at `instant`: granted before it, not yet expired or withdrawn."""
    return and_(
        col(TeamSizeException.created_at) <= instant,
        or_(
            col(TeamSizeException.expires_at).is_(None), col(TeamSizeException.expires_at) > instant
        ),
        or_(
            col(TeamSizeException.withdrawn_at).is_(None),
            col(TeamSizeException.withdrawn_at) > instant,
        ),
    )


def team_status_subquery(guideline: Guideline, on: date | None) -> Subquery:
    """Per team: `team_id`, `headcount` and `status` on a day, all computed in SQL."""
    day = on or today()
    headcounts = (
        select(col(Membership.team_id).label("team_id"), func.count().label("headcount"))
        .where(*active_on(day))
        .group_by(col(Membership.team_id))
        .subquery()
    )
    exceptions = (
        select(
            col(TeamSizeException.team_id).label("team_id"),
            func.max(col(TeamSizeException.max_size)).label("max_size"),
        )
        .where(exception_active_at(reference_instant(on)))
        .group_by(col(TeamSizeException.team_id))
        .subquery()
    )
    headcount = func.coalesce(headcounts.c.headcount, 0)
    status = case(
        (headcount < guideline.minimum, literal(HealthStatus.UNDER.value)),
        (
            headcount.between(guideline.recommended_min, guideline.recommended_max),
            literal(HealthStatus.RECOMMENDED.value),
        ),
        (headcount <= guideline.acceptable_max, literal(HealthStatus.ACCEPTABLE.value)),
        (
            and_(exceptions.c.max_size.is_not(None), headcount <= exceptions.c.max_size),
            literal(HealthStatus.OVER_WITH_EXCEPTION.value),
        ),
        else_=literal(HealthStatus.OVER.value),
    )
    return (
        select(col(Team.id).label("team_id"), headcount.label("headcount"), status.label("status"))
        .outerjoin(headcounts, headcounts.c.team_id == col(Team.id))
        .outerjoin(exceptions, exceptions.c.team_id == col(Team.id))
        .subquery()
    )
