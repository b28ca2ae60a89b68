"""The consoles for people (GraphiQL, Swagger UI, Scalar) with every script and style they load
served by Pizzabox itself, so that they work on a network without internet.

No package on PyPI ships these files usably (`swagger-ui-bundle` has a Swagger UI too old to read
OpenAPI 3.1; the others are Django or Flask apps), so they are vendored under `vendor/`, one
directory per npm package and version, with their licences (see `vendor/README.md`).
"""

from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import OpenAPIRenderPlugin, ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

from api.core.access import OPEN_ROUTE

VENDOR_DIRECTORY = Path(__file__).parent / "vendor"
ASSETS_PATH = "/static"
VENDOR_URL = f"{ASSETS_PATH}/vendor"
# The version Litestar's Swagger UI page is written for (its `SwaggerRenderPlugin` default).
SWAGGER_UI_URL = f"{VENDOR_URL}/swagger-ui-dist@5.18.2"
SCALAR_JS_URL = f"{VENDOR_URL}/@scalar/api-reference@1.76.0/dist/browser/standalone.js"
# Litestar's pages fetch their icon (and Scalar's a theme) from a CDN; an inline icon costs no
# request, and Scalar's own styles come with its script.
FAVICON = (
    "<link rel='icon' href=\"data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' "
    "viewBox='0 0 100 100'><text y='.9em' font-size='90'>%F0%9F%8D%95</text></svg>\">"
)
# Pizzabox's own styles, for the pages of its own and Scalar's (which asks for a stylesheet).
OWN_ASSETS_URL = f"{ASSETS_PATH}/pizzabox"
SCALAR_CSS_URL = f"{OWN_ASSETS_URL}/consoles.css"
# The assets change only with a Pizzabox release, which changes the versioned paths of the
# vendored ones; a day keeps
# a console quick to open without keeping Pizzabox's own styles stale for long.
_CACHE = CacheControlHeader(max_age=86_400, public=True)


def console_assets() -> Router:
    """The routes that serve the consoles' scripts and styles, open to everyone."""
    return Router(
        path=ASSETS_PATH,
        opt=OPEN_ROUTE,
        include_in_schema=False,
        route_handlers=[
            create_static_files_router(
                "/vendor",
                [VENDOR_DIRECTORY],
                name="vendored-assets",
                cache_control=_CACHE,
            ),
            create_static_files_router(
                "/pizzabox",
                [Path(__file__).parent / "static"],
                name="pizzabox-assets",
                cache_control=_CACHE,
            ),
        ],
    )


def openapi_consoles() -> list[OpenAPIRenderPlugin]:
    """Swagger UI (at /schema and /schema/swagger) and Scalar (at /schema/scalar), offline."""
    return [
        SwaggerRenderPlugin(
            js_url=f"{SWAGGER_UI_URL}/swagger-ui-bundle.js",
            css_url=f"{SWAGGER_UI_URL}/swagger-ui.css",
            standalone_preset_js_url=f"{SWAGGER_UI_URL}/swagger-ui-standalone-preset.js",
            favicon=FAVICON,
        ),
        ScalarRenderPlugin(
            path="/scalar",
            js_url=SCALAR_JS_URL,
            css_url=SCALAR_CSS_URL,
            favicon=FAVICON,
            # Scalar otherwise loads its fonts from its own CDN.
            options={"withDefaultFonts": False},
        ),
    ]


def offline_graphiql(page: str) -> str:
    """Strawberry's GraphiQL page, loading from `vendor/` what it names on unpkg.com.

    The vendored directories are laid out as unpkg's addresses are (`package@version/path`), so
    the page's `integrity` hashes keep checking the files; a Strawberry that pins other
    versions makes the page name files that are not there, which tests/core/test_consoles.py
    reports.
    """
    return page.replace("https://unpkg.com/", f"{VENDOR_URL}/")
