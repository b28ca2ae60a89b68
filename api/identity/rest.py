"""REST face of identity: /api/v1/tokens, /api/v1/me, /api/v1/audit-events (and its verify)."""

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import JSONBody, Parameter

from api.core.access import PrincipalDep
from api.core.db import WRITE_INTENT_OPT, SessionDep
from api.core.fields import read_as
from api.core.pagination import Page
from api.core.rest import (
    READ_PROBLEMS,
    IfMatch,
    PagingDep,
    TokenId,
    archive_route,
    create_route,
    guarded,
    list_route,
    location,
    problems,
    versioned,
)
from api.identity import service
from api.identity.models import ApiToken
from api.identity.policy import SELF, TOKENS
from api.identity.schemas import Me, TokenCreate, TokenCreated, TokenRead


def token_read(token: ApiToken, products: list[str]) -> TokenRead:
    """The REST shape of a token, without its secret."""
    return read_as(TokenRead, token, prefix=token.lookup, products=products)


class TokensController(Controller):
    """API tokens: created, listed and revoked by admins. Secrets are shown once."""

    path = "/tokens"
    tags = ("identity",)

    @create_route("createToken", TOKENS, summary="Create a token", verb="manage")
    async def create_token(
        self,
        request: Request[Any, Any, Any],
        session: SessionDep,
        principal: PrincipalDep,
        data: JSONBody[TokenCreate],
    ) -> Response[TokenCreated]:
        """Create a token; the response carries its secret, which is never shown again."""
        token, secret = await service.create_token(session, data=data, principal=principal)
        products = (await service.products_of_tokens(session, [token]))[token.id]
        body = TokenCreated(**token_read(token, products).model_dump(), token=secret)
        return versioned(
            body,
            token,
            created_at=location(request, "getToken", token_id=token.id),
            headers={"Cache-Control": "no-store"},
        )

    @list_route(
        "listTokens", TOKENS, summary="List tokens", verb="manage", opt={WRITE_INTENT_OPT: True}
    )
    async def list_tokens(
        self,
        session: SessionDep,
        principal: PrincipalDep,
        paging: PagingDep,
        include_revoked: Annotated[bool, Parameter(description="Include revoked tokens")] = False,
    ) -> Page[TokenRead]:
        """Tokens, oldest first, never with their secrets."""
        window = await service.list_tokens(
            session,
            include_revoked=include_revoked,
            principal=principal,
            paging=paging,
        )
        products = await service.products_of_tokens(session, window.rows)
        return window.page(lambda token: token_read(token, products[token.id]))

    @guarded(
        get,
        "/{token_id:uuid}",
        "getToken",
        TOKENS,
        "manage",
        name="getToken",
        summary="Get a token",
        responses=READ_PROBLEMS,
    )
    async def get_token(self, session: SessionDep, token_id: TokenId) -> Response[TokenRead]:
        """One token, without its secret."""
        token = await service.get_token(session, token_id)
        products = (await service.products_of_tokens(session, [token]))[token.id]
        return versioned(token_read(token, products), token)

    @archive_route(
        "/{token_id:uuid}", "revokeToken", TOKENS, summary="Revoke a token", verb="manage"
    )
    async def revoke_token(
        self,
        session: SessionDep,
        principal: PrincipalDep,
        token_id: TokenId,
        if_match: IfMatch = None,
    ) -> None:
        """Revoke a token: the next request that sends it gets 401."""
        await service.revoke_token(session, token_id, if_match=if_match, principal=principal)


class MeController(Controller):
    """The caller."""

    path = "/me"
    tags = ("identity",)

    @guarded(
        get,
        "/",
        "getMe",
        SELF,
        "read",
        summary="Who am I, and what may I do?",
        responses=problems(),
    )
    async def me(self, session: SessionDep, principal: PrincipalDep) -> Me:
        """The caller's identity, role, permissions, and the teams or products it is limited to."""
        return await service.describe(session, principal)
