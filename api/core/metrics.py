"""Prometheus metrics at /metrics, when `PIZZABOX_METRICS` turns them on: requests per route
template and status with their latency, database connections in use, GraphQL operations by name.

Through Litestar's Prometheus plugin and prometheus-client. With several worker processes the
metrics must be kept in files all of them share (`PROMETHEUS_MULTIPROC_DIR`, set by
`pizzabox serve --workers N`): every gauge here says how it adds up across processes.
"""

import hmac
import os
import re
import time
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from litestar import Controller, Request
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController, PrometheusMiddleware
from litestar.types import Message, Receive, Scope, Send
from prometheus_client import Counter, Gauge, multiprocess
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.extensions import SchemaExtension

from api.core.access import OPEN_ROUTE
from api.core.config import PROMETHEUS_MULTIPROC_DIR, Settings
from api.core.errors import PizzaboxError, Unauthenticated

METRICS_PATH = "/metrics"
PREFIX = "pizzabox"

# Created once per process, on import, as prometheus-client wants: one registry per process.
# In multiprocess mode a gauge adds up the values of the processes alive ("livesum").
POOL_IN_USE = Gauge(
    f"{PREFIX}_db_pool_connections_in_use",
    "Database connections checked out of the pool, serving a request now",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    f"{PREFIX}_db_pool_size",
    "Connections the database pool keeps open (PIZZABOX_DATABASE_POOL_SIZE per process)",
    multiprocess_mode="livesum",
)
GRAPHQL_OPERATIONS = Counter(
    f"{PREFIX}_graphql_operations",
    "GraphQL operations run, by operation name and type, and whether they had errors",
    ["operation", "type", "outcome"],
)


class RequestMetrics(PrometheusMiddleware):
    """Litestar's Prometheus middleware, labelling requests by route template (never the raw
    path, whose slugs and ids would make a series per record).

    Litestar's counts a request refused by a middleware inside it (401 from authentication, 429
    from a limit) as a 200: the error is answered further out, past its view. This one counts
    the status that error is answered with.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request: Request[Any, Any, Any] = Request(scope, receive)
        labels = {**self._get_default_labels(request), **self._get_extra_labels(request)}
        started = time.perf_counter()
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        # While it runs a request has no status yet (Litestar's would label every one 200).
        running = {name: label for name, label in labels.items() if name != "status_code"}
        in_progress = self.requests_in_progress(running).labels(*running.values())
        in_progress.inc()
        try:
            await self.app(scope, receive, send_noting_status)
        except PizzaboxError as exc:
            status = exc.status
            raise
        except HTTPException as exc:
            status = exc.status_code
            raise
        finally:
            in_progress.dec()
            labels["status_code"] = status
            values = list(labels.values())
            if status >= 500:
                self.requests_error_count(labels).labels(*values).inc()
            self.request_count(labels).labels(*values).inc()
            self.request_time(labels).labels(*values).observe(time.perf_counter() - started)


def metrics_config(settings: Settings) -> PrometheusConfig | None:
    """The request metrics for these settings, or None when metrics are off."""
    if not settings.metrics:
        return None
    return PrometheusConfig(
        app_name=PREFIX,
        prefix=PREFIX,
        group_path=True,
        exclude=[f"^{METRICS_PATH}$"],
        middleware_class=RequestMetrics,
    )


def metrics_controller(settings: Settings) -> type[Controller]:
    """The /metrics endpoint: open, or for `PIZZABOX_METRICS_TOKEN` alone when it is set."""
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None

    def scraper_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if token is None:
            return
        sent = connection.headers.get("authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            raise Unauthenticated("/metrics needs PIZZABOX_METRICS_TOKEN as a bearer token")

    class MetricsController(PrometheusController):
        """Litestar's Prometheus endpoint (which reads the multiprocess directory when set)."""

        path = METRICS_PATH
        # Not part of the API: scraped by Prometheus, not called by the API's clients.
        include_in_schema = False
        # API tokens play no part: the scraper has a token of its own, or none.
        opt = OPEN_ROUTE
        guards = (scraper_only,)

    return MetricsController


def watch_pool(engine: AsyncEngine) -> Callable[[], None]:
    """Keep the pool gauges up to date for `engine`; the function returned stops, and takes the
    engine's share back out (call it before disposing of the engine)."""
    pool = engine.sync_engine.pool
    size = pool.size() if hasattr(pool, "size") else 0
    POOL_SIZE.inc(size)
    in_use = [0]

    def checked_out(*_: object) -> None:
        in_use[0] += 1
        POOL_IN_USE.inc()

    def checked_in(*_: object) -> None:
        in_use[0] -= 1
        POOL_IN_USE.dec()

    event.listen(engine.sync_engine, "checkout", checked_out)
    event.listen(engine.sync_engine, "checkin", checked_in)

    def stop() -> None:
        event.remove(engine.sync_engine, "checkout", checked_out)
        event.remove(engine.sync_engine, "checkin", checked_in)
        POOL_SIZE.dec(size)
        POOL_IN_USE.dec(in_use[0])

    return stop


def forget_this_process() -> None:
    """In multiprocess mode, drop this process's live gauges as it exits, so the others' sums
    no longer count it."""
    if os.environ.get(PROMETHEUS_MULTIPROC_DIR):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


# Names as GraphQL spells them; anything else (a name the document lacks) is not a label value.
_OPERATION_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")


class GraphQLOperationMetrics(SchemaExtension):
    """Count GraphQL operations by name, type and outcome.

    Clients choose the names, so a process labels at most `MAX_NAMES` of them; later ones are
    counted as `other`, and a series per request cannot be made.
    """

    MAX_NAMES = 200
    _seen: ClassVar[set[str]] = set()

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        try:
            kind = context.operation_type.value
        except RuntimeError:  # no document, or no operation of that name in it
            kind = "unknown"
        GRAPHQL_OPERATIONS.labels(
            operation=self._label(context.operation_name),
            type=kind,
            outcome="error" if context.result is not None and context.result.errors else "ok",
        ).inc()

    def _label(self, name: str | None) -> str:
        if name is None:
            return "anonymous"
        if not _OPERATION_NAME.match(name):
            return "invalid"
        if name not in self._seen:
            if len(self._seen) >= self.MAX_NAMES:
                return "other"
            self._seen.add(name)
        return name
