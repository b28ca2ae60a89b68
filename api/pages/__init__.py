"""Pages for people, rendered with Litestar's Jinja engine from the templates in `templates/`.

The landing page (`/`) and the docs site (`/docs/`, when it is built) live here; the portfolio
page for leaders renders with the same engine (`template_config`), so its templates extend
`base.html` and look the same.
"""

from pathlib import Path

from litestar import MediaType, Router, get
from litestar.handlers import HTTPRouteHandler
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

import api
from api.core.access import OPEN_ROUTE

TEMPLATES = Path(__file__).parent / "templates"


def template_config(*more: Path | str) -> TemplateConfig[JinjaTemplateEngine]:
    """The app's template engine: Jinja, over the templates shipped in this package and `more`
    directories (the domains' own pages: the portfolio's)."""
    return TemplateConfig(directory=[TEMPLATES, *more], engine=JinjaTemplateEngine)


@get(
    "/",
    operation_id="landingPage",
    media_type=MediaType.HTML,
    include_in_schema=False,
    opt=OPEN_ROUTE,
)
async def landing_page() -> Template:
    """What Pizzabox is, and where to go from here: the portfolio, the consoles, the probes."""
    return Template("landing.html", context={"version": api.__version__})


@get(
    "/docs",
    operation_id="docsNotBuilt",
    media_type=MediaType.HTML,
    include_in_schema=False,
    opt=OPEN_ROUTE,
)
async def docs_not_built() -> Template:
    """Where the docs are when no built site is at hand: their sources, and how to build them."""
    return Template("docs.html", context={"version": api.__version__})


def docs_site(directory: Path) -> Router | HTTPRouteHandler:
    """`/docs/`: the MkDocs site built into `directory`, or a page that says how to build it.

    The site is static files that `mkdocs build` writes; Pizzabox serves them as they are, open
    like the landing page, so the docs of the version running are a click away.
    """
    if not (directory / "index.html").is_file():
        return docs_not_built
    return create_static_files_router(
        "/docs",
        [directory],
        html_mode=True,
        name="docs-site",
        opt=OPEN_ROUTE,
        include_in_schema=False,
    )
