"""The portfolio page for people (`/portfolio`): server-rendered HTML with inline SVG charts,
the API's filters kept in the URL, product and team detail pages, and signing in and out.

Nothing is loaded from another origin and nothing runs in the browser: the page's policy allows
only its own stylesheet (and forms posting back to it)."""

import math
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Router, get, post
from litestar.datastructures import Cookie, ResponseHeader
from litestar.params import Parameter
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router

from api.checkpoints.models import Severity
from api.core.access import OPEN_ROUTE
from api.core.db import SessionDep
from api.core.errors import InvalidInput, Unauthenticated
from api.core.middleware import request_id_of
from api.core.rate_limit import address_key, client_address, failed_authentications
from api.core.rest import NO_NUL, choice
from api.portfolio import charts, service, signin
from api.portfolio.schemas import PortfolioFilter, PortfolioRead
from api.products.models import STAGE_ORDER, Stage
from api.teams.health.models import HealthStatus

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
STATIC_PATH = "/static/portfolio"
PAGE_ROWS = 100
# No NUL (`NO_NUL`): PostgreSQL cannot compare text holding one, and no record's text holds one.
Slug = Annotated[str, Parameter(max_length=63, pattern=NO_NUL)]

# Only what Pizzabox serves: its stylesheet, and forms that post back to it. No scripts at all.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_PAGE_HEADERS = [
    ResponseHeader(name="Content-Security-Policy", value=PAGE_CSP),
    # Pages show records: no shared cache may keep them.
    ResponseHeader(name="Cache-Control", value="no-store"),
]
_FORM = "application/x-www-form-urlencoded"


def _secure(request: Request[Any, Any, Any]) -> bool:
    return request.url.scheme == "https"


def _cookie(request: Request[Any, Any, Any], key: str, value: str, max_age: int) -> Cookie:
    return Cookie(
        key=key,
        value=value,
        path="/",
        max_age=max_age,
        httponly=True,
        secure=_secure(request),
        samesite="strict",
    )


def _cleared(request: Request[Any, Any, Any], key: str) -> Cookie:
    return _cookie(request, key, "", 0)


async def _form(request: Request[Any, Any, Any]) -> dict[str, str]:
    if (request.headers.get("content-type") or "").split(";")[0].strip() != _FORM:
        return {}
    form = await request.form()
    return {key: str(value) for key, value in form.items() if isinstance(value, str)}


async def _visitor(request: Request[Any, Any, Any], session: SessionDep) -> signin.SignedIn | None:
    return await signin.signed_in(
        session,
        request.cookies.get(signin.SESSION_COOKIE),
        request_id=request_id_of(request.scope),
    )


def _sign_in_page(
    request: Request[Any, Any, Any], *, message: str | None = None, status_code: int = 200
) -> Template:
    """The page without a session: a form that asks for a token, and no data."""
    csrf = request.cookies.get(signin.CSRF_COOKIE) or signin.new_secret()
    cookies = [_cookie(request, signin.CSRF_COOKIE, csrf, 3600)]
    if request.cookies.get(signin.SESSION_COOKIE):
        cookies.append(_cleared(request, signin.SESSION_COOKIE))
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Template(
        "portfolio/sign_in.html",
        context={"csrf": csrf, "message": message, "next": back},
        status_code=status_code,
        cookies=cookies,
    )


def _query(filters: PortfolioFilter, **more: object) -> str:
    values: dict[str, object] = {
        "org": filters.org,
        "team": filters.team,
        "stage": filters.stage.value if filters.stage else None,
        **more,
    }
    shown = {key: value for key, value in values.items() if value not in (None, "", 1)}
    return urlencode(shown)


