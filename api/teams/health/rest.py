"""REST face of the two-pizza guideline: /api/v1/guidelines/team-size, and each team's health
and size exception under /api/v1/teams/{slug}."""

from typing import Annotated

from litestar import Response, Router, get, put
from litestar.params import JSONBody

from api.core.access import PrincipalDep
from api.core.db import SessionDep
from api.core.rest import (
    READ_PROBLEMS,
    UPDATE_PROBLEMS,
    IfMatch,
    TeamSlug,
    archive_route,
    day,
    guarded,
    problems,
    versioned,
    when,
)
from api.core.writes import etag
from api.teams.health import exceptions, guideline, health
from api.teams.health.schemas import (
    GuidelineRead,
    GuidelineValues,
    HealthPoint,
    SizeExceptionCreate,
    SizeExceptionRead,
    TeamHealth,
)
from api.teams.policy import SETTINGS, SIZE_EXCEPTIONS, TEAMS


@guarded(
    get,
    "/",
    "getTeamSizeGuideline",
    TEAMS,
    "read",
    summary="The team-size guideline",
    responses=problems(),
)
async def get_guideline(session: SessionDep) -> Response[GuidelineRead]:
    """The guideline in force (the defaults until an admin sets it)."""
    current = await guideline.get_guideline(session)
    headers = {"ETag": etag(current.row)} if current.row else {}
    return Response(guideline.guideline_read(current), headers=headers)


@guarded(
    put,
    "/",
    "setTeamSizeGuideline",
    SETTINGS,
    "manage",
    summary="Set the team-size guideline",
    responses=problems(409, 412, 413, 415, 422),
)
async def set_guideline(
    session: SessionDep,
    principal: PrincipalDep,
    data: JSONBody[GuidelineValues],
    if_match: IfMatch = None,
) -> Response[GuidelineRead]:
    """Replace the guideline; its numbers must be in order. Admins only."""
    saved = await guideline.set_guideline(
        session, data=data, if_match=if_match, principal=principal
    )
    assert saved.row is not None
    return versioned(guideline.guideline_read(saved), saved.row)


At = Annotated[str | None, when("A past day (YYYY-MM-DD); today when left out", format="date")]


@guarded(
    get,
    "/health",
    "getTeamHealth",
    TEAMS,
    "read",
    summary="A team's roster health",
    responses=READ_PROBLEMS,
)
async def team_health(session: SessionDep, slug: TeamSlug, at: At = None) -> TeamHealth:
    """Headcount, FTE, status against the guideline, communication paths, home orgs,
    job-family and role mix, over-allocated members, and plain-language warnings."""
    return await health.team_health(session, slug, on=day(at, field="at"))


@guarded(
    get,
    "/health/history",
    "getTeamHealthHistory",
    TEAMS,
    "read",
    summary="A team's size and status over time",
    responses=READ_PROBLEMS,
)
async def health_history(session: SessionDep, slug: TeamSlug) -> list[HealthPoint]:
    """One point for each day the team's size, FTE, status or limit changed, oldest first."""
    return await health.health_history(session, slug)


@guarded(
    get,
    "/size-exception",
    "getTeamSizeException",
    TEAMS,
    "read",
    summary="A team's size exception",
    responses=READ_PROBLEMS,
)
async def get_exception(session: SessionDep, slug: TeamSlug) -> Response[SizeExceptionRead]:
    """The exception in force; 404 when the team has none."""
    current = await exceptions.get_exception(session, slug)
    return versioned(current.read(), current.record)


@guarded(
    put,
    "/size-exception",
    "grantTeamSizeException",
    SIZE_EXCEPTIONS,
    "grant",
    summary="Grant a team a size exception",
    responses=UPDATE_PROBLEMS,
)
async def grant_exception(
    session: SessionDep,
    principal: PrincipalDep,
    slug: TeamSlug,
    data: JSONBody[SizeExceptionCreate],
    if_match: IfMatch = None,
) -> Response[SizeExceptionRead]:
    """Give the team its own maximum, with a justification and an optional expiry; any
    previous exception is withdrawn and kept as history. Admins only."""
    granted = await exceptions.grant_exception(
        session, slug, data=data, if_match=if_match, principal=principal
    )
    return versioned(granted.read(), granted.record)


@archive_route(
    "/size-exception",
    "withdrawTeamSizeException",
    SIZE_EXCEPTIONS,
    summary="Withdraw a team's size exception",
    verb="grant",
)
async def withdraw_exception(
    session: SessionDep, principal: PrincipalDep, slug: TeamSlug, if_match: IfMatch = None
) -> None:
    """The org-wide guideline applies to the team again at once; the exception stays as
    history. Admins only."""
    await exceptions.withdraw_exception(session, slug, if_match=if_match, principal=principal)


GUIDELINE_ROUTES = Router(
    "/guidelines/team-size", tags=["roster health"], route_handlers=[get_guideline, set_guideline]
)
HEALTH_ROUTES = Router(
    "/teams/{slug:str}",
    tags=["roster health"],
    route_handlers=[
        team_health,
        health_history,
        get_exception,
        grant_exception,
        withdraw_exception,
    ],
)
