"""Per-token rate limiting with `RateLimit-*` headers, and 429 with `Retry-After` past it."""

from typing import Any

from litestar import Request
from litestar.exceptions import TooManyRequestsException
from litestar.middleware.rate_limit import RateLimitConfig, RateLimitMiddleware
from litestar.types import Receive, Scope, Send

from api.auth import principal_of
from api.config import Settings


def rate_limit_key(request: Request[Any, Any, Any]) -> str:
    """Whom a request counts against: its token, else its client address."""
    principal = principal_of(request)
    if principal.token_id is not None:
        return f"token:{principal.token_id}"
    client = request.client.host if request.client else "unknown"
    return f"address:{client}"


class RetryAfterRateLimitMiddleware(RateLimitMiddleware):
    """Litestar's rate limiter, whose 429 also says when to retry (`Retry-After`)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except TooManyRequestsException as exc:
            headers = dict(exc.headers or {})
            reset = headers.get("RateLimit-Reset", "60")
            headers["Retry-After"] = str(max(1, int(reset))) if reset.isdigit() else "60"
            raise TooManyRequestsException(
                detail="too many requests for this token; retry after Retry-After seconds",
                headers=headers,
            ) from None


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