def _charts(read: PortfolioRead) -> list[charts.Chart]:
    readiness = read.readiness
    shown = [
        charts.bar_chart(
            "funnel",
            "Products by stage",
            [(item.stage.value.replace("_", " "), item.count) for item in read.products.by_stage],
        ),
        charts.bar_chart(
            "readiness",
            "Readiness of products not retired",
            [
                ("ready", readiness.ready),
                ("blocked", readiness.blocked),
                *((f"{item.code.replace('_', ' ')}", item.products) for item in readiness.blockers),
            ],
            ["good", "bad", *(["warn"] * len(readiness.blockers))],
        ),
        charts.bar_chart(
            "slips",
            "Launch-date slips per month",
            [(item.month, item.slips) for item in read.slips.by_month],
        ),
    ]
    if read.teams is not None:
        shown.append(
            charts.bar_chart(
                "health",
                "Teams by roster health",
                [
                    (status.value.replace("_", " "), getattr(read.teams.by_health, status.value))
                    for status in HealthStatus
                ],
                ["warn", "good", "neutral", "bad", "warn"],
            )
        )
    return shown


def _page_number(value: int | None, rows: int) -> tuple[int, int]:
    pages = max(1, math.ceil(rows / PAGE_ROWS))
    return min(max(1, value or 1), pages), pages


@get("/portfolio", name="portfolioPage")
async def portfolio_page(
    request: Request[Any, Any, Any],
    session: SessionDep,
    org: Annotated[str | None, Parameter(max_length=100, pattern=NO_NUL)] = None,
    team: Annotated[str | None, Parameter(max_length=63, pattern=NO_NUL)] = None,
    stage: Annotated[str | None, Parameter(max_length=32, pattern=NO_NUL)] = None,
    page: Annotated[int | None, Parameter(ge=1, le=1_000_000)] = None,
    teams_page: Annotated[int | None, Parameter(ge=1, le=1_000_000)] = None,
) -> Template:
    """The whole portfolio: figures, charts, and tables of products and teams."""
    visitor = await _visitor(request, session)
    if visitor is None:
        return _sign_in_page(request)
    error = None
    try:
        chosen = choice(Stage, stage or None, field="stage")
    except InvalidInput:
        chosen, error = None, f"There is no stage {stage!r}; showing every stage."
    filters = PortfolioFilter(org=org or None, team=team or None, stage=chosen)
    summed = await service.summary(session, filters, principal=visitor.principal)
    read = service.figures(summed)
    number, pages = _page_number(page, read.products.total)
    teams_number, teams_pages = _page_number(teams_page, len(summed.teams))
    # This page's products only: the figures above were added up by the database.
    shot = await service.snapshot(
        session,
        filters,
        principal=visitor.principal,
        with_teams=False,
        offset=(number - 1) * PAGE_ROWS,
        limit=PAGE_ROWS,
        rules=summed.rules,
    )
    return Template(
        "portfolio/portfolio.html",
        context={
            "visitor": visitor,
            "read": read,
            "sight": shot.sight,
            "kinds": shot.kinds,
            "charts": _charts(read),
            "products": shot.lines(),
            "page": number,
            "pages": pages,
            "teams": summed.teams[(teams_number - 1) * PAGE_ROWS : teams_number * PAGE_ROWS],
            "teams_page": teams_number,
            "teams_pages": teams_pages,
            "filters": filters,
            "stages": STAGE_ORDER,
            "error": error,
            "query": lambda **more: _query(filters, **more),
            "severities": list(Severity),
        },
        status_code=400 if error else 200,
    )


@get("/portfolio/products/{slug:str}", name="portfolioProductPage")
async def product_page(
    request: Request[Any, Any, Any], session: SessionDep, slug: Slug
) -> Template:
    """One product's line of the portfolio: readiness, checkpoints, findings and documents."""
    visitor = await _visitor(request, session)
    if visitor is None:
        return _sign_in_page(request)
    shot = await service.snapshot(
        session, PortfolioFilter(), principal=visitor.principal, with_teams=False, product=slug
    )
    context: dict[str, Any] = {
        "visitor": visitor,
        "sight": shot.sight,
        "kinds": shot.kinds,
        "line": shot.line(shot.rows[0]) if shot.rows else None,
        "slug": slug,
        "severities": list(Severity),
    }
    return Template(
        "portfolio/product.html", context=context, status_code=200 if shot.rows else 404
    )


