"""Authentication middleware: every /api/v1 and /graphql request must carry a live token."""

from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth import ANONYMOUS, Principal
from api.db import WRITE_INTENT
from api.identity.service import resolve_principal, touch_token
from api.middleware import request_id_of

API_PREFIX = "/api/v1"
GRAPHQL_PATH = "/graphql"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _needs_token(scope: Scope) -> bool:
    path: str = scope["path"]
    method = str(scope.get("method", "GET"))
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        return method != "OPTIONS"
    if path.rstrip("/") == GRAPHQL_PATH:
        # The GraphiQL page itself is open; any query, by GET or POST, needs a token.
        query_string: bytes = scope.get("query_string", b"")
        is_page = method == "GET" and b"query=" not in query_string
        return not is_page and method != "OPTIONS"
    return False


def authentication_middleware(app: ASGIApp) -> ASGIApp:
    """Put the caller's `Principal` on the request, or refuse it with 401 before any handler."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        principal: Principal = ANONYMOUS
        if _needs_token(scope):
            sessionmaker: async_sessionmaker[AsyncSession] = scope[
                "litestar_app"
            ].state.sessionmaker
            # Short transactions of their own: the lookup reads, and the occasional
            # `last_used_at` touch commits apart from the request, whatever becomes of it.
            async with sessionmaker() as session:
                principal, touch_due = await resolve_principal(
                    session, _header(scope, b"authorization"), request_id=request_id_of(scope)
                )
            if touch_due and principal.token_id is not None:
                async with sessionmaker() as session:
                    await session.connection(execution_options={WRITE_INTENT: True})
                    await touch_token(session, principal.token_id)
                    await session.commit()
        state["principal"] = principal
        await app(scope, receive, send)

    return middleware
