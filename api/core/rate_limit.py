"""Per-token rate limiting with `RateLimit-*` headers, 429 with `Retry-After` past it, and a
per-address limit on failed authentication."""

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, cast

from litestar import Request
from litestar.exceptions import TooManyRequestsException
from litestar.middleware.rate_limit import (
    DURATION_VALUES,
    CacheObject,
    RateLimitConfig,
    RateLimitMiddleware,
)
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.types import Receive, Scope, Send

from api.core.access import principal_of
from api.core.config import Settings


def rate_limit_key(request: Request[Any, Any, Any]) -> str:
    """Whom a request counts against: its token, else its client address."""
    principal = principal_of(request)
    if principal.token_id is not None:
        return f"token:{principal.token_id}"
    return f"address:{client_address(request.scope)}"


class RetryAfterRateLimitMiddleware(RateLimitMiddleware):
    """Litestar's rate limiter, whose 429 also says when to retry (`Retry-After`), and which
    counts a window's requests instead of keeping each one's time.

    Litestar stores every request's timestamp in the window and reads only how many there are:
    decoding and re-encoding that list on every request made a request cost more the more
    requests its window held. And it reads and writes its store under a lock held across the
    store's awaits, each of which yields to the event loop, so concurrent requests queued behind
    one another for their turn to count (together a fifth of a point read's rate, in issue 9's
    benchmark). Counts kept in the process's memory, the default, are now taken in one step that
    awaits nothing, so no request waits for another's; any other store is read and written as
    Litestar does, holding a count instead of the timestamps. The window is the same fixed one.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            app = scope["litestar_app"]
            if isinstance(self.config.get_store_from_app(app), MemoryStore):
                await self._count_here(scope, receive, send)
            else:
                await super().__call__(scope, receive, send)
        except TooManyRequestsException as exc:
            headers = dict(exc.headers or {})
            reset = headers.get("RateLimit-Reset", "60")
            headers["Retry-After"] = str(max(1, int(reset))) if reset.isdigit() else "60"
            raise TooManyRequestsException(
                detail="too many requests for this token; retry after Retry-After seconds",
                headers=headers,
            ) from None

    async def _count_here(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope["litestar_app"]
        request: Request[Any, Any, Any] = app.request_class(scope)
        if await self.should_check_request(request=request):
            windows: FixedWindows | None = app.state.get(RATE_WINDOWS)
            if windows is None:
                # One for the app: Litestar makes a middleware instance per route.
                windows = app.state[RATE_WINDOWS] = FixedWindows(DURATION_VALUES[self.unit])
            counted, reset, allowed = windows.count(
                self.cache_key_from_request(request), self.max_requests
            )
            cache_object = CacheObject(history=_counted(counted), reset=reset)
            if not allowed:
                raise TooManyRequestsException(
                    headers=self.create_response_headers(cache_object=cache_object)
                    if self.config.set_rate_limit_headers
                    else None
                )
            if self.config.set_rate_limit_headers:
                send = self.create_send_wrapper(send=send, cache_object=cache_object)
        await self.app(scope, receive, send)

    async def retrieve_cached_history(self, key: str, store: Store) -> CacheObject:
        now = int(time.time())
        stored = await store.get(key)
        if stored:
            count, reset = (int(part) for part in stored.split())
            if reset > now:
                return CacheObject(history=_counted(count), reset=reset)
        return CacheObject(history=[], reset=now + DURATION_VALUES[self.unit])

    async def set_cached_history(self, key: str, cache_object: CacheObject, store: Store) -> None:
        count = len(cache_object.history) + 1
        cache_object.history = _counted(count)
        await store.set(key, f"{count} {cache_object.reset}", expires_in=DURATION_VALUES[self.unit])


# The app.state key of the app's in-memory request counts (`FixedWindows`).
RATE_WINDOWS = "rate_limit_windows"


class FixedWindows:
    """Requests per key in fixed windows, counted in the process's memory, in bounded space.

    Counting awaits nothing, so under asyncio it is one step that no other request interleaves
    with: no lock, and nobody waits for anyone else's count.
    """

    # Most keys tracked at once; past it the oldest windows are forgotten first.
    MAX_KEYS = 100_000

    def __init__(self, seconds: int, clock: Callable[[], float] = time.time) -> None:
        self.seconds = seconds
        self._clock = clock
        # key: (when its window resets, requests counted in it); oldest window first.
        self._windows: OrderedDict[str, tuple[int, int]] = OrderedDict()

    def count(self, key: str, limit: int) -> tuple[int, int, bool]:
        """Count a request for `key` unless its window already holds `limit`: the requests
        counted in the window, when it resets, and whether this one was allowed."""
        now = int(self._clock())
        self._expire(now)
        reset, counted = self._windows.get(key, (0, 0))
        if reset <= now:
            reset, counted = now + self.seconds, 0
        if counted >= limit:
            return counted, reset, False
        self._windows[key] = (reset, counted + 1)
        if len(self._windows) > self.MAX_KEYS:
            self._windows.popitem(last=False)
        return counted + 1, reset, True

    def _expire(self, now: int) -> None:
        while self._windows:
            reset, _ = next(iter(self._windows.values()))
            if reset > now:
                return
            self._windows.popitem(last=False)


def _counted(count: int) -> list[int]:
    # Litestar reads only the history's length; a range has one without holding the items.
    return cast(list[int], range(count))


def rate_limit_config(settings: Settings) -> RateLimitConfig | None:
    """The limit for these settings, or None when it is switched off.

    Counts live in the instance's memory: with several instances, each allows the limit.
    """
    if settings.rate_limit_per_minute == 0:
        return None
    return RateLimitConfig(
        rate_limit=("minute", settings.rate_limit_per_minute),
        identifier_for_request=rate_limit_key,
        # Probes and docs are never limited: an orchestrator must always reach them.
        exclude=[r"^/healthz$", r"^/readyz$", r"^/schema"],
        middleware_class=RetryAfterRateLimitMiddleware,
    )


# The app.state key of the app's `FailedAuthentications` (None when that limit is off).
FAILED_AUTHENTICATIONS = "failed_authentications"


class FailedAuthentications:
    """Failed authentications per client address, counted in fixed one-minute windows.

    Past the limit, the address is refused (429) until its window ends, whatever it sends, so
    guessing tokens costs a minute per few dozen guesses; other addresses are not affected.
    An attempt counts from the moment it starts (`attempt`) and is forgiven when it succeeds
    (`succeeded`), so guesses sent all at once cannot all slip past the check together.
    IPv6 clients count per /64, the block one host is usually given: callers pass
    `address_key(address)`, worked out once per request. Counts live in the instance's memory,
    like the request rate limit, in bounded space.
    """

    WINDOW_SECONDS = 60.0
    # Most addresses tracked at once; past it the oldest windows are forgotten first.
    MAX_ADDRESSES = 100_000

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        # Oldest window first: expiring is popping from the front.
        self._windows: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def retry_after(self, key: str) -> int:
        """Seconds until the client `key` may try again; 0 when it may now."""
        started, failures = self._windows.get(key, (0.0, 0))
        remaining = started + self.WINDOW_SECONDS - self._clock()
        if failures < self.per_minute or remaining <= 0:
            return 0
        return max(1, math.ceil(remaining))

    def attempt(self, key: str) -> None:
        """Count an authentication from client `key` as failed until it is known to succeed."""
        now = self._clock()
        self._expire(now)
        started, failures = self._windows.get(key, (now, 0))
        if now - started >= self.WINDOW_SECONDS:
            started, failures = now, 0
            self._windows.pop(key, None)
        self._windows[key] = (started, failures + 1)
        if len(self._windows) > self.MAX_ADDRESSES:
            self._windows.popitem(last=False)

    def succeeded(self, key: str) -> None:
        """The attempt from client `key` authenticated: it was no failure."""
        window = self._windows.get(key)
        if window is not None and window[1] > 0:
            self._windows[key] = (window[0], window[1] - 1)

    def _expire(self, now: float) -> None:
        while self._windows:
            key, (started, _) = next(iter(self._windows.items()))
            if now - started < self.WINDOW_SECONDS:
                return
            del self._windows[key]


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
