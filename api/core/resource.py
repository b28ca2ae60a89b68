"""The REST face of one kind of record, declared once: its read, create, change, archive and
history routes, with their guards, problems, headers and ETags.

A domain says what is particular to its record (the path parameters that name one, its read
schema, the service functions that find, make, change and archive it) and gets route handlers
whose signatures Litestar reads as if they had been written out by hand, so the OpenAPI document
is the same as for hand-written ones:

    PRODUCT = Resource(PRODUCTS, path="/{slug:str}", key={"slug": ProductSlug}, read=product_read)
    get_product = PRODUCT.get("getProduct", service.get_product, summary=…, doc=…)

Every service function is called as `fn(session, *key, principal=…)`, with `data=` for a body
and `if_match=` for a conditional write.
"""

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, get_type_hints

from litestar import Request, Response
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody
from pydantic import BaseModel

from api.core.access import PrincipalDep
from api.core.db import RecordBase, SessionDep
from api.core.pagination import DEFAULT_LIMIT, Page
from api.core.policy import Policy
from api.core.rest import (
    NESTED_LIST_PROBLEMS,
    Cursor,
    IfMatch,
    Limit,
    archive_route,
    create_route,
    list_route,
    location,
    read_route,
    update_route,
    versioned,
)

RecordT = TypeVar("RecordT", bound=RecordBase)
ReadT = TypeVar("ReadT", bound=BaseModel)

# What a history route answers with; the audit package (above the core) provides it.
HistoryPage = Callable[..., Awaitable[Page[Any]]]

_KW = inspect.Parameter.KEYWORD_ONLY


def endpoint(
    name: str,
    doc: str,
    parameters: Mapping[str, Any],
    returns: Any,
    body: Callable[..., Awaitable[Any]],
    *,
    defaults: Mapping[str, Any] | None = None,
) -> Callable[..., Awaitable[Any]]:
    """A handler function named `name` whose signature is `parameters` (name → annotation, in
    order; `defaults` for the optional ones) returning `returns`, which calls `body` with the
    parameters as keywords. Litestar reads the signature and annotations as it would a
    hand-written function's; its docstring is the operation's description."""
    defaults = defaults or {}

    async def handler(**kwargs: Any) -> Any:
        return await body(**kwargs)

    handler.__name__ = handler.__qualname__ = name
    handler.__doc__ = doc
    handler.__annotations__ = {**parameters, "return": returns}
    handler.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                param, _KW, annotation=annotation, default=defaults.get(param, inspect._empty)
            )
            for param, annotation in parameters.items()
        ],
        return_annotation=returns,
    )
    return handler


