"""Per-token rate limiting with `RateLimit-*` headers, and 429 with `Retry-After` past it."""

from typing import Any

from litestar import Request
from litestar.middleware.rate_limit import RateLimitConfig

from api.auth import principal_of
from api.config import Settings


def rate_limit_key(request: Request[Any, Any, Any]) -> str:
    """Whom a request counts against: its token, else its client address."""
    principal = principal_of(request)
    if principal.token_id is not None:
        return f"token:{principal.token_id}"
    client = request.client.host if request.client else "unknown"
    return f"address:{client}"


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
    )
