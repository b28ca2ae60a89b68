"""Products' part of the app."""

from api.core.domain import Domain
from api.products.graphql import ProductsMutation, ProductsQuery
from api.products.rest import ProductsController

DOMAIN = Domain(
    "products",
    routes=[ProductsController],
    queries=[ProductsQuery],
    mutations=[ProductsMutation],
)
