"""ASGI middleware: request ids, and `Allow` on OPTIONS."""

import re
import uuid

from litestar.enums import ScopeType
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_HEADER_RAW = REQUEST_ID_HEADER.lower().encode("latin-1")
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id_of(scope: Scope) -> str:
    """The request's id: the client's `X-Request-ID` when it is safe to echo, else a new one."""
    state = scope.setdefault("state", {})
    request_id: str | None = state.get("request_id")
    if request_id is None:
        sent = next(
            (
                value.decode("latin-1")
                for name, value in scope.get("headers", [])
                if name.lower() == _REQUEST_ID_HEADER_RAW
            ),
            "",
        )
        # A client's id is echoed only when it is safe to put in a header and a log line.
        request_id = sent if _CLIENT_REQUEST_ID.match(sent) else uuid.uuid4().hex
        state["request_id"] = request_id
    return request_id


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Give every request an id, echo it as `X-Request-ID`, and keep it for logs and errors."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        request_id = request_id_of(scope)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == _REQUEST_ID_HEADER_RAW for name, _ in headers):
                    headers.append((_REQUEST_ID_HEADER_RAW, request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        await app(scope, receive, send_with_id)

    return middleware


def _allowed_methods(scope: Scope) -> str | None:
    app = scope.get("litestar_app")
    template = scope.get("path_template")
    if app is None or template is None:
        return None
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path_format == template:
            return ", ".join(sorted(route.methods))
    return None


def allow_header_middleware(app: ASGIApp) -> ASGIApp:
    """Answer `OPTIONS` with an `Allow` header that names every method of the path.

    Litestar 2.25 builds a path's automatic OPTIONS handler while the path's handlers are still
    being registered, so its `Allow` names only the first handler's methods (a client that asks
    before a PATCH is told it cannot). The finished route knows them all.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "OPTIONS":
            await app(scope, receive, send)
            return
        allowed = _allowed_methods(scope)

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and allowed:
                headers = list(message.get("headers", []))
                if any(name.lower() == b"allow" for name, _ in headers):
                    headers = [(n, v) for n, v in headers if n.lower() != b"allow"]
                    headers.append((b"allow", allowed.encode("latin-1")))
                    message["headers"] = headers
            await send(message)

        await app(scope, receive, send_with_allow)

    return middleware
