"""REST face of the portfolio: its figures as JSON (`/portfolio`) and one row per product as
CSV (`/portfolio.csv`), both filtered by org, team and stage."""

import csv
import io
from collections.abc import AsyncIterator
from typing import Annotated

from litestar import Router, get
from litestar.response import Stream

from api.core.access import PrincipalDep
from api.core.db import SessionDep
from api.core.rest import choice, choice_of, guarded, problems, text
from api.portfolio import service
from api.portfolio.policy import PORTFOLIO
from api.portfolio.schemas import PortfolioFilter, PortfolioRead
from api.products.models import Stage

Org = Annotated[str | None, text("The owning team's org", max_length=100)]
TeamFilter = Annotated[str | None, text("The owning team's slug", max_length=63)]
StageFilter = Annotated[str | None, choice_of(Stage, "Products in this stage")]

# Litestar adds "; charset=utf-8" to a text type itself: given here too, it was sent twice.
CSV_MEDIA_TYPE = "text/csv; header=present"
# Rows encoded per chunk of the streamed CSV.
CSV_CHUNK_ROWS = 1_000
CRLF = "\r\n"


def portfolio_filter(org: str | None, team: str | None, stage: str | None) -> PortfolioFilter:
    """The filters a request gave (422 for a stage that is not one); an empty one is none."""
    return PortfolioFilter(org=org, team=team, stage=choice(Stage, stage or None, field="stage"))


@guarded(
    get,
    "/portfolio",
    "getPortfolio",
    PORTFOLIO,
    "read",
    summary="The whole portfolio",
    responses=problems(422),
)
async def get_portfolio(
    session: SessionDep,
    principal: PrincipalDep,
    org: Org = None,
    team: TeamFilter = None,
    stage: StageFilter = None,
) -> PortfolioRead:
    """Products by stage, org and classification; readiness and what blocks it; launches due in
    the next 30 and 90 days; slipped launch dates; checkpoints, findings, documents and team
    health. `findings` (viewers) and `documents.security_faq` (viewers, ci tokens) are null for
    roles that may not read them; a ci token sees only the products it lists."""
    return await service.portfolio(session, portfolio_filter(org, team, stage), principal=principal)


async def csv_chunks(header: list[str], lines: list[str]) -> AsyncIterator[bytes]:
    """The CSV (RFC 4180: CRLF line ends, quoted where needed) in UTF-8, a chunk at a time:
    the header, then the lines the database wrote. Asynchronous, though it never waits: Litestar
    hands each step of a plain iterator to a worker thread, a cost for nothing here."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=CRLF).writerow(header)
    yield buffer.getvalue().encode()
    for start in range(0, len(lines), CSV_CHUNK_ROWS):
        yield (CRLF.join(lines[start : start + CSV_CHUNK_ROWS]) + CRLF).encode()


@guarded(
    get,
    "/portfolio.csv",
    "getPortfolioCsv",
    PORTFOLIO,
    "read",
    summary="The portfolio as CSV",
    responses=problems(422),
    media_type=CSV_MEDIA_TYPE,
    response_description="One row per product (RFC 4180, UTF-8, with a header row)",
)
async def get_portfolio_csv(
    session: SessionDep,
    principal: PrincipalDep,
    org: Org = None,
    team: TeamFilter = None,
    stage: StageFilter = None,
) -> Stream:
    """One row per product: stage, team, org, classification, target date and slip days,
    readiness and blocker codes, each checkpoint's status, open findings by severity and
    overdue, and the documents' status. Columns a role may not read are empty."""
    header, lines = await service.csv_table(
        session, portfolio_filter(org, team, stage), principal=principal
    )
    return Stream(
        csv_chunks(header, lines),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="portfolio.csv"'},
    )


ROUTES = Router("/", tags=["portfolio"], route_handlers=[get_portfolio, get_portfolio_csv])
