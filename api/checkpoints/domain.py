"""Checkpoints' part of the app: the catalogue, product checkpoints, findings and readiness."""

from api.checkpoints import readiness  # noqa: F401  (registers the launch gate on products' hooks)
from api.checkpoints.graphql import CheckpointsMutation, CheckpointsQuery
from api.checkpoints.rest import KIND_ROUTES, OTHER_ROUTES, PRODUCT_ROUTES
from api.core.domain import Domain

DOMAIN = Domain(
    "checkpoints",
    routes=[KIND_ROUTES, PRODUCT_ROUTES, OTHER_ROUTES],
    queries=[CheckpointsQuery],
    mutations=[CheckpointsMutation],
)
