"""Every domain, in layer order (see ARCHITECTURE.md): adding a domain is adding it here.

Importing this module imports every domain's models too, so the ORM metadata is complete and the
audit listener is registered (Alembic, the app and the tests rely on it).
"""

from api.audit.domain import DOMAIN as AUDIT
from api.checkpoints.domain import DOMAIN as CHECKPOINTS
from api.core.db import metadata
from api.core.domain import Domain
from api.documents.domain import DOMAIN as DOCUMENTS
from api.identity.domain import DOMAIN as IDENTITY
from api.people.domain import DOMAIN as PEOPLE
from api.portfolio.domain import DOMAIN as PORTFOLIO
from api.products.domain import DOMAIN as PRODUCTS
from api.teams.domain import DOMAIN as TEAMS

DOMAINS: tuple[Domain, ...] = (
    AUDIT,
    PEOPLE,
    TEAMS,
    PRODUCTS,
    IDENTITY,
    DOCUMENTS,
    CHECKPOINTS,
    PORTFOLIO,
)

__all__ = ["DOMAINS", "metadata"]
