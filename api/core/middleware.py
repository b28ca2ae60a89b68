"""ASGI middleware: request ids, `Allow` on OPTIONS, security headers, clients behind proxies."""

import ipaddress
import random
import re
from collections.abc import Awaitable, Callable, Sequence

from litestar.enums import ScopeType
from litestar.routes import HTTPRoute
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Message,
    Receive,
    Scope,
    Send,
)

from api.core.config import IPNetwork
from api.core.logs import request_id_bound

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_HEADER_RAW = REQUEST_ID_HEADER.lower().encode("latin-1")
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def new_request_id() -> str:
    """128 random bits as 32 hex digits, like a uuid4's: enough never to meet another id.

    Not a secret (every response carries it), so it need not cost the system call for the OS's
    randomness that `uuid.uuid4()` makes, which was a tenth of a health probe's time.
    """
    return f"{random.getrandbits(128):032x}"


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
        request_id = sent if _CLIENT_REQUEST_ID.match(sent) else new_request_id()
        state["request_id"] = request_id
    return request_id


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Give every request an id, kept in the scope for error bodies and the `X-Request-ID`
    header (`add_response_headers`), and bound to every log line logged while it is handled."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        with request_id_bound(request_id_of(scope)):
            await app(scope, receive, send)

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


def allow_header(scope: Scope, send: Send) -> Send:
    """`send` for an `OPTIONS` request, answering with an `Allow` header that names every method
    of the path.

    Litestar 2.25 builds a path's automatic OPTIONS handler while the path's handlers are still
    being registered, so its `Allow` names only the first handler's methods (a client that asks
    before a PATCH is told it cannot). The finished route knows them all; routing has found it by
    the time the answer starts. (Wrapped around OPTIONS requests alone, by `PizzaboxApp`, rather
    than a middleware every request passes through.)
    """

    async def send_with_allow(message: Message) -> None:
        if message["type"] == "http.response.start":
            allowed = _allowed_methods(scope)
            headers = list(message.get("headers", []))
            if allowed and any(name.lower() == b"allow" for name, _ in headers):
                headers = [(n, v) for n, v in headers if n.lower() != b"allow"]
                headers.append((b"allow", allowed.encode("latin-1")))
                message["headers"] = headers
        await send(message)

    return send_with_allow


# An API answers data, never pages to frame or scripts to run.
_API_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
)
_API_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# GraphiQL and the OpenAPI pages run inline scripts and styles, and load the rest from Pizzabox
# itself (/static): no other origin, so a console works without internet or shows it does not.
_DOCS_CSP = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    b"font-src 'self' data:; img-src 'self' data:; connect-src 'self'; "
    b"frame-ancestors 'none'; base-uri 'none'"
)


# Built once: every response gets one of these four sets.
_DATA_HEADERS = (*_API_HEADERS, (b"content-security-policy", _API_CSP))
_HTML_HEADERS = (*_API_HEADERS, (b"content-security-policy", _DOCS_CSP))
_NO_STORE_DATA_HEADERS = (*_DATA_HEADERS, (b"cache-control", b"no-store"))
_NO_STORE_HTML_HEADERS = (*_HTML_HEADERS, (b"cache-control", b"no-store"))
_ADDED = frozenset(name for name, _ in _NO_STORE_DATA_HEADERS)


async def add_response_headers(message: Message, scope: Scope) -> None:
    """`before_send` hook: the request id and security headers on every response.

    A hook rather than a middleware because it also sees the answers Litestar's exception
    handling sends for errors raised in middleware (a 401, a 429) and for routing errors.
    """
    if message["type"] != "http.response.start" or scope["type"] != ScopeType.HTTP:
        return
    headers = list(message.get("headers", ()))
    present = {name.lower(): value for name, value in headers}
    html = present.get(b"content-type", b"").startswith(b"text/html")
    extra = _HTML_HEADERS if html else _DATA_HEADERS
    # Answers under /api/ carry records and, once, token secrets: no shared cache may keep them.
    if scope["path"].startswith("/api/"):
        extra = _NO_STORE_HTML_HEADERS if html else _NO_STORE_DATA_HEADERS
    if present.keys().isdisjoint(_ADDED):
        headers.extend(extra)  # the usual case: nothing to leave out
    else:
        headers.extend(item for item in extra if item[0] not in present)
    if _REQUEST_ID_HEADER_RAW not in present:
        headers.append((_REQUEST_ID_HEADER_RAW, request_id_of(scope).encode("latin-1")))
    message["headers"] = headers


