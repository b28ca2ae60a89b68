"""The roster-health rules, each stated once, in SQL.

A team's status is asked for three ways: its health on one day, its health history, and the team
list's health filter over every team. All three evaluate these expressions in the database, so
they cannot disagree, and each costs a fixed number of statements however many teams, members
and days it covers. Kept apart from the health module so the team list can use them without
importing it (it builds on the teams service).
"""

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    FromClause,
    Select,
    SQLColumnExpression,
    Subquery,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    union,
)
from sqlmodel import col

from api.core.db import UTCDateTime, sql_function, utcnow
from api.teams.health.guideline import Guideline
from api.teams.health.models import HealthStatus, TeamSizeException
from api.teams.models import Membership, Team, active_on

Day = date | ColumnElement[date]
Instant = datetime | ColumnElement[datetime]


utc_day = sql_function(
    "utc_day",
    Date(),
    "The UTC calendar day (the one rosters are kept in) of a stored timestamp.",
    default="CAST(({0}) AT TIME ZONE 'UTC' AS DATE)",
    sqlite="date({0})",
)
# SQLite keeps timestamps as text in this layout (UTCDateTime stores them in UTC), and compares
# them as text.
last_moment = sql_function(
    "last_moment",
    UTCDateTime(),
    "The last microsecond of a UTC calendar day, as a timestamp.",
    default=(
        "((CAST(({0}) AS TIMESTAMP) + INTERVAL '1 day' - INTERVAL '1 microsecond')"
        " AT TIME ZONE 'UTC')"
    ),
    sqlite="(({0}) || ' 23:59:59.999999')",
)


def reference_instant(day: Day, *, now: datetime) -> ColumnElement[datetime]:
    """The moment health on `day` describes: `now` for today, else the last moment of the day."""
    return case(
        (literal(now.date(), Date) > day, last_moment(day)), else_=literal(now, UTCDateTime)
    )


def exception_in_force_at(instant: Instant) -> ColumnElement[bool]:
    """An exception in force at `instant`: granted by then, and neither expired nor withdrawn."""
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


def exception_in_force(
    team_id: uuid.UUID | ColumnElement[uuid.UUID], instant: Instant
) -> Select[TeamSizeException]:
    """The team's exception in force at `instant`. Grants take turns, so there is one at most;
    should two ever overlap, the later grant is the one that counts."""
    return (
        select(TeamSizeException)
        .where(col(TeamSizeException.team_id) == team_id)
        .where(exception_in_force_at(instant))
        .order_by(col(TeamSizeException.id).desc())
        .limit(1)
    )


def health_status(
    headcount: SQLColumnExpression[int],
    exception_max: SQLColumnExpression[int | None],
    guideline: Guideline,
) -> ColumnElement[str]:
    """Where a headcount sits against the guideline and the team's exception (null: none)."""
    return case(
        (headcount < guideline.minimum, literal(HealthStatus.UNDER.value)),
        (
            headcount.between(guideline.recommended_min, guideline.recommended_max),
            literal(HealthStatus.RECOMMENDED.value),
        ),
        (headcount <= guideline.acceptable_max, literal(HealthStatus.ACCEPTABLE.value)),
        (
            and_(exception_max.is_not(None), headcount <= exception_max),
            literal(HealthStatus.OVER_WITH_EXCEPTION.value),
        ),
        else_=literal(HealthStatus.OVER.value),
    )


def size_limit(
    exception_max: SQLColumnExpression[int | None], guideline: Guideline
) -> ColumnElement[int]:
    """The largest headcount that is not `over`: the exception's maximum or the guideline's."""
    return case(
        (exception_max > guideline.acceptable_max, exception_max),
        else_=literal(guideline.acceptable_max),
    )


