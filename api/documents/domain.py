"""Documents' part of the app: each product's PR/FAQ and security FAQ, and their settings."""

from api.core.domain import Domain
from api.documents import gates  # noqa: F401  (registers the stage gates on products' hooks)
from api.documents.graphql import DocumentsMutation, DocumentsQuery
from api.documents.rest import PRFAQ_ROUTES, SECURITY_FAQ_ROUTES, SETTINGS_ROUTES

DOMAIN = Domain(
    "documents",
    routes=[PRFAQ_ROUTES, SECURITY_FAQ_ROUTES, SETTINGS_ROUTES],
    queries=[DocumentsQuery],
    mutations=[DocumentsMutation],
)
