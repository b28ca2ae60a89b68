"""Authentication middleware: every route needs a live token unless it says otherwise.

A route handler states what it needs in its `opt` (see `Authentication`): REST routes need a
token (the default, so a new route is closed until someone opens it), the health probes and the
API documents need none, and GraphQL takes an optional one here because its one route serves the
open GraphiQL page as well as operations: the GraphQL view refuses an operation without a token
itself, at the point where it has read the request (see `api.graphql_schema`).
"""

import logging
import uuid
from typing import Any

from litestar.enums import ScopeType
from litestar.exceptions import TooManyRequestsException
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.core.access import ANONYMOUS, AUTHENTICATION, Authentication, Principal
from api.core.db import PRINCIPAL_INFO, begin_writing, request_session
from api.core.errors import is_lock_timeout
from api.core.middleware import request_id_of
from api.core.rate_limit import (
    FailedAuthentications,
    address_key,
    client_address,
    failed_authentications,
)
from api.identity.service import resolve_principal, touch_token

logger = logging.getLogger("api.identity")


def required_authentication(scope: Scope) -> Authentication:
    """What the route this request was routed to needs; a route that says nothing needs a token."""
    if scope.get("method") == "OPTIONS":
        # CORS preflights and `Allow` answers: browsers send them without credentials.
        return Authentication.NONE
    handler = scope.get("route_handler")
    stated = handler.opt.get(AUTHENTICATION) if handler is not None else None
    return _STATED[stated] if stated else Authentication.REQUIRED


# What each stated value means: a lookup, cheaper on every request than calling the enum.
_STATED = {member.value: member for member in Authentication}


def _headers(scope: Scope, name: bytes) -> list[str]:
    return [
        str(value.decode("latin-1"))
        for key, value in scope.get("headers", [])
        if key.lower() == name
    ]


def authentication_middleware(app: ASGIApp) -> ASGIApp:
    """Put the caller's `Principal` on the request, or refuse it with 401 before any handler
    (429 from an address that failed to authenticate too often)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        needed = required_authentication(scope)
        if needed is Authentication.NONE:
            state["principal"] = ANONYMOUS
            await app(scope, receive, send)
            return
        counter = failed_authentications(scope)
        client = address_key(client_address(scope))
        principal: Principal = ANONYMOUS
        authorizations = _headers(scope, b"authorization")
        authorization = authorizations[0] if authorizations else None
        if len(authorizations) > 1:
            # Which one would count? Neither: a client sends one set of credentials.
            authorization = "several Authorization headers"
        has_credentials = bool(authorization and authorization.strip())
        # An empty header carries no credentials. Only a GET (or HEAD) can be for the open
        # GraphiQL page; any other request to an optional route is an operation and needs a token,
        # refused here before anything reads its body.
        attempting = (
            has_credentials
            or needed is Authentication.REQUIRED
            or scope.get("method") not in {"GET", "HEAD"}
        )
        if counter:
            # Counting and checking are one step, so attempts sent all at once (to one
            # instance or several) cannot all pass the check before any of them is counted.
            wait = await (counter.attempt(client) if attempting else counter.retry_after(client))
            if wait:
                raise TooManyRequestsException(
                    detail="too many failed authentications from this address; "
                    "retry after Retry-After seconds",
                    headers={"Retry-After": str(wait)},
                )
        if not attempting:
            state["principal"] = principal
            await _call(app, scope, receive, send, counter, client, principal)
            return
        touch_due = False
        try:
            async with request_session(scope) as session:
                principal, touch_due = await resolve_principal(
                    session, authorization, request_id=request_id_of(scope)
                )
                if counter:
                    await counter.succeeded(client)
                state["principal"] = session.info[PRINCIPAL_INFO] = principal
                await _call(app, scope, receive, send, counter, client, principal)
        finally:
            if touch_due and principal.token_id is not None:
                # After the request's own transaction (also when it was refused further in, a
                # 429 say), in a short one of its own, so that it neither waits for that
                # transaction's write lock nor is lost with it.
                await _touch(scope, principal.token_id)

    return middleware


async def _call(
    app: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    counter: FailedAuthentications | None,
    client: str,
    principal: Principal,
) -> None:
    if counter is None or principal.authenticated:
        # Past this point only an anonymous caller of an optional route can still be
        # refused with 401; everyone else's answers need no watching.
        await app(scope, receive, send)
        return

    async def count_refusals(message: Message) -> None:
        # A 401 from further in (an anonymous GraphQL operation by GET) is a failure too.
        if message["type"] == "http.response.start" and message["status"] == 401:
            await counter.attempt(client)
        await send(message)

    await app(scope, receive, count_refusals)


async def _touch(scope: Scope, token_id: uuid.UUID) -> None:
    """Record that the token was used. `last_used_at` is a convenience, and the request has been
    answered by now: a busy database skips it, and any other failure is logged, not raised."""
    sessionmaker: async_sessionmaker[AsyncSession] = scope["litestar_app"].state.sessionmaker
    try:
        async with sessionmaker() as session:
            await begin_writing(session)
            await touch_token(session, token_id)
            await session.commit()
    except SQLAlchemyError as exc:
        if isinstance(exc, OperationalError) and is_lock_timeout(exc):
            logger.info("skipped the last_used_at touch of token %s: database busy", token_id)
        else:
            logger.exception("could not record that token %s was used", token_id)
