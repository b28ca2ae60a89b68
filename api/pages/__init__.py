"""Pages for people, rendered with Litestar's Jinja engine from the templates in `templates/`.

Only the landing page (`/`) lives here today; the portfolio page for leaders renders with the same
engine (`template_config`), so its templates extend `base.html` and look the same.
"""

from pathlib import Path

from litestar import MediaType, get
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
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
