"""Per-token rate limiting with `RateLimit-*` headers, 429 with `Retry-After` past it, and a
per-address limit on failed authentication; both counted in one instance's memory, or in Redis
for every instance at once (`PIZZABOX_REDIS_URL`)."""

import ipaddress
from typing import Any

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import TooManyRequestsException
from litestar.middleware.rate_limit import DURATION_VALUES, RateLimitConfig, RateLimitMiddleware
from litestar.stores.base import Store
from litestar.types import Message, Receive, Scope, Send

from api.core.access import principal_of
from api.core.config import Settings
from api.core.counters import MemoryCounters, RedisCounters, WindowCounters


def rate_limit_key(request: Request[Any, Any, Any]) -> str:
    """Whom a request counts against: its token, else its client address."""
    principal = principal_of(request)
    if principal.token_id is not None:
        return f"token:{principal.token_id}"
    return f"address:{client_address(request.scope)}"


class SharedRateLimitMiddleware(RateLimitMiddleware):
    """Litestar's rate limiter, counting with one atomic step in the app's `WindowCounters`
    (shared by every instance when they are in Redis), whose 429 also says when to retry."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope["litestar_app"]
        request: Request[Any, Any, Any] = app.request_class(scope)
        counters = counters_of(self.config.get_store_from_app(app))
        key = f"requests:{self.get_identifier_for_request(request)}"
        tally = await counters.add(key, DURATION_VALUES[self.unit])
        if tally is None:
            # The count is unknown (Redis does not answer): let the request through.
            await self.app(scope, receive, send)
            return
        headers = {
            "RateLimit-Policy": f"{self.max_requests}; w={DURATION_VALUES[self.unit]}",
            "RateLimit-Limit": str(self.max_requests),
            "RateLimit-Remaining": str(max(0, self.max_requests - tally.count)),
            "RateLimit-Reset": str(tally.resets_in),
        }
        if tally.count > self.max_requests:
            raise TooManyRequestsException(
                detail="too many requests for this token; retry after Retry-After seconds",
                headers={**headers, "Retry-After": str(tally.resets_in)},
            )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                response_headers = MutableScopeHeaders(message)
                for name, value in headers.items():
                    response_headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


# The app's store (`app.stores`) that both limits count in.
LIMITS_STORE = "limits"


def limit_counters(settings: Settings) -> MemoryCounters | RedisCounters:
    """Where the limits count: the Redis that `PIZZABOX_REDIS_URL` names, shared by every
    instance, else this instance's memory."""
    if settings.redis_url is None:
        return MemoryCounters()
    url = settings.redis_url.get_secret_value()
    return RedisCounters.connect(url, prefix=settings.redis_prefix)


def counters_of(store: Store) -> WindowCounters:
    """The limits' store as counters (the app registers one that counts: `limit_counters`)."""
    if not isinstance(store, WindowCounters):
        raise TypeError(f"the {LIMITS_STORE!r} store cannot count: {type(store).__name__}")
    return store


def rate_limit_config(settings: Settings) -> RateLimitConfig | None:
    """The limit for these settings, or None when it is switched off."""
    if settings.rate_limit_per_minute == 0:
        return None
    return RateLimitConfig(
        rate_limit=("minute", settings.rate_limit_per_minute),
        identifier_for_request=rate_limit_key,
        # Probes, docs and metrics are never limited: an orchestrator must always reach them.
        exclude=[r"^/healthz$", r"^/readyz$", r"^/schema", r"^/metrics$"],
        middleware_class=SharedRateLimitMiddleware,
        store=LIMITS_STORE,
    )


# The app.state key of the app's `FailedAuthentications` (None when that limit is off).
FAILED_AUTHENTICATIONS = "failed_authentications"


class FailedAuthentications:
    """Failed authentications per client address, counted in fixed one-minute windows.

    Past the limit, the address is refused (429) until its window ends, whatever it sends, so
    guessing tokens costs a minute per few dozen guesses; other addresses are not affected.
    An attempt counts from the moment it starts (`attempt`, which also says whether it is one
    too many) and is forgiven when it succeeds (`succeeded`), so guesses sent all at once cannot
    all slip past the check together, on one instance or several. IPv6 clients count per /64,
    the block one host is usually given: callers pass `address_key(address)`, worked out once
    per request. Counts live where the request rate limit's do (`limit_counters`).
    """

    WINDOW_SECONDS = 60

    def __init__(self, counters: WindowCounters, per_minute: int) -> None:
        self.per_minute = per_minute
        self._counters = counters

    async def retry_after(self, client: str) -> int:
        """Seconds until `client` may try again; 0 when it may now."""
        tally = await self._counters.read(self._key(client))
        if tally is None or tally.count < self.per_minute:
            return 0
        return tally.resets_in

    async def attempt(self, client: str) -> int:
        """Count an authentication from `client` as failed until it is known to succeed; the
        seconds to wait when it is one too many, else 0."""
        tally = await self._counters.add(self._key(client), self.WINDOW_SECONDS)
        if tally is None or tally.count <= self.per_minute:
            return 0
        return tally.resets_in

    async def succeeded(self, client: str) -> None:
        """The attempt from `client` authenticated: it was no failure."""
        await self._counters.take_back(self._key(client))

    @staticmethod
    def _key(client: str) -> str:
        return f"failed-authentications:{client}"


def address_key(address: str) -> str:
    """What one client is, for counting: its IPv4 address (also when written as IPv6-mapped),
    its IPv6 /64, or whatever else a trusted proxy named it."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def client_address(scope: Any) -> str:
    """The address a request comes from (after trusted proxies), as limits count it."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def failed_authentications(scope: Any) -> FailedAuthentications | None:
    """The app's counter of failed authentications, if that limit is on."""
    app = scope.get("litestar_app")
    counter: FailedAuthentications | None = app.state.get(FAILED_AUTHENTICATIONS) if app else None
    return counter
