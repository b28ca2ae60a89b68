"""The one hub that imports every domain's models, for Alembic, tests and start-up."""

from api.db import metadata
from api.people.models import Person
from api.products.models import Product, ProductChange
from api.teams.models import Membership, Team

__all__ = ["Membership", "Person", "Product", "ProductChange", "Team", "metadata"]
