"""The consoles (GraphiQL, Swagger UI, Scalar) work without internet: every script, style and
icon their pages name is served by Pizzabox itself."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from litestar import Litestar

from api.consoles import SCALAR_JS_URL, SWAGGER_UI_URL
from tests.helpers import Client

ANONYMOUS = {"Authorization": ""}


class References(HTMLParser):
    """Every `src` and `href` a page names."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.extend(value for name, value in attrs if name in ("src", "href") and value)


def references(page: str) -> list[str]:
    parser = References()
    parser.feed(page)
    return parser.found


def console_pages(app: Litestar) -> list[str]:
    """GraphiQL, and every page the OpenAPI router serves (whichever consoles it renders)."""
    pages = {"/graphql"}
    pages.update(
        route.path
        for route in app.routes
        if route.path.startswith("/schema") and "{" not in route.path
    )
    return sorted(pages)


async def test_console_pages_name_no_other_origin(app: Litestar, running_client: Client) -> None:
    pages = console_pages(app)
    assert {"/graphql", "/schema", "/schema/swagger", "/schema/scalar"} <= set(pages)
    checked = 0
    for page in pages:
        response = await running_client.get(page, headers={**ANONYMOUS, "Accept": "text/html"})
        assert response.status_code == 200, (page, response.text[:200])
        if not response.headers["content-type"].startswith("text/html"):
            continue  # the OpenAPI document itself
        named = references(response.text)
        checked += len(named)
        for reference in named:
            if reference.startswith("data:"):
                continue  # inline, no request
            parts = urlsplit(reference)
            assert not parts.scheme, (page, reference)
            assert not parts.netloc, (page, reference)  # `//cdn.example/…` too
            assert parts.path.startswith("/"), (page, reference)
            asset = await running_client.get(parts.path, headers=ANONYMOUS)
            assert asset.status_code == 200, (page, reference)
            assert asset.content, (page, reference)
    assert checked >= 10  # GraphiQL alone names seven


async def test_console_pages_allow_no_other_origin(running_client: Client) -> None:
    """The browser is told so too: the consoles' CSP names no origin but their own."""
    for page in ("/graphql", "/schema/swagger", "/schema/scalar"):
        response = await running_client.get(page, headers={**ANONYMOUS, "Accept": "text/html"})
        csp = response.headers["content-security-policy"]
        assert "http" not in csp, csp
        assert "default-src 'self'" in csp


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        (f"{SWAGGER_UI_URL}/swagger-ui-bundle.js", "text/javascript"),
        (f"{SWAGGER_UI_URL}/swagger-ui.css", "text/css"),
        ("/static/vendor/graphiql@3.8.3/graphiql.min.js", "text/javascript"),
        (SCALAR_JS_URL, "text/javascript"),
    ],
)
async def test_console_assets_are_open_and_typed(
    running_client: Client, path: str, media_type: str
) -> None:
    response = await running_client.get(path, headers=ANONYMOUS)
    assert response.status_code == 200, response.text[:200]
    assert response.headers["content-type"].split(";")[0] in (media_type, "application/javascript")
    assert "max-age" in response.headers["cache-control"]


async def test_no_file_outside_the_assets_is_served(running_client: Client) -> None:
    for path in ("/static/vendor/../__init__.py", "/static/pizzabox/../__init__.py"):
        response = await running_client.get(path, headers=ANONYMOUS)
        assert response.status_code == 404, path