@get("/portfolio/teams/{slug:str}", name="portfolioTeamPage")
async def team_page(request: Request[Any, Any, Any], session: SessionDep, slug: Slug) -> Template:
    """One team: its roster health and the products it owns."""
    visitor = await _visitor(request, session)
    if visitor is None:
        return _sign_in_page(request)
    shot = await service.snapshot(session, PortfolioFilter(team=slug), principal=visitor.principal)
    # Without `teams` in sight (a ci token's role) there are no team rows: "no team you may see".
    team = shot.teams[0] if shot.teams else None
    context: dict[str, Any] = {
        "visitor": visitor,
        "team": team,
        "slug": slug,
        "products": shot.lines(),
        "kinds": shot.kinds,
    }
    return Template("portfolio/team.html", context=context, status_code=200 if team else 404)


def _back_to(target: str | None) -> str:
    # Only back to the portfolio's own pages: never a redirect to another site.
    if target and target.startswith("/portfolio") and not target.startswith("/portfolio/sign"):
        return target
    return "/portfolio"


@post("/portfolio/sign-in", name="portfolioSignIn", status_code=303)
async def sign_in(request: Request[Any, Any, Any], session: SessionDep) -> Redirect | Template:
    """Take a token once and open a session; the browser keeps only the session's cookie."""
    form = await _form(request)
    if not signin.same_secret(form.get(signin.CSRF_FIELD), request.cookies.get(signin.CSRF_COOKIE)):
        return _sign_in_page(
            request, message="The form expired; please sign in again.", status_code=403
        )
    counter = failed_authentications(request.scope)
    client = address_key(client_address(request.scope))
    if counter and await counter.retry_after(client):
        return _sign_in_page(
            request,
            message="Too many failed sign-ins from your address; wait a minute.",
            status_code=429,
        )
    try:
        signed, secret = await signin.sign_in(
            session, form.get("token", ""), request_id=request_id_of(request.scope)
        )
    except Unauthenticated as refusal:
        if counter:
            await counter.attempt(client)
        return _sign_in_page(request, message=f"Not signed in: {refusal.detail}.", status_code=401)
    lifetime = int((signed.session.expires_at - signed.session.created_at).total_seconds())
    return Redirect(
        _back_to(form.get("next")),
        status_code=303,
        cookies=[
            _cookie(request, signin.SESSION_COOKIE, secret, lifetime),
            _cleared(request, signin.CSRF_COOKIE),
        ],
    )


@post("/portfolio/sign-out", name="portfolioSignOut", status_code=303)
async def sign_out(request: Request[Any, Any, Any], session: SessionDep) -> Redirect | Template:
    """End the session and clear its cookie."""
    form = await _form(request)
    visitor = await _visitor(request, session)
    if visitor is not None:
        if not signin.same_secret(form.get(signin.CSRF_FIELD), visitor.session.csrf_token):
            return Template(
                "portfolio/refused.html",
                context={"message": "The sign-out form expired; reload the page and try again."},
                status_code=403,
            )
        await signin.sign_out(session, visitor.session)
    return Redirect(
        "/portfolio", status_code=303, cookies=[_cleared(request, signin.SESSION_COOKIE)]
    )


async def check_page_request(request: Request[Any, Any, Any]) -> None:
    """`before_request` for the pages, in place of the API's: forms post URL-encoded bodies
    (the API takes JSON only); a query parameter given twice is still refused."""
    for name in request.query_params:
        if len(request.query_params.getall(name)) > 1:
            raise InvalidInput.field(name, "is given more than once; give it once")


PAGES = Router(
    "/",
    route_handlers=[portfolio_page, product_page, team_page, sign_in, sign_out],
    opt=OPEN_ROUTE,
    include_in_schema=False,
    response_headers=_PAGE_HEADERS,
    before_request=check_page_request,
)
STATIC_FILES = create_static_files_router(
    path=STATIC_PATH,
    directories=[STATIC],
    opt=OPEN_ROUTE,
    include_in_schema=False,
    name="portfolioStatic",
)