def team_sizes(days: FromClause, guideline: Guideline, *, now: datetime) -> Select[Any]:
    """For each (`team_id`, `day`) row of `days`: the team's `headcount` and summed
    `allocation` that day, the `exception_id` in force, and its `status` and `limit`. The
    exception's row is joined as `TeamSizeException`, so callers may select more of it."""
    counted = (
        select(
            days.c.team_id,
            days.c.day,
            func.count(col(Membership.id)).label("headcount"),
            func.coalesce(func.sum(col(Membership.allocation_percent)), 0).label("allocation"),
        )
        .select_from(days)
        .outerjoin(
            Membership,
            and_(col(Membership.team_id) == days.c.team_id, *active_on(days.c.day)),
        )
        .group_by(days.c.team_id, days.c.day)
        .subquery("counted")
    )
    in_force = exception_in_force(counted.c.team_id, reference_instant(counted.c.day, now=now))
    sized = select(
        counted,
        in_force.with_only_columns(col(TeamSizeException.id))
        .scalar_subquery()
        .label("exception_id"),
    ).subquery("sized")
    exception_max = col(TeamSizeException.max_size)
    return (
        select(
            sized.c.team_id,
            sized.c.day,
            sized.c.headcount,
            sized.c.allocation,
            sized.c.exception_id,
            health_status(sized.c.headcount, exception_max, guideline).label("status"),
            size_limit(exception_max, guideline).label("limit"),
        )
        .select_from(sized)
        .outerjoin(TeamSizeException, col(TeamSizeException.id) == sized.c.exception_id)
    )


def one_day(day: date, team_ids: Sequence[uuid.UUID] | None = None) -> Subquery:
    """`team_id` and `day` for every team (or the given ones) on one day."""
    chosen = [] if team_ids is None else [col(Team.id).in_(team_ids)]
    return (
        select(col(Team.id).label("team_id"), literal(day, Date).label("day"))
        .where(*chosen)
        .subquery("days")
    )


def change_days(team_ids: Sequence[uuid.UUID], *, until: date) -> Subquery:
    """`team_id` and `day` for each day, up to `until`, that a team was created or its roster or
    size exception changed."""
    members = col(Membership.team_id).in_(team_ids)
    excepted = col(TeamSizeException.team_id).in_(team_ids)
    changes = union(
        select(col(Team.id).label("team_id"), utc_day(col(Team.created_at)).label("day")).where(
            col(Team.id).in_(team_ids)
        ),
        select(col(Membership.team_id), col(Membership.start_date)).where(members),
        select(col(Membership.team_id), col(Membership.end_date)).where(
            members, col(Membership.end_date).is_not(None)
        ),
        select(col(TeamSizeException.team_id), utc_day(col(TeamSizeException.created_at))).where(
            excepted
        ),
        *(
            select(col(TeamSizeException.team_id), utc_day(moment)).where(
                excepted, moment.is_not(None)
            )
            for moment in (col(TeamSizeException.expires_at), col(TeamSizeException.withdrawn_at))
        ),
    ).subquery("changes")
    return select(changes.c.team_id, changes.c.day).where(changes.c.day <= until).subquery("days")


def history_points(
    team_ids: Sequence[uuid.UUID], guideline: Guideline, *, now: datetime
) -> Select[Any]:
    """Each team's size and status on each change day where its headcount, allocation, status or
    limit differs from the day before, oldest first."""
    points = team_sizes(change_days(team_ids, until=now.date()), guideline, now=now).subquery(
        "points"
    )
    compared = ("headcount", "allocation", "status", "limit")
    ranked = select(
        points,
        *(
            func.lag(points.c[name])
            .over(partition_by=points.c.team_id, order_by=points.c.day)
            .label(f"previous_{name}")
            for name in compared
        ),
    ).subquery("ranked")
    changed = or_(
        ranked.c.previous_status.is_(None),
        *(ranked.c[name] != ranked.c[f"previous_{name}"] for name in compared),
    )
    return (
        select(
            ranked.c.team_id,
            ranked.c.day,
            ranked.c.headcount,
            ranked.c.allocation,
            ranked.c.status,
            ranked.c.limit,
        )
        .where(changed)
        .order_by(ranked.c.team_id, ranked.c.day)
    )


def team_status_subquery(guideline: Guideline, on: date | None) -> Subquery:
    """Per team: `team_id`, `headcount` and `status` on a day (today by default)."""
    now = utcnow()
    return team_sizes(one_day(on or now.date()), guideline, now=now).subquery("statuses")
