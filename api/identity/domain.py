"""Identity's part of the app: tokens and the caller (authentication is middleware, in app)."""

from api.core.domain import Domain
from api.identity.graphql import IdentityQuery
from api.identity.rest import MeController, TokensController

DOMAIN = Domain("identity", routes=[TokensController, MeController], queries=[IdentityQuery])