@dataclass(frozen=True)
class Resource(Generic[RecordT, ReadT]):
    """One kind of record: who may act on it, the path and parameters that name one, and how a
    client sees it (`read`, the one mapper from the record to its read schema)."""

    policy: Policy
    path: str
    key: Mapping[str, Any]
    read: Callable[[RecordT], ReadT]
    # The read schema, when `read` is not itself the schema's `model_validate`.
    shows: type[ReadT] | None = None
    # Where a new record lives: the path parameters that name it, taken from the record.
    address: Callable[[RecordT], Mapping[str, Any]] = field(default=lambda record: {})

    @property
    def schema(self) -> type[ReadT]:
        """The read schema clients see."""
        if self.shows is not None:
            return self.shows
        return get_type_hints(self.read)["return"]  # type: ignore[no-any-return]

    def _answer(self, record: RecordT) -> Response[ReadT]:
        return versioned(self.read(record), record)

    def _parameters(self, **extra: Any) -> dict[str, Any]:
        return {"session": SessionDep, "principal": PrincipalDep, **self.key, **extra}

    def _key(self, kwargs: Mapping[str, Any]) -> list[Any]:
        return [kwargs[name] for name in self.key]

    def get(
        self,
        operation_id: str,
        load: Callable[..., Awaitable[RecordT]],
        *,
        summary: str,
        doc: str,
    ) -> HTTPRouteHandler:
        """`GET` one record with its ETag; named by its operation, so a 201 can point at it."""

        async def body(session: Any, principal: Any, **key: Any) -> Response[ReadT]:
            return self._answer(await load(session, *self._key(key), principal=principal))

        handler = endpoint(
            _snake(operation_id),
            doc,
            self._parameters(),
            applied(Response, self.schema),
            body,
        )
        return read_route(self.path, operation_id, self.policy, summary=summary)(handler)

    def create(
        self,
        operation_id: str,
        make: Callable[..., Awaitable[RecordT]],
        *,
        data: type[BaseModel],
        located_by: str,
        summary: str,
        doc: str,
        verb: str = "create",
        **options: Any,
    ) -> HTTPRouteHandler:
        """`POST` a new record: 201 with its `Location` (the route `located_by` names) and ETag."""

        # The path parameters above the new record (a team's slug for a new member).
        parent = {name: kind for name, kind in self.key.items() if "{" + name not in self.path}

        async def body(
            request: Any, session: Any, principal: Any, data: Any, **key: Any
        ) -> Response[ReadT]:
            record = await make(
                session, *[key[name] for name in parent], data=data, principal=principal
            )
            where = location(request, located_by, **key, **self.address(record))
            return versioned(self.read(record), record, created_at=where)

        parameters = {
            "request": Request[Any, Any, Any],
            "session": SessionDep,
            "principal": PrincipalDep,
            **parent,
            "data": applied(JSONBody, data),
        }
        handler = endpoint(
            _snake(operation_id),
            doc,
            parameters,
            applied(Response, self.schema),
            body,
        )
        return create_route(operation_id, self.policy, summary=summary, verb=verb, **options)(
            handler
        )

    def update(
        self,
        operation_id: str,
        change: Callable[..., Awaitable[RecordT]],
        *,
        data: type[BaseModel],
        summary: str,
        doc: str,
        verb: str = "write",
    ) -> HTTPRouteHandler:
        """`PATCH` some of a record's fields, conditional on `If-Match`."""

        async def body(
            session: Any, principal: Any, data: Any, if_match: Any, **key: Any
        ) -> Response[ReadT]:
            record = await change(
                session, *self._key(key), data=data, if_match=if_match, principal=principal
            )
            return self._answer(record)

        handler = endpoint(
            _snake(operation_id),
            doc,
            self._parameters(data=applied(JSONBody, data), if_match=IfMatch),
            applied(Response, self.schema),
            body,
            defaults={"if_match": None},
        )
        return update_route(self.path, operation_id, self.policy, summary=summary, verb=verb)(
            handler
        )

    def archive(
        self,
        operation_id: str,
        remove: Callable[..., Awaitable[Any]],
        *,
        summary: str,
        doc: str,
        verb: str = "write",
    ) -> HTTPRouteHandler:
        """`DELETE` a record: archive it (204), never destroy it."""

        async def body(session: Any, principal: Any, if_match: Any, **key: Any) -> None:
            await remove(session, *self._key(key), if_match=if_match, principal=principal)

        handler = endpoint(
            _snake(operation_id),
            doc,
            self._parameters(if_match=IfMatch),
            None,
            body,
            defaults={"if_match": None},
        )
        return archive_route(self.path, operation_id, self.policy, summary=summary, verb=verb)(
            handler
        )

    def history(
        self,
        operation_id: str,
        load: Callable[..., Awaitable[RecordT]],
        page: HistoryPage,
        *,
        policy: Policy,
        summary: str,
        doc: str,
    ) -> HTTPRouteHandler:
        """`GET` a page of the record's audit history (`page` reads it, under `policy`)."""

        async def body(
            session: Any, principal: Any, limit: int, cursor: str | None, **key: Any
        ) -> Page[Any]:
            record = await load(session, *self._key(key), principal=principal)
            return await page(session, record.id, cursor=cursor, limit=limit)

        returns = get_type_hints(page)["return"]
        handler = endpoint(
            _snake(operation_id),
            doc,
            self._parameters(limit=Limit, cursor=Cursor),
            returns,
            body,
            defaults={"limit": DEFAULT_LIMIT, "cursor": None},
        )
        return list_route(
            operation_id,
            policy,
            path=f"{self.path}/history",
            summary=summary,
            responses=NESTED_LIST_PROBLEMS,
        )(handler)


def applied(generic: Any, argument: Any) -> Any:
    """`generic[argument]`, for annotations built at run time (mypy checks only static ones)."""
    return generic[argument]


def _snake(operation_id: str) -> str:
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in operation_id)
