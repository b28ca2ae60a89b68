"""The one hub that imports every domain's models, for Alembic, tests and start-up."""

import api.audit.trail  # noqa: F401  (registers the audit trail's flush listener)
from api.audit.models import AuditEvent
from api.core.db import metadata
from api.identity.models import ApiToken, TokenProduct
from api.people.models import Person
from api.products.models import Product, ProductChange
from api.teams.health.models import TeamSizeException, TeamSizeGuideline
from api.teams.models import Membership, Team

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Membership",
    "Person",
    "Product",
    "ProductChange",
    "Team",
    "TeamSizeException",
    "TeamSizeGuideline",
    "TokenProduct",
    "metadata",
]
