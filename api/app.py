"""The Litestar application: `create_app(settings)` builds one from explicit settings."""

import gc
from collections.abc import AsyncGenerator, Mapping
from contextlib import asynccontextmanager
from typing import Any
from weakref import WeakKeyDictionary

import msgspec
from litestar import Litestar, Request, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from pydantic import BaseModel

import api
from api.consoles import console_assets, openapi_consoles
from api.core.access import OPEN_ROUTE, provide_principal
from api.core.config import Settings, get_settings
from api.core.db import create_engine, create_sessionmaker, provide_session
from api.core.errors import BadRequest, FieldError, exception_handlers
from api.core.logs import configure_logging
from api.core.metrics import forget_this_process, metrics_config, metrics_controller, watch_pool
from api.core.middleware import (
    ConstantAnswer,
    add_response_headers,
    allow_header,
    request_id_middleware,
    trusted_proxy_middleware,
)
from api.core.openapi import ClosedInputSchemaPlugin
from api.core.rate_limit import (
    FAILED_AUTHENTICATIONS,
    LIMITS_STORE,
    FailedAuthentications,
    limit_counters,
    rate_limit_config,
)
from api.core.request_body import BODY_METHODS, check_json_body
from api.domains import DOMAINS
from api.graphql_schema import graphql_controller
from api.identity.authentication import authentication_middleware
from api.pages import docs_site, landing_page, template_config
from api.probes import LIVENESS, healthz, readyz

API_PREFIX = "/api/v1"


# The query parameters each REST handler declares (its dependencies' too), found on first use;
# weakly held, as the handlers of apps built and dropped (by tests) go away.
_DECLARED_QUERY: "WeakKeyDictionary[object, frozenset[str]]" = WeakKeyDictionary()


def declared_query_parameters(request: Request[Any, Any, Any]) -> frozenset[str]:
    """The query parameters the request's route handler reads, by the names clients send."""
    handler = request.route_handler
    declared = _DECLARED_QUERY.get(handler)
    if declared is None:
        # Only the path parameters' names are read: they are not query parameters.
        path_parameters: Any = dict.fromkeys(request.path_params)
        kwargs = handler.create_kwargs_model(path_parameters=path_parameters)
        declared = frozenset(parameter.field_alias for parameter in kwargs.expected_query_params)
        _DECLARED_QUERY[handler] = declared
    return declared


async def check_request(request: Request[Any, Any, Any]) -> None:
    """`before_request` hook: refuse what a handler would otherwise misread.

    - A query parameter that the REST route does not take is a 400 naming it: a misspelt filter
      (`?stagee=building`) would otherwise be ignored, and the list answered unfiltered.
    - A query parameter given twice is a 400, never silently the last: no list takes repeated
      values, so `?stage=idea&stage=building` would otherwise drop a filter the caller believes
      is applied.
    - A body is read only as what it says it is: JSON, sent as JSON (415 otherwise), with each
      key once (400 otherwise: "last one wins" would apply a value the client did not mean).
    """
    if request.scope["query_string"]:  # most requests have none to parse
        # OPTIONS is answered by Litestar itself (CORS preflight, allowed methods), whatever
        # the query: its handler reads no parameter.
        if request.scope["path"].startswith(API_PREFIX) and request.method != "OPTIONS":
            unknown = sorted(set(request.query_params) - declared_query_parameters(request))
            if unknown:
                raise BadRequest(
                    f"unknown query parameter: {', '.join(unknown)}",
                    [FieldError(name, "is not a parameter of this operation") for name in unknown],
                )
        for name in request.query_params:
            if len(request.query_params.getall(name)) > 1:
                raise BadRequest.field(name, "is given more than once; give it once")
    if request.method in BODY_METHODS:
        body = await request.body()
        if body:
            check_json_body(request.method, request.headers.get("content-type"), body)


_READS = frozenset({"GET", "HEAD"})


