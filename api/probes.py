"""Liveness and readiness probes; open to everyone, no token."""

from typing import Annotated

import msgspec
from litestar import MediaType, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from msgspec import Meta, Struct
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.core.access import OPEN_ROUTE
from api.core.middleware import constant_answer


class ProbeAnswer(Struct, frozen=True):
    """What a liveness or readiness probe answers (not a team's health: see `TeamHealth`).

    A msgspec struct, which msgspec encodes itself, rather than a pydantic model: orchestrators call
    the probes often, and the probes answer a constant.
    """

    status: Annotated[str, Meta(description="`ok`, or `unavailable` when not ready")]


_OK = ProbeAnswer(status="ok")
# `/healthz` as `PizzaboxApp` answers it before routing, when nothing along the way (metrics,
# CORS) would change or count the answer: authentication, limits, hooks and the handler would
# only hand back this constant, and cost a probe a fifth of its rate.
LIVENESS = constant_answer(msgspec.json.encode(_OK))


@get(
    "/healthz",
    operation_id="healthz",
    tags=["health"],
    summary="Is the process up?",
    opt=OPEN_ROUTE,
)
async def healthz() -> ProbeAnswer:
    """Answers as long as the process serves requests."""
    return _OK


@get(
    "/readyz",
    operation_id="readyz",
    tags=["health"],
    summary="Can the service reach its database?",
    opt=OPEN_ROUTE,
    responses={503: ResponseSpec(data_container=ProbeAnswer, description="Database unreachable")},
)
async def readyz(state: State) -> Response[ProbeAnswer]:
    """200 when the database answers, 503 when it does not."""
    engine: AsyncEngine = state.engine
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means "not ready"
        return Response(
            ProbeAnswer(status="unavailable"), status_code=503, media_type=MediaType.JSON
        )
    return Response(ProbeAnswer(status="ok"))
