"""Counts in fixed time windows, for the rate limits: in one instance's memory, or in Redis where
every instance shares them.

Both are Litestar stores (`MemoryStore`, `RedisStore`) that can also count atomically, which a
limit shared by several instances needs: Litestar's rate limiter reads a count and writes it
back, so two instances that read the same count would both let the last request through.
"""

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

from litestar.stores.base import StorageObject
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

logger = logging.getLogger("api.limits")


@dataclass(frozen=True)
class Tally:
    """Where one key stands in its window."""

    count: int
    # Seconds until the window ends and the count starts again from zero (at least 1).
    resets_in: int


@runtime_checkable
class WindowCounters(Protocol):
    """Counts per key in fixed windows that start with a key's first count."""

    async def add(self, key: str, window_seconds: int) -> Tally | None:
        """Count one more for `key` and say where it stands; None when the count is unknown."""

    async def read(self, key: str) -> Tally | None:
        """Where `key` stands without counting; None when it has no count (or it is unknown)."""

    async def take_back(self, key: str) -> None:
        """Count one fewer for `key`, if it has any."""


def _seconds_left(expires_at: datetime | None, now: datetime) -> int:
    if expires_at is None:
        return 1
    return max(1, int((expires_at - now).total_seconds() + 0.999))


class MemoryCounters(MemoryStore):
    """Litestar's memory store, counting in fixed windows: one instance's counts, in bounded
    space (past `max_keys` the oldest windows are forgotten first)."""

    __slots__ = ("max_keys",)

    def __init__(self, max_keys: int = 100_000) -> None:
        super().__init__()
        self.max_keys = max_keys

    # No lock: nothing below awaits, so no other task runs between reading a count and writing it.

    async def add(self, key: str, window_seconds: int) -> Tally | None:
        """Count one more for `key` and say where it stands."""
        now = datetime.now(UTC)
        held = self._store.get(key)
        if held is None or held.expired:
            # Taken out and put back: the dict stays in the order windows started.
            self._store.pop(key, None)
            held = StorageObject.new(data=b"1", expires_in=window_seconds)
            self._store[key] = held
            while len(self._store) > self.max_keys:
                del self._store[next(iter(self._store))]
        else:
            held = StorageObject(data=b"%d" % (int(held.data) + 1), expires_at=held.expires_at)
            self._store[key] = held
        return Tally(int(held.data), _seconds_left(held.expires_at, now))

    async def read(self, key: str) -> Tally | None:
        """Where `key` stands without counting; None when it has no count."""
        now = datetime.now(UTC)
        held = self._store.get(key)
        if held is None or held.expired:
            return None
        return Tally(int(held.data), _seconds_left(held.expires_at, now))

    async def take_back(self, key: str) -> None:
        """Count one fewer for `key`, if it has any."""
        held = self._store.get(key)
        if held is not None and not held.expired and int(held.data) > 0:
            self._store[key] = StorageObject(
                data=b"%d" % (int(held.data) - 1), expires_at=held.expires_at
            )


# One round trip each, atomic in Redis: a window starts with its key's first count (its expiry).
_ADD = b"""
local count = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    left = tonumber(ARGV[1])
end
return {count, left}
"""
_READ = b"""
local count = redis.call('GET', KEYS[1])
if not count then return false end
return {tonumber(count), redis.call('PTTL', KEYS[1])}
"""
_TAKE_BACK = b"""
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then return redis.call('DECR', KEYS[1]) end
return 0
"""


def redact(url: str) -> str:
    """A Redis URL without its password, fit for a message or a log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


class RedisUnreachable(ConnectionError):
    """Redis did not answer when the app started."""


class RedisCounters(RedisStore):
    """Litestar's Redis store, counting in fixed windows shared by every instance that uses the
    same Redis and key prefix.

    Redis must answer when the app starts (`__aenter__` checks). Should it stop answering later,
    the limits fail open: a request whose count cannot be read or written is let through, a
    warning is logged, and Redis is not asked again for `RETRY_SECONDS`, so that an outage of
    Redis slows no request down and takes no instance with it.
    """

    __slots__ = ("_add", "_read", "_retry_at", "_take_back", "url")

    RETRY_SECONDS = 5.0
    # How long one Redis command may take before the request goes on without it.
    TIMEOUT_SECONDS = 1.0

    def __init__(
        self, redis: Redis, namespace: str | None = None, handle_client_shutdown: bool = False
    ) -> None:
        super().__init__(redis, namespace=namespace, handle_client_shutdown=handle_client_shutdown)
        self._add = redis.register_script(_ADD)
        self._read = redis.register_script(_READ)
        self._take_back = redis.register_script(_TAKE_BACK)
        self._retry_at = 0.0
        self.url = "Redis"

    @classmethod
    def connect(cls, url: str, *, prefix: str) -> "RedisCounters":
        """Counters in the Redis at `url`, under keys that start with `prefix:`."""
        client = Redis.from_url(
            url,
            socket_connect_timeout=cls.TIMEOUT_SECONDS,
            socket_timeout=cls.TIMEOUT_SECONDS,
            # Once, at once: a connection Redis closed (a restart) is replaced without a
            # wait; anything longer would hold the request up.
            retry=Retry(NoBackoff(), 1),
        )
        counters = cls(client, namespace=prefix, handle_client_shutdown=True)
        counters.url = redact(url)
        return counters

    async def __aenter__(self) -> None:
        try:
            await self.check_reachable()
        except RedisUnreachable:
            await self._shutdown()  # nothing calls __aexit__ for a context that failed to enter
            raise

    async def check_reachable(self) -> None:
        """Raise `RedisUnreachable`, naming the reason, when Redis does not answer a PING."""
        try:
            await self._redis.ping()
        except (RedisError, OSError) as exc:
            raise RedisUnreachable(f"cannot reach Redis at {self.url}: {exc}") from exc

    async def add(self, key: str, window_seconds: int) -> Tally | None:
        """Count one more for `key`; None when Redis does not answer."""
        answer = await self._call(self._add, key, window_seconds * 1000)
        if answer is None:
            return None
        count, left_ms = answer
        return Tally(int(count), max(1, (int(left_ms) + 999) // 1000))

    async def read(self, key: str) -> Tally | None:
        """Where `key` stands; None when it has no count or Redis does not answer."""
        answer = await self._call(self._read, key)
        if not answer:
            return None
        count, left_ms = answer
        return Tally(int(count), max(1, (int(left_ms) + 999) // 1000))

    async def take_back(self, key: str) -> None:
        """Count one fewer for `key`, if it has any."""
        await self._call(self._take_back, key)

    async def _call(self, script: Any, key: str, *args: object) -> Any:
        if self._retry_at and time.monotonic() < self._retry_at:
            return None
        try:
            answer = await script(keys=[self._make_key(key)], args=list(args))
        except (RedisError, OSError) as exc:
            if not self._retry_at:
                logger.warning(
                    "Redis at %s does not answer (%s); rate limits are not enforced until it "
                    "does (asking again every %.0f s)",
                    self.url,
                    exc,
                    self.RETRY_SECONDS,
                )
            self._retry_at = time.monotonic() + self.RETRY_SECONDS
            return None
        if self._retry_at:
            logger.warning("Redis at %s answers again; rate limits are enforced", self.url)
            self._retry_at = 0.0
        return answer