class PizzaboxApp(Litestar):
    """The Litestar app, answering HEAD wherever it answers GET (RFC 9110), without a body, and
    the paths of `constant` (a plain GET or HEAD, no query) with their constant answer, before
    routing."""

    # Any: Litestar types its scopes, receive and send as unions this override only passes on.
    def __init__(
        self, *args: Any, constant: Mapping[str, ConstantAnswer] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._constant = dict(constant or {})
        # The request id is bound here, around routing and CORS rather than among the route
        # middleware, so that a routing error, a CORS preflight and the server's access log
        # line carry it too.
        self._with_request_id = request_id_middleware(self._answer)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self._with_request_id(scope, receive, send)

    async def _answer(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self._constant:
            constant = self._constant.get(scope["path"])
            if constant is not None and scope["method"] in _READS and not scope["query_string"]:
                await constant(scope, send)
                return
        if scope["type"] != "http" or scope["method"] != "HEAD":
            if scope["type"] == "http" and scope["method"] == "OPTIONS":
                send = allow_header(scope, send)
            await super().__call__(scope, receive, send)
            return

        async def headers_only(message: Any) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        as_get: Any = {**scope, "method": "GET"}
        await super().__call__(as_get, receive, headers_only)


# CPython collects its youngest generation of objects after 700 net allocations. A GraphQL answer
# of a thousand records makes hundreds of thousands of objects that live until it is sent, and
# each collection examined them all again: two fifths of that answer's time in issue 9's profile.
# A larger young generation keeps collection to a few percent, for a few megabytes at most.
GC_THRESHOLDS = (10_000, 10, 10)


@asynccontextmanager
async def garbage_collection(app: Litestar) -> AsyncGenerator[None, None]:
    """Collect garbage less often while the app serves (the setting is the process's)."""
    before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def pydantic_json(model: BaseModel) -> msgspec.Raw:
    """A response model as pydantic writes it to JSON, in one pass, embedded as it is.

    Litestar's default dumps the model to Python dicts and strings first, which msgspec then
    encodes: building a list of 50 products' dicts cost more than encoding them.
    """
    return msgspec.Raw(model.__pydantic_serializer__.to_json(model))


def create_app(settings: Settings | None = None) -> Litestar:
    """A Pizzabox app for the given settings (by default, the environment's)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level, sql=settings.database_echo)

    metrics = metrics_config(settings)

    @asynccontextmanager
    async def database(app: Litestar) -> AsyncGenerator[None, None]:
        engine = create_engine(settings)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine, audit_key=settings.audit_key)
        stop_watching = watch_pool(engine) if metrics else None
        try:
            yield
        finally:
            if stop_watching:
                stop_watching()
                forget_this_process()
            await engine.dispose()

    api_router = Router(
        path=API_PREFIX,
        route_handlers=[route for domain in DOMAINS for route in domain.routes],
        security=[{"bearerAuth": []}],
    )
    rate_limit = rate_limit_config(settings)
    # Both limits count here: in this instance's memory, or in Redis for every instance. A
    # Litestar store, so the app's lifespan opens it (checking that Redis answers) and closes it.
    counters = limit_counters(settings)
    # Outermost first: the measuring of every answer (refusals included), where the request
    # comes from (behind trusted proxies), who is calling, then how often. (`PizzaboxApp` binds
    # the request id before any of them, and gives OPTIONS answers their `Allow` header.)
    middleware: list[Any] = [authentication_middleware]
    if settings.trusted_proxy_networks:
        # Without trusted proxies it would pass every request on untouched.
        middleware.insert(0, trusted_proxy_middleware(settings.trusted_proxy_networks))
    if metrics is not None:
        middleware.insert(0, metrics.middleware)
    if rate_limit is not None:
        middleware.append(rate_limit.middleware)
    route_handlers: list[Any] = [
        healthz,
        readyz,
        api_router,
        graphql_controller(settings),
        console_assets(),
        landing_page,
        docs_site(settings.docs_dir),
    ]
    # Pages for people, outside /api/v1, rendered from each domain's templates.
    route_handlers.extend(page for domain in DOMAINS for page in domain.pages)
    template_directories = [path for domain in DOMAINS for path in domain.templates]
    if metrics is not None:
        route_handlers.append(metrics_controller(settings))
    return PizzaboxApp(
        # The probe's route stays, for the other requests (a query string, OPTIONS) and the
        # OpenAPI document; with metrics or CORS on, every request takes the route.
        constant={} if metrics is not None or settings.cors_origin_list else {"/healthz": LIVENESS},
        route_handlers=route_handlers,
        dependencies={
            "session": Provide(provide_session),
            "principal": Provide(provide_principal),
        },
        lifespan=[garbage_collection, database],
        middleware=middleware,
        before_send=[add_response_headers],
        before_request=check_request,
        exception_handlers=exception_handlers,
        plugins=[ClosedInputSchemaPlugin()],
        template_config=template_config(*template_directories),
        type_encoders={BaseModel: pydantic_json},
        request_max_body_size=settings.max_body_bytes,
        cors_config=CORSConfig(
            allow_origins=settings.cors_origin_list,
            # A browser client must be able to read these, or it cannot page, retry or
            # make a conditional write.
            expose_headers=[
                "ETag",
                "Location",
                "X-Request-ID",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
                "RateLimit-Policy",
                "Retry-After",
            ],
        )
        if settings.cors_origin_list
        else None,
        openapi_config=OpenAPIConfig(
            title="Pizzabox API",
            # A handler's docstring is its operation's description.
            use_handler_docstrings=True,
            version=api.__version__,
            description=(
                "System of record for products, their two-pizza teams, and launch readiness."
            ),
            # The documents and their viewers are open to everyone, like the probes.
            openapi_router=Router(
                path="/schema", route_handlers=[], opt=OPEN_ROUTE, include_in_schema=False
            ),
            render_plugins=openapi_consoles(),
            components=Components(
                security_schemes={
                    "bearerAuth": SecurityScheme(
                        type="http", scheme="bearer", description="A Pizzabox API token (pzb_…)"
                    )
                }
            ),
        ),
        debug=settings.debug,
        # Logging is set up by `configure_logging`; Litestar's own set-up would replace the root
        # logger's handlers and level with its own, without the request id.
        logging_config=None,
        stores={LIMITS_STORE: counters},
        state=State(
            {
                FAILED_AUTHENTICATIONS: FailedAuthentications(
                    counters, settings.auth_failures_per_minute
                )
                if settings.auth_failures_per_minute
                else None
            }
        ),
    )
