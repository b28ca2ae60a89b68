"""Products' part of the app."""

from api.core.domain import Domain
from api.products.graphql import ProductsMutation, ProductsQuery
from api.products.rest import ROUTES

DOMAIN = Domain(
    "products",
    routes=[ROUTES],
    queries=[ProductsQuery],
    mutations=[ProductsMutation],
)
