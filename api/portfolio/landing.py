"""The landing page at `/`: where people start, with links to the portfolio page, the API
consoles and the health probe. Kept apart from the portfolio's pages so it can move."""

from litestar import get
from litestar.response import Template

from api.core.access import OPEN_ROUTE
from api.portfolio.pages import PAGE_CSP


@get(
    "/",
    name="landingPage",
    opt=OPEN_ROUTE,
    include_in_schema=False,
    response_headers={"Content-Security-Policy": PAGE_CSP},
)
async def landing_page() -> Template:
    """Links to the portfolio, GraphiQL, the OpenAPI documents and the health probe."""
    return Template("portfolio/landing.html")