ConstantAnswer = Callable[[Scope, Send], Awaitable[None]]


def constant_answer(body: bytes, content_type: bytes = b"application/json") -> ConstantAnswer:
    """An answer that never changes (a liveness probe's), sent as Litestar sends it, with the
    headers `add_response_headers` gives every answer: for a path that is answered before
    routing (`PizzaboxApp`). Not for paths under /api/, whose answers are also `no-store`."""
    start = (
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode("latin-1")),
        *_DATA_HEADERS,
    )

    async def answer(scope: Scope, send: Send) -> None:
        request_id = (_REQUEST_ID_HEADER_RAW, request_id_of(scope).encode("latin-1"))
        started: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": 200,
            "headers": [*start, request_id],
        }
        await send(started)
        head = scope["method"] == "HEAD"  # type: ignore[typeddict-item]  # HTTP scopes have one
        sent: HTTPResponseBodyEvent = {
            "type": "http.response.body",
            "body": b"" if head else body,
            "more_body": False,
        }
        await send(sent)

    return answer


# Clients behind proxies --------------------------------------------------------------------------


_WITH_PORT = re.compile(r"^(?:\[(?P<v6>[^\]]+)\]|(?P<v4>[0-9.]+))(?::\d+)?$")


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address in one `X-Forwarded-For` entry (`1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:80`,
    `2001:db8::1`), or None when it names none."""
    text = text.strip()
    match = _WITH_PORT.match(text)
    if match:
        text = match["v6"] or match["v4"]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def forwarded_client(peer: str, forwarded_for: str | None, trusted: Sequence[IPNetwork]) -> str:
    """The client's address: `peer`, unless `peer` is a trusted proxy that says, in
    `X-Forwarded-For`, whom it forwards for.

    The header is read from the right, past every trusted proxy, to the first address no
    trusted proxy vouches for; anything left of it was written by the client and proves nothing.
    An entry a trusted proxy wrote that is no address (`unknown`) names a client of its own,
    never the proxy, so it cannot get the proxy's other clients refused.
    """
    if not trusted or not forwarded_for:
        return peer
    if not _is_trusted(_address(peer), trusted):
        return peer
    client = peer
    for hop in reversed(forwarded_for.split(",")):
        address = _address(hop)
        if address is None:
            return "unparsed:" + hop.strip()[:64]
        client = str(address)
        if not _is_trusted(address, trusted):
            break
    return client


def _is_trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address | None, trusted: Sequence[IPNetwork]
) -> bool:
    return address is not None and any(address in network for network in trusted)


def forwarded_scheme(forwarded_proto: str) -> str | None:
    """The scheme a trusted proxy says the client used, from `X-Forwarded-Proto`: its last entry
    (the one the nearest proxy wrote), if it is `http` or `https`."""
    scheme = forwarded_proto.rsplit(",", 1)[-1].strip().lower()
    return scheme if scheme in {"http", "https"} else None


def trusted_proxy_middleware(trusted: Sequence[IPNetwork]) -> Callable[[ASGIApp], ASGIApp]:
    """Set the scope's client to the address a trusted proxy forwards for (see
    `forwarded_client`), and its scheme to the one the proxy says the client used
    (`X-Forwarded-Proto`, see `forwarded_scheme`: a TLS-terminating balancer's `https`, so that
    cookies are marked Secure); with no trusted proxies, both headers are ignored."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            peer = scope.get("client") if scope["type"] == ScopeType.HTTP else None
            if trusted and peer and _is_trusted(_address(peer[0]), trusted):
                forwarded: list[str] = []
                proto: list[str] = []
                for name, value in scope.get("headers", []):
                    lowered = name.lower()
                    if lowered == b"x-forwarded-for":
                        forwarded.append(value.decode("latin-1"))
                    elif lowered == b"x-forwarded-proto":
                        proto.append(value.decode("latin-1"))
                client = forwarded_client(peer[0], ", ".join(forwarded) or None, trusted)
                if client != peer[0]:
                    scope["client"] = (client, 0)
                scheme = forwarded_scheme(", ".join(proto)) if proto else None
                if scheme is not None:
                    scope["scheme"] = scheme
            await app(scope, receive, send)

        return middleware

    return wrap
