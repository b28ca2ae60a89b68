"""REST face of the two-pizza guideline: /api/v1/guidelines/team-size, and each team's health
and size exception under /api/v1/teams/{slug}."""

from typing import Annotated

from litestar import Controller, Response, delete, get, put
from litestar.params import JSONBody, Parameter

from api.core.access import Action, PrincipalDep, allow
from api.core.db import SessionDep
from api.core.records import etag
from api.core.rest import (
    ARCHIVE_PROBLEMS,
    READ_PROBLEMS,
    UPDATE_PROBLEMS,
    IfMatch,
    TeamSlug,
    absent_or,
    day,
    problems,
    versioned,
)
from api.teams.health import service
from api.teams.health.schemas import (
    GuidelineRead,
    GuidelineValues,
    HealthPoint,
    SizeExceptionCreate,
    SizeExceptionRead,
    TeamHealth,
)


class GuidelineController(Controller):
    """The org-wide team-size guideline."""

    path = "/guidelines/team-size"
    tags = ("roster health",)

    @get(
        "/",
        operation_id="getTeamSizeGuideline",
        guards=[allow(Action.TEAM_READ)],
        summary="The team-size guideline",
        responses=problems(),
    )
    async def get_guideline(self, session: SessionDep) -> Response[GuidelineRead]:
        """The guideline in force (the defaults until an admin sets it)."""
        guideline = await service.get_guideline(session)
        headers = {"ETag": etag(guideline.row)} if guideline.row else {}
        return Response(service.guideline_read(guideline), headers=headers)

    @put(
        "/",
        operation_id="setTeamSizeGuideline",
        guards=[allow(Action.SETTINGS_MANAGE)],
        summary="Set the team-size guideline",
        responses=problems(409, 412, 413, 415, 422),
    )
    async def set_guideline(
        self, session: SessionDep, data: JSONBody[GuidelineValues], if_match: IfMatch = None
    ) -> Response[GuidelineRead]:
        """Replace the guideline; its numbers must be in order. Admins only."""
        guideline = await service.set_guideline(session, data=data, if_match=if_match)
        assert guideline.row is not None
        return versioned(service.guideline_read(guideline), guideline.row)


class TeamHealthController(Controller):
    """A team's roster health and its size exception."""

    path = "/teams/{slug:str}"
    tags = ("roster health",)

    @get(
        "/health",
        operation_id="getTeamHealth",
        guards=[allow(Action.TEAM_READ)],
        summary="A team's roster health",
        responses=READ_PROBLEMS,
    )
    async def health(
        self,
        session: SessionDep,
        slug: TeamSlug,
        at: Annotated[
            str | None,
            Parameter(
                description="A past day (YYYY-MM-DD); today when left out",
                schema_extra=absent_or(format="date"),
            ),
        ] = None,
    ) -> TeamHealth:
        """Headcount, FTE, status against the guideline, communication paths, home orgs,
        job-family and role mix, over-allocated members, and plain-language warnings."""
        return await service.team_health(session, slug, on=day(at, field="at"))

    @get(
        "/health/history",
        operation_id="getTeamHealthHistory",
        guards=[allow(Action.TEAM_READ)],
        summary="A team's size and status over time",
        responses=READ_PROBLEMS,
    )
    async def health_history(self, session: SessionDep, slug: TeamSlug) -> list[HealthPoint]:
        """One point for each day the team's size, FTE, status or limit changed, oldest first."""
        return await service.health_history(session, slug)

    @get(
        "/size-exception",
        operation_id="getTeamSizeException",
        guards=[allow(Action.TEAM_READ)],
        summary="A team's size exception",
        responses=READ_PROBLEMS,
    )
    async def get_exception(
        self, session: SessionDep, slug: TeamSlug
    ) -> Response[SizeExceptionRead]:
        """The exception in force; 404 when the team has none."""
        team, exception = await service.get_exception(session, slug)
        return versioned(service.exception_read(exception, team), exception)

    @put(
        "/size-exception",
        operation_id="grantTeamSizeException",
        guards=[allow(Action.SIZE_EXCEPTION_GRANT)],
        summary="Grant a team a size exception",
        responses=UPDATE_PROBLEMS,
    )
    async def grant_exception(
        self,
        session: SessionDep,
        principal: PrincipalDep,
        slug: TeamSlug,
        data: JSONBody[SizeExceptionCreate],
        if_match: IfMatch = None,
    ) -> Response[SizeExceptionRead]:
        """Give the team its own maximum, with a justification and an optional expiry; any
        previous exception is withdrawn and kept as history. Admins only."""
        team, exception = await service.grant_exception(
            session, slug, data=data, if_match=if_match, principal=principal
        )
        return versioned(service.exception_read(exception, team), exception)

    @delete(
        "/size-exception",
        operation_id="withdrawTeamSizeException",
        guards=[allow(Action.SIZE_EXCEPTION_GRANT)],
        summary="Withdraw a team's size exception",
        responses=ARCHIVE_PROBLEMS,
    )
    async def withdraw_exception(
        self,
        session: SessionDep,
        principal: PrincipalDep,
        slug: TeamSlug,
        if_match: IfMatch = None,
    ) -> None:
        """The org-wide guideline applies to the team again at once; the exception stays as
        history. Admins only."""
        await service.withdraw_exception(session, slug, if_match=if_match, principal=principal)
