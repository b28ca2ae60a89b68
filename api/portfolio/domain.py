"""The portfolio's part of the app: its REST routes, its GraphQL root field, and its pages."""

from api.core.domain import Domain
from api.portfolio.graphql import PortfolioQuery
from api.portfolio.pages import PAGES, STATIC_FILES, TEMPLATES
from api.portfolio.rest import ROUTES

DOMAIN = Domain(
    "portfolio",
    routes=[ROUTES],
    queries=[PortfolioQuery],
    once_per_document=["portfolio"],
    pages=[PAGES, STATIC_FILES],
    templates=[TEMPLATES],
)
